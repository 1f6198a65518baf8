import { canonicalJson } from './canonical-json';
import { readRecordLine } from './record-line';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** What the verifier would read with JSON.parse: the reference the fast reader must agree with. */
const parsed = (text: string) => {
  const value = JSON.parse(text) as Record<string, unknown>;
  return {
    index: typeof value['sequence'] === 'number' ? value['sequence'] : -1,
    redacted: value['redacted'] === true,
  };
};

describe('reading sequence and redacted from a record line', () => {
  const tricky: [string, unknown][] = [
    ['a plain record', { action: 'user.provisioned', sequence: 42 }],
    ['a redacted record', { id: 'r1', redacted: true, sequence: 7 }],
    ['redacted not true', { redacted: 'true', sequence: 7 }],
    ['a quoted "sequence" in a string before it', { a: '","sequence":1,"', sequence: 2 }],
    ['escaped quotes and backslashes', { a: 'x\\"', b: '\\', c: '\\\\"sequence":3', sequence: 4 }],
    ['a string ending in a backslash', { a: 'ends with \\', sequence: 5 }],
    ['sequence in a nested object before it', { metadata: { sequence: 99, redacted: true }, sequence: 6 }],
    ['sequence in a nested object after it', { sequence: 8, zeta: { sequence: 0, list: [{ sequence: 1 }] } }],
    ['sequence only nested', { metadata: { sequence: 3 } }],
    ['brackets inside strings', { a: '{[}]', b: ['}', '{', { c: ']"' }], sequence: 9 }],
    ['unicode around', { a: 'é"ü😀\u2028', sequence: 10 }],
    ['a string sequence', { sequence: '11' }],
    ['a null sequence', { sequence: null }],
    ['an object sequence', { sequence: { value: 12 } }],
    ['no members', {}],
    ['sequence zero', { sequence: 0 }],
    ['large sequence', { sequence: 123_456_789_012 }],
    ['literals', { a: true, b: false, c: null, d: -1.5e3, sequence: 13 }],
  ];

  it.each(tricky)('reads %s exactly as JSON.parse does', (_, record) => {
    const line = canonicalJson(record);
    expect(readRecordLine(bytes(line))).toEqual(parsed(line));
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const line = '{"redacted":true,"sequence":1,"sequence":2,"redacted":false}';
    expect(readRecordLine(bytes(line))).toEqual(parsed(line));
  });

  it.each([
    ['whitespace between tokens', '{ "sequence": 1 }'],
    ['an escape in a top-level key', '{"sequ\\u0065nce":1}'],
    ['a negative sequence', '{"sequence":-1}'],
    ['a fractional sequence', '{"sequence":1.0}'],
    ['an exponent sequence', '{"sequence":1e3}'],
    ['a sequence too long to be exact', '{"sequence":12345678901234567}'],
  ])('leaves a line with %s to JSON.parse', (_, line) => {
    expect(readRecordLine(bytes(line))).toBeUndefined();
  });

  it.each([
    ['not an object', '[1,2]'],
    ['an unterminated string', '{"a":"b}'],
    ['an unclosed object', '{"a":{"b":1}'],
    ['mismatched brackets', '{"a":[1},"sequence":2}'],
    ['an unquoted key', '{sequence:1}'],
    ['a bare word', '{"a":tru,"sequence":1}'],
    ['a missing colon', '{"sequence"1}'],
    ['trailing garbage', '{"sequence":1}x'],
    ['two values', '{"a":1 2,"sequence":3}'],
    ['empty', ''],
  ])('does not read %s (JSON.parse then refuses it)', (_, line) => {
    expect(readRecordLine(bytes(line))).toBeUndefined();
  });

  it('is not fooled by a top-level sequence spelled inside a string of any length', () => {
    for (let backslashes = 0; backslashes < 6; backslashes++) {
      const value = `${'\\'.repeat(backslashes)}","sequence":1000,"x":"`;
      const line = canonicalJson({ a: value, sequence: 1 });
      expect(readRecordLine(bytes(line))).toEqual({ index: 1, redacted: false });
    }
  });
});
