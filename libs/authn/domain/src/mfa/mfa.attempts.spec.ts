import { afterFailure, assertNotLocked, NO_ATTEMPTS } from './mfa.attempts';

const t0 = new Date('2026-11-02T09:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('MFA attempt limiting', () => {
  it('locks after the fifth consecutive failure, for fifteen minutes', () => {
    let attempts = NO_ATTEMPTS;
    for (let i = 0; i < 4; i++) attempts = afterFailure(attempts, t0);
    expect(attempts).toEqual({ failures: 4, lockedUntil: null });
    expect(() => assertNotLocked(attempts, t0)).not.toThrow();
    attempts = afterFailure(attempts, t0);
    expect(attempts).toEqual({ failures: 0, lockedUntil: later(15 * 60_000) });
    expect(() => assertNotLocked(attempts, later(15 * 60_000 - 1))).toThrow(
      expect.objectContaining({
        code: 'AUTHN_MFA_LOCKED',
        details: { lockedUntil: later(15 * 60_000).toISOString() },
      }) as Error,
    );
    expect(() => assertNotLocked(attempts, later(15 * 60_000))).not.toThrow();
  });

  it('counts again from one after a lock has expired', () =>
    expect(afterFailure({ failures: 0, lockedUntil: later(1) }, later(2))).toEqual({
      failures: 1,
      lockedUntil: null,
    }));

  it('follows a stricter policy', () =>
    expect(afterFailure({ failures: 2, lockedUntil: null }, t0, { maxFailures: 3, lockMs: 1_000 })).toEqual({
      failures: 0,
      lockedUntil: later(1_000),
    }));
});
