import { z } from 'zod';
import { connectionIdSchema } from './connection-events';
import { orgIdSchema, userIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

const at = z.iso.datetime();
const roleKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/);
/** The IdP's stable name for the person under one connection: SAML NameID, OIDC `sub`, Entra `tid:oid`. */
const subject = z.string().min(1).max(1024);
/** RFC 8176 method names as the IdP and Mandate state them. */
const amr = z.array(z.string().min(1).max(32)).max(20);
const profileText = z.string().max(256).nullable();

export const loginMethodSchema = z.enum(['saml', 'oidc']);
export type LoginMethod = z.infer<typeof loginMethodSchema>;

/** Where a sign-in came from, as the HTTP request told (for the audit log; never used to decide). */
export const loginRequestSchema = z.strictObject({
  ip: z.string().max(64).nullable(),
  userAgent: z.string().max(1000).nullable(),
  requestId: z.string().max(200).nullable(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/**
 * A person at a connection's IdP is from now on this organization's user: `(connectionId, subject)`
 * names them, never their email. `jit`: the user was created for this first login; `email`: an
 * existing user with the same email was linked because the connection trusts emails for linking.
 */
export const IdentityLinkedV1 = defineIntegrationEvent(
  'authn.identity.linked',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    connectionId: connectionIdSchema,
    subject,
    userId: userIdSchema,
    via: z.enum(['jit', 'email']),
    linkedAt: at,
  }),
);

/**
 * Authn asks the directory to create a user for a first SSO login (just-in-time provisioning).
 * The directory owns users: it creates `userId` (chosen here, so the request is idempotent) in the
 * connection's just-in-time directory, and authn signs the person in once it has learnt the user.
 */
export const IdentityProvisioningRequestedV1 = defineIntegrationEvent(
  'authn.identity.provisioning_requested',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    connectionId: connectionIdSchema,
    connectionName: z.string().min(1).max(200),
    subject,
    userId: userIdSchema,
    userName: z.string().min(1).max(512),
    email: z.string().max(320).nullable(),
    givenName: profileText,
    familyName: profileText,
    displayName: profileText,
    requestedAt: at,
  }),
);

/**
 * A person signed in through an SSO connection and Mandate's authorization server continued with
 * them. `roles` are those the connection maps the IdP's groups to (and, for a just-in-time user,
 * its default roles): what authz applies for SSO-asserted roles.
 */
export const LoginSucceededV1 = defineIntegrationEvent(
  'authn.login.succeeded',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    userId: userIdSchema,
    connectionId: connectionIdSchema,
    method: loginMethodSchema,
    subject,
    amr,
    acr: z.string().min(1).max(200),
    /** The second factor Mandate checked after the IdP, if it asked for one. */
    mfaFactor: z.enum(['totp', 'webauthn', 'recovery_codes']).nullable(),
    groups: z.array(z.string().min(1).max(500)).max(200),
    roles: z.array(roleKey).max(100),
    clientId: z.string().max(200).nullable(),
    idpInitiated: z.boolean(),
    request: loginRequestSchema,
    succeededAt: at,
  }),
);

/** Why a sign-in was refused: a SAML or OIDC reason, or one of the login flow's own. */
export const loginFailureReasonSchema = z.string().regex(/^[a-z][a-z0-9_]{2,63}$/);

/** A sign-in through an SSO connection was refused; nobody was signed in. */
export const LoginFailedV1 = defineIntegrationEvent(
  'authn.login.failed',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    connectionId: connectionIdSchema,
    method: loginMethodSchema,
    reason: loginFailureReasonSchema,
    /** For people: what went wrong, never a secret or the posted message. */
    detail: z.string().max(500),
    /** Who it was, when the IdP's answer had been verified far enough to know. */
    userId: userIdSchema.nullable(),
    subject: subject.nullable(),
    request: loginRequestSchema,
    failedAt: at,
  }),
);

export type IdentityLinked = EventOf<typeof IdentityLinkedV1>;
export type IdentityProvisioningRequested = EventOf<typeof IdentityProvisioningRequestedV1>;
export type LoginSucceeded = EventOf<typeof LoginSucceededV1>;
export type LoginFailed = EventOf<typeof LoginFailedV1>;
export type IdentityEvent = IdentityLinked | IdentityProvisioningRequested;
export type LoginEvent = LoginSucceeded | LoginFailed;

/** The events of one sign-in (its outcome) live in a stream of their own. */
export const loginStream = (loginId: string): string => `login-${loginId}`;
