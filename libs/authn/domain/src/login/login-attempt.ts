import { type LoginFlowFailureReason } from './login-failure';

/** How long the IdP has to send the person back: time to sign in there (and enrol MFA). */
export const LOGIN_ATTEMPT_TTL_MS = 10 * 60_000;

/** A sign-in sent to an IdP, as stored until the IdP answers (one use, bound to one browser). */
export interface LoginAttempt {
  readonly attemptId: string;
  readonly interactionUid: string;
  readonly orgId: string;
  readonly connectionId: string;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

export type AttemptCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: LoginFlowFailureReason; readonly detail: string };

/**
 * Whether the IdP's answer may continue this attempt: it exists for this connection, is unused and
 * unexpired, and comes back to the browser that started it (the caller compares the cookie).
 */
export const checkLoginAttempt = (
  attempt: LoginAttempt | null,
  facts: { readonly connectionId: string; readonly now: Date; readonly sameBrowser: boolean },
): AttemptCheck => {
  if (attempt === null || attempt.connectionId !== facts.connectionId)
    return { ok: false, reason: 'sso_attempt_unknown', detail: 'no sign-in was started for this answer' };
  if (attempt.usedAt !== null)
    return { ok: false, reason: 'sso_attempt_replayed', detail: 'the sign-in attempt was already used' };
  if (attempt.expiresAt.getTime() <= facts.now.getTime())
    return { ok: false, reason: 'sso_attempt_expired', detail: 'the sign-in attempt expired' };
  if (!facts.sameBrowser)
    return {
      ok: false,
      reason: 'sso_attempt_other_browser',
      detail: 'the answer came back to another browser than the one that started the sign-in',
    };
  return { ok: true };
};
