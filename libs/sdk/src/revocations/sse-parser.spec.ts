import { type ServerSentEvent, SseParser } from './sse-parser';

const parse = (chunks: readonly string[]) => {
  const events: ServerSentEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SseParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { events, retries, comments, parser };
};

/** Every way of cutting `text` in two. */
const splits = (text: string) =>
  Array.from({ length: text.length + 1 }, (_, at) => [text.slice(0, at), text.slice(at)]);

describe('SseParser', () => {
  it('dispatches an event on a blank line, with its type and id', () => {
    expect(parse(['id: 7\nevent: grant.revoked\ndata: {"a":1}\n\n']).events).toEqual([
      { event: 'grant.revoked', data: '{"a":1}', lastEventId: '7' },
    ]);
  });

  it('joins multi-line data with LF and defaults the type to message', () => {
    expect(parse(['data: {\ndata:  "a": 1\ndata: }\n\n']).events).toEqual([
      { event: 'message', data: '{\n "a": 1\n}', lastEventId: '' },
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('accepts %s line endings, cut anywhere between chunks', (_, eol) => {
    const text = `: ping${eol}id: 1${eol}data: one${eol}${eol}data: two${eol}${eol}`;
    for (const chunks of splits(text)) {
      expect(parse(chunks).events.map((event) => event.data)).toEqual(['one', 'two']);
    }
  });

  it('feeds one character at a time', () => {
    const text = 'event: x\r\ndata: a\r\ndata: b\r\n\r\n';
    expect(parse([...text]).events).toEqual([{ event: 'x', data: 'a\nb', lastEventId: '' }]);
  });

  it('reports comments and a valid retry, and ignores an invalid retry and unknown fields', () => {
    const { events, retries, comments } = parse([': ping\nretry: 2500\nretry: 10s\nfoo: bar\ndata\n\n']);
    expect(comments).toEqual(['ping']);
    expect(retries).toEqual([2500]);
    expect(events).toEqual([{ event: 'message', data: '', lastEventId: '' }]);
  });

  it('removes only one space after the colon, and reads a field without a colon', () => {
    expect(parse(['data:no-space\n\n', 'data:  two\n\n']).events.map((event) => event.data)).toEqual([
      'no-space',
      ' two',
    ]);
  });

  it('does not dispatch an event without data, but keeps its id', () => {
    const { events, parser } = parse(['id: 9\nevent: grant.revoked\n\n']);
    expect(events).toEqual([]);
    expect(parser.eventId).toBe('9');
    expect(parse(['id: 9\n\ndata: x\n\n']).events).toEqual([
      { event: 'message', data: 'x', lastEventId: '9' },
    ]);
  });

  it('ignores an id with NUL, a leading BOM, and an event left open at the end', () => {
    const { events } = parse(['\ufeffid: 1\n\ndata: a\nid: bad\u0000\n\ndata: never dispatched']);
    expect(events).toEqual([{ event: 'message', data: 'a', lastEventId: '1' }]);
  });
});
