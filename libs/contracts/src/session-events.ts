import { z } from 'zod';
import { orgIdSchema, userIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

/**
 * Why a sign-in session at Mandate ended before its time: an administrator revoked it, its person
 * left (deactivated or deleted in the directory), or the person signed out (RP-initiated logout).
 */
export const sessionRevocationReasonSchema = z.enum(['admin', 'user_deactivated', 'user_deleted', 'logout']);
export type SessionRevocationReason = z.infer<typeof sessionRevocationReasonSchema>;

/** A session's public identifier (oidc-provider's `uid`), never the value of its cookie. */
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/**
 * The session is over: the browser must sign in again, the grants issued through it are revoked and
 * the applications signed in through it are told (OpenID Connect Back-Channel Logout). It names the
 * applications, so an interrupted revocation can be finished from the event alone.
 */
export const SessionRevokedV1 = defineIntegrationEvent(
  'authn.session.revoked',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    userId: userIdSchema,
    sessionId: sessionIdSchema,
    reason: sessionRevocationReasonSchema,
    /** The applications signed in through the session, and the grant each was issued. */
    clients: z
      .array(z.strictObject({ clientId: z.string().min(1).max(100), grantId: z.string().max(64).nullable() }))
      .max(200),
    authenticatedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime(),
  }),
);

export type SessionRevoked = EventOf<typeof SessionRevokedV1>;

export const sessionStream = (sessionId: string): string => `session-${sessionId}`;
