import { canonicalJson, hashRequestBody, isValidIdempotencyKey, replayableHeaders } from './idempotency';

describe('idempotency helpers', () => {
  it('accept keys of 1 to 255 visible ASCII characters', () => {
    expect(isValidIdempotencyKey('0198c1b2-5f3e-7000-8000-000000000001')).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(256))).toBe(false);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('two words')).toBe(false);
    expect(isValidIdempotencyKey('clé')).toBe(false);
  });

  it('treat bodies that differ only in key order as the same request', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: null }], a: 'x', skipped: undefined })).toBe(
      '{"a":"x","b":[1,{"c":null,"d":2}]}',
    );
    expect(hashRequestBody({ a: 1, b: 2 })).toBe(hashRequestBody({ b: 2, a: 1 }));
    expect(hashRequestBody({ a: 1 })).not.toBe(hashRequestBody({ a: '1' }));
    expect(hashRequestBody([1, 2])).not.toBe(hashRequestBody([2, 1]));
    expect(hashRequestBody(undefined)).not.toBe(hashRequestBody(null));
  });

  it('replay only the headers a handler chose, not per-request ones', () => {
    expect(
      replayableHeaders({
        Location: '/api/v1/things/1',
        'x-request-id': 'r1',
        'X-Correlation-Id': 'c1',
        'content-length': 12,
        'set-cookie': ['a=1'],
        'x-mandate-position': '12-3',
        vary: ['accept', 'origin'],
        gone: undefined,
      }),
    ).toEqual({ location: '/api/v1/things/1', 'x-mandate-position': '12-3', vary: 'accept, origin' });
  });
});
