import { z } from 'zod';
import { orgIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

/** `con_` + 26 lower-case Crockford base32 characters. */
export const connectionIdSchema = z.string().regex(/^con_[0-9a-z]{26}$/);
export const connectionKindSchema = z.enum(['saml', 'oidc']);

const at = z.iso.datetime();
const url = z.url({ protocol: /^https?$/ }).max(2000);
const domainName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/);
const roleKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/);
const attributeName = z.string().min(1).max(300);
/** A secret sealed with the authn context's instance key (`v1.<iv>.<ciphertext>.<tag>`); never the secret. */
const sealed = z.string().regex(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

/** How the SAML IdP was described: its metadata document, a metadata URL, or the three fields by hand. */
export const idpSourceSchema = z.enum(['metadata_xml', 'metadata_url', 'fields']);

export const samlConnectionSettingsSchema = z.strictObject({
  idpSource: idpSourceSchema,
  /** Where the metadata was fetched from (`metadata_url`), for a later refresh. */
  metadataUrl: url.nullable(),
  idpEntityId: z.string().min(1).max(1024),
  idpSsoUrl: url,
  /** The IdP's signing certificates (PEM): the only keys a response is verified with. */
  idpCertificates: z.array(z.string().min(1).max(20_000)).min(1).max(5),
  wantAssertionsSigned: z.boolean(),
  /** The administrator's explicit acknowledgement that assertions may come unsigned (signed response only). */
  allowUnsignedAssertions: z.boolean(),
  signAuthnRequests: z.boolean(),
  allowIdpInitiated: z.boolean(),
  relayStateAllowList: z.array(z.string().min(1).max(2000)).max(50),
  clockSkewSeconds: z.number().int().min(0).max(180),
  /** The SP's own signing key pair for AuthnRequests, when it signs them. */
  spSigning: z
    .strictObject({
      certificatePem: z.string().min(1).max(20_000),
      sealedPrivateKey: sealed,
    })
    .nullable(),
});

export const oidcClientAuthSchema = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
export const oidcIdentitySchema = z.enum(['iss_sub', 'entra_tid_oid']);

export const oidcConnectionSettingsSchema = z.strictObject({
  issuer: url,
  clientId: z.string().min(1).max(500),
  clientAuth: oidcClientAuthSchema,
  sealedClientSecret: sealed.nullable(),
  sealedPrivateKeyJwk: sealed.nullable(),
  /** The `kid` of the private key, so administrators can tell which key the IdP must trust. */
  privateKeyId: z.string().max(200).nullable(),
  scopes: z.array(z.string().min(1).max(128)).min(1).max(50),
  /** What keys an upstream identity: (`iss`, `sub`), or for Entra ID (`tid`, `oid`). */
  identity: oidcIdentitySchema,
});

export const attributeMappingSchema = z.strictObject({
  email: attributeName,
  givenName: attributeName,
  familyName: attributeName,
  displayName: attributeName,
  groups: attributeName,
});

/** What every connection carries besides its protocol settings: mapping, provisioning, MFA, domains. */
export const connectionPolicySchema = z.strictObject({
  attributeMapping: attributeMappingSchema,
  groupRoleMappings: z.array(z.strictObject({ group: z.string().min(1).max(500), role: roleKey })).max(500),
  jit: z.strictObject({
    enabled: z.boolean(),
    defaultRoles: z.array(roleKey).max(50),
    /** A first login may link an existing user of the organization with the same email (off when absent). */
    linkByEmail: z.boolean().optional(),
  }),
  mfa: z.strictObject({ required: z.boolean() }),
  /** The verified domains of the organization whose users this connection signs in. */
  domains: z.array(domainName).max(100),
});

const connectionKey = { orgId: orgIdSchema, connectionId: connectionIdSchema };
const protocolSettings = {
  saml: samlConnectionSettingsSchema.nullable(),
  oidc: oidcConnectionSettingsSchema.nullable(),
};

/** A new SSO connection, disabled until a test of its settings succeeds. */
export const ConnectionCreatedV1 = defineIntegrationEvent(
  'authn.connection.created',
  1,
  z.strictObject({
    ...connectionKey,
    kind: connectionKindSchema,
    name: z.string().min(1).max(200),
    ...protocolSettings,
    policy: connectionPolicySchema,
    /** Starts at 1 and grows with each change of the protocol settings; a test is of one version. */
    settingsVersion: z.number().int().min(1),
    createdAt: at,
  }),
);

/** The connection's settings after a change; `settingsVersion` grew if the protocol settings changed. */
export const ConnectionUpdatedV1 = defineIntegrationEvent(
  'authn.connection.updated',
  1,
  z.strictObject({
    ...connectionKey,
    name: z.string().min(1).max(200),
    ...protocolSettings,
    policy: connectionPolicySchema,
    settingsVersion: z.number().int().min(1),
    /** The top-level fields the change touched (`name`, `saml`, `domains`, …). */
    changed: z.array(z.string().max(64)).max(20),
    updatedAt: at,
  }),
);

/** The outcome of testing one version of the settings against the IdP. */
export const ConnectionTestedV1 = defineIntegrationEvent(
  'authn.connection.tested',
  1,
  z.strictObject({
    ...connectionKey,
    settingsVersion: z.number().int().min(1),
    ok: z.boolean(),
    /** A stable reason code for a failed test (`oidc_discovery_failed`, …). */
    reason: z.string().max(100).nullable(),
    message: z.string().max(2000).nullable(),
    testedAt: at,
  }),
);

export const ConnectionEnabledV1 = defineIntegrationEvent(
  'authn.connection.enabled',
  1,
  z.strictObject({ ...connectionKey, settingsVersion: z.number().int().min(1), enabledAt: at }),
);

export const connectionDisabledReasonSchema = z.enum(['admin', 'settings_changed']);

export const ConnectionDisabledV1 = defineIntegrationEvent(
  'authn.connection.disabled',
  1,
  z.strictObject({ ...connectionKey, reason: connectionDisabledReasonSchema, disabledAt: at }),
);

export const ConnectionDeletedV1 = defineIntegrationEvent(
  'authn.connection.deleted',
  1,
  z.strictObject({ ...connectionKey, deletedAt: at }),
);

export type SamlConnectionSettings = z.output<typeof samlConnectionSettingsSchema>;
export type OidcConnectionSettings = z.output<typeof oidcConnectionSettingsSchema>;
export type ConnectionPolicy = z.output<typeof connectionPolicySchema>;
export type AttributeMapping = z.output<typeof attributeMappingSchema>;
export type ConnectionKind = z.output<typeof connectionKindSchema>;
export type ConnectionDisabledReason = z.output<typeof connectionDisabledReasonSchema>;

export type ConnectionCreated = EventOf<typeof ConnectionCreatedV1>;
export type ConnectionUpdated = EventOf<typeof ConnectionUpdatedV1>;
export type ConnectionTested = EventOf<typeof ConnectionTestedV1>;
export type ConnectionEnabled = EventOf<typeof ConnectionEnabledV1>;
export type ConnectionDisabled = EventOf<typeof ConnectionDisabledV1>;
export type ConnectionDeleted = EventOf<typeof ConnectionDeletedV1>;
export type ConnectionEvent =
  | ConnectionCreated
  | ConnectionUpdated
  | ConnectionTested
  | ConnectionEnabled
  | ConnectionDisabled
  | ConnectionDeleted;

export const connectionStream = (connectionId: string): string => `connection-${connectionId}`;
