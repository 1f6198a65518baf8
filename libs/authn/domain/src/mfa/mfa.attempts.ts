import { DomainError } from '@mandate/kernel';

/** Consecutive failed second-factor checks of a user, and the lock they led to. */
export interface MfaAttempts {
  readonly failures: number;
  readonly lockedUntil: Date | null;
}

export interface LockoutPolicy {
  readonly maxFailures: number;
  readonly lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockMs: 15 * 60_000 };

export const NO_ATTEMPTS: MfaAttempts = { failures: 0, lockedUntil: null };

export const mfaLocked = (lockedUntil: Date) =>
  new DomainError(
    'forbidden',
    'AUTHN_MFA_LOCKED',
    `Too many failed attempts; second factors are locked until ${lockedUntil.toISOString()}`,
    { lockedUntil: lockedUntil.toISOString() },
  );

/** Refuses any check while the lock holds. */
export const assertNotLocked = (attempts: MfaAttempts, now: Date): void => {
  if (attempts.lockedUntil && attempts.lockedUntil > now) throw mfaLocked(attempts.lockedUntil);
};

/** One more failure; the last one allowed locks every factor of the user for a while and starts the count again. */
export const afterFailure = (attempts: MfaAttempts, now: Date, policy = DEFAULT_LOCKOUT): MfaAttempts => {
  const expired = attempts.lockedUntil !== null && attempts.lockedUntil <= now;
  const failures = (expired ? 0 : attempts.failures) + 1;
  return failures >= policy.maxFailures
    ? { failures: 0, lockedUntil: new Date(now.getTime() + policy.lockMs) }
    : { failures, lockedUntil: expired ? null : attempts.lockedUntil };
};
