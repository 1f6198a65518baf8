import { DomainError } from '@mandate/kernel';
import { canonicalBytes, canonicalJson } from './canonical-json';

const errorCodeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
};

describe('RFC 8785 JSON canonicalization', () => {
  it('serializes numbers, literals and escapes as the RFC 8785 example does', () => {
    // RFC 8785 §3.2.2 example, as kept in cyberphone/json-canonicalization testdata/values.json.
    const input = JSON.parse(
      '{"numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],' +
        ' "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],' +
        '"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}',
    );
  });

  it('sorts members by UTF-16 code units, as the RFC 8785 §3.2.3 example does', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '1': 'One',
      '\u0080': 'Control\u007f',
      '\ud83d\ude02': 'Smiley',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '</script>': 'Browser Challenge',
    };
    expect(canonicalJson(input)).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('is independent of member order and nests', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: null })).toBe('{"a":null,"b":[1,{"x":1,"y":2}]}');
    expect(canonicalJson({ a: -0, b: 1e21, c: 1e-7, d: 123.456 })).toBe(
      '{"a":0,"b":1e+21,"c":1e-7,"d":123.456}',
    );
  });

  it('encodes as UTF-8', () => {
    expect(Buffer.from(canonicalBytes({ name: 'é' })).toString('hex')).toBe(
      Buffer.from('{"name":"é"}').toString('hex'),
    );
  });

  it.each([
    ['NaN', { a: NaN }],
    ['Infinity', [Infinity]],
    ['undefined', { a: undefined }],
    ['a BigInt', { a: 1n }],
    ['a Date', { at: new Date(0) }],
    ['a Map', new Map()],
    ['a function', { f: () => 1 }],
    ['a lone surrogate', { a: '\ud800' }],
    ['a hole', Object.assign(new Array<number>(3), { 0: 1, 2: 3 })],
    ['a symbol key', { [Symbol('k')]: 1 }],
  ])('refuses %s', (_, value) => {
    expect(errorCodeOf(() => canonicalJson(value))).toBe('AUDIT_RECORD_NOT_JSON');
  });

  it('refuses a cycle but not a shared value', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorCodeOf(() => canonicalJson(cyclic))).toBe('AUDIT_RECORD_NOT_JSON');
  });
});
