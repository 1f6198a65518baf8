/** One dispatched server-sent event (WHATWG HTML §9.2.6). */
export interface ServerSentEvent {
  /** `message` when the event named no type. */
  readonly event: string;
  readonly data: string;
  /** The last event id seen on the stream so far ('' when none). */
  readonly lastEventId: string;
}

export interface SseParserCallbacks {
  readonly onEvent: (event: ServerSentEvent) => void;
  /** A valid `retry:` field: the reconnection time the server asks for, in ms. */
  readonly onRetry?: (milliseconds: number) => void;
  /** A `:` comment line (heartbeats). */
  readonly onComment?: (text: string) => void;
}

/**
 * An incremental `text/event-stream` parser: feed it decoded text in chunks of any size. Lines end
 * with LF, CR or CRLF (even split across chunks); `data:` lines join with LF; comments are reported
 * and otherwise ignored; an event still open when the stream ends is discarded, as the spec says.
 */
export class SseParser {
  private buffer = '';
  private pendingCr = false;
  private started = false;
  private data: string[] = [];
  private eventType = '';
  private lastEventId = '';

  constructor(private readonly callbacks: SseParserCallbacks) {}

  push(chunk: string): void {
    let text = chunk;
    if (text.length === 0) return;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match !== null; match = lineEnd.exec(this.buffer)) {
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && lineEnd.lastIndex === this.buffer.length) this.pendingCr = true;
      this.line(this.buffer.slice(start, match.index));
      start = lineEnd.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The last event id, as a reconnection should send it. */
  get eventId(): string {
    return this.lastEventId;
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.callbacks.onComment?.(line.slice(1).trimStart());
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        return;
      case 'data':
        this.data.push(value);
        return;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.callbacks.onRetry?.(Number(value));
        return;
      default:
        return;
    }
  }

  private dispatch(): void {
    const { data, eventType } = this;
    this.data = [];
    this.eventType = '';
    if (data.length === 0) return;
    this.callbacks.onEvent({
      event: eventType || 'message',
      data: data.join('\n'),
      lastEventId: this.lastEventId,
    });
  }
}
