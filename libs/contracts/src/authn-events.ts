import { z } from 'zod';
import { orgIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

/** A grant is one token family: the access and refresh tokens issued from one authorization or exchange. */
export const grantIdSchema = z.string().min(8).max(64);

export const grantRevocationReasonSchema = z.enum([
  'revoked_by_client',
  'refresh_token_reuse',
  'authorization_code_reuse',
  'user_deactivated',
  'user_deleted',
  'organization_deleted',
  'mandate_revoked',
  'mandate_narrowed',
  'agent_suspended',
  'client_deleted',
  'admin',
  /** The person signed out of the session the grant was issued through (RP-initiated logout). */
  'logout',
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

export type GrantRevoked = EventOf<typeof GrantRevokedV1>;

/** The pseudo-organization of instance-wide events (signing keys belong to the whole installation). */
export const INSTANCE_ORG_ID = 'org_00000000000000000000000000';

const at = z.iso.datetime();
const jwk = z.record(z.string(), z.unknown());

/** A new signing key: published at once, used to sign from `activeFrom`, its private half sealed. */
export const SigningKeyGeneratedV1 = defineIntegrationEvent(
  'authn.signing_key.generated',
  1,
  z.strictObject({
    kid: z.string().min(8).max(64),
    alg: z.enum(['EdDSA', 'ES256']),
    publicJwk: jwk,
    sealedPrivateJwk: z.string().min(1),
    generatedAt: at,
    activeFrom: at,
  }),
);
/** A key no longer signs; it stays published until every token it signed has expired. */
export const SigningKeyRetiredV1 = defineIntegrationEvent(
  'authn.signing_key.retired',
  1,
  z.strictObject({ kid: z.string().min(8).max(64), retiredAt: at, publishedUntil: at }),
);

export const clientKindSchema = z.enum(['application', 'agent', 'service']);
export const tokenEndpointAuthMethodSchema = z.enum(['client_secret_basic', 'private_key_jwt', 'none']);

/** An OAuth client of an organization: an application, a backend service, or an agent's credentials. */
export const ClientRegisteredV1 = defineIntegrationEvent(
  'authn.client.registered',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    clientId: z.string().min(8).max(100),
    name: z.string().min(1).max(200),
    kind: clientKindSchema,
    /** For an agent's credentials: the agent (tokens without a human have `sub` = the agent). */
    agentId: z
      .string()
      .regex(/^agt_[0-9a-z]{26}$/)
      .nullable(),
    redirectUris: z.array(z.url()).max(20),
    grantTypes: z.array(z.string()).min(1).max(10),
    tokenEndpointAuthMethod: tokenEndpointAuthMethodSchema,
    /** SHA-256 of the client secret (`client_secret_basic`); never the secret. */
    secretHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    /** Public keys of `private_key_jwt` clients. */
    jwks: z.strictObject({ keys: z.array(jwk).min(1).max(10) }).nullable(),
    /** The scopes the client may ask for at most. */
    scopes: z.array(z.string().max(128)).max(200),
    /** The resource servers (`aud`) its tokens may be for. */
    audiences: z.array(z.url()).min(1).max(20),
    /** Where logout tokens are posted (OpenID Connect Back-Channel Logout 1.0); absent on older events. */
    backchannelLogoutUri: z.url().max(2000).nullable().optional(),
    /** Whether logout tokens carry the session's `sid`. */
    backchannelLogoutSessionRequired: z.boolean().optional(),
    registeredAt: at,
  }),
);
export const ClientCredentialsRotatedV1 = defineIntegrationEvent(
  'authn.client.credentials_rotated',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    clientId: z.string().min(8).max(100),
    secretHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    jwks: z.strictObject({ keys: z.array(jwk).min(1).max(10) }).nullable(),
    rotatedAt: at,
  }),
);
export const ClientDeletedV1 = defineIntegrationEvent(
  'authn.client.deleted',
  1,
  z.strictObject({ orgId: orgIdSchema, clientId: z.string().min(8).max(100), deletedAt: at }),
);

/** Tokens were issued under a new grant (a token family): who, for whom, through which client, how far. */
export const GrantIssuedV1 = defineIntegrationEvent(
  'authn.grant.issued',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    grantId: grantIdSchema,
    clientId: z.string().max(300),
    subject: z.string().max(300),
    actor: z.string().max(300).nullable(),
    /** The delegation chain, current actor first (for audit). */
    actorChain: z.array(z.string().max(300)).max(10),
    mandateId: z.string().nullable(),
    grantType: z.string().max(100),
    scope: z.string().max(4000),
    audience: z.string().max(300),
    issuedAt: at,
    expiresAt: at,
  }),
);

export type SigningKeyGenerated = EventOf<typeof SigningKeyGeneratedV1>;
export type SigningKeyRetired = EventOf<typeof SigningKeyRetiredV1>;
export type ClientRegistered = EventOf<typeof ClientRegisteredV1>;
export type ClientCredentialsRotated = EventOf<typeof ClientCredentialsRotatedV1>;
export type ClientDeleted = EventOf<typeof ClientDeletedV1>;
export type GrantIssued = EventOf<typeof GrantIssuedV1>;
export type ClientEvent = ClientRegistered | ClientCredentialsRotated | ClientDeleted;
export type SigningKeyEvent = SigningKeyGenerated | SigningKeyRetired;

export const signingKeysStream = 'signing-keys';
export const clientStream = (clientId: string): string => `client-${clientId}`;
export const grantStream = (grantId: string): string => `grant-${grantId}`;
