import { type Event } from '@mandate/kernel';
import { z } from 'zod';
import { orgIdSchema } from './directory-events';
import { defineIntegrationEvent } from './integration-events';

/** A grant is one token family: the access and refresh tokens issued from one authorization or exchange. */
export const grantIdSchema = z.string().min(8).max(64);

export const grantRevocationReasonSchema = z.enum([
  'revoked_by_client',
  'refresh_token_reuse',
  'user_deactivated',
  'user_deleted',
  'organization_deleted',
  'mandate_revoked',
  'mandate_narrowed',
  'agent_suspended',
  'client_deleted',
  'admin',
]);
export type GrantRevocationReason = z.infer<typeof grantRevocationReasonSchema>;

/**
 * Every token of the grant is dead from now on, however long its `exp`. Resource servers that follow
 * the revocation feed (the SDK does) refuse them at once; introspection answers `active: false`.
 */
export const GrantRevokedV1 = defineIntegrationEvent(
  'authn.grant.revoked',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    grantId: grantIdSchema,
    /** The token subject (`sub`): a user, an agent, or a client. */
    subject: z.string().max(300),
    clientId: z.string().max(300),
    /** For delegated grants, the acting agent (`act.sub`). */
    actor: z.string().max(300).nullable(),
    reason: grantRevocationReasonSchema,
    revokedAt: z.iso.datetime(),
    /** Tokens of the grant expire by then at the latest: a follower may forget the grant afterwards. */
    expiresAt: z.iso.datetime(),
  }),
);

export type GrantRevoked = Event<typeof GrantRevokedV1.type, z.output<typeof GrantRevokedV1.schema>>;
