import {
  AgentDeletedV1,
  AgentReactivatedV1,
  AgentRegisteredV1,
  AgentSuspendedV1,
  AgentUpdatedV1,
  ApiKeyIssuedV1,
  ApiKeyRevokedV1,
  ClientCredentialsRotatedV1,
  ClientDeletedV1,
  ClientRegisteredV1,
  ConnectionCreatedV1,
  ConnectionDeletedV1,
  ConnectionDisabledV1,
  ConnectionEnabledV1,
  ConnectionTestedV1,
  ConnectionUpdatedV1,
  contextOf,
  DirectoryAttributesDeclaredV1,
  DirectoryCreatedV1,
  DirectoryDeletedV1,
  DirectoryRenamedV1,
  DirectorySigningSecretSetV1,
  DirectoryTokenIssuedV1,
  DirectoryTokenRevokedV1,
  DomainAddedV1,
  DomainRemovedV1,
  DomainVerifiedV1,
  GrantIssuedV1,
  GrantRevokedV1,
  GroupCreatedV1,
  GroupDeletedV1,
  GroupMappingCreatedV1,
  GroupMappingDeletedV1,
  GroupMemberAddedV1,
  GroupMemberRemovedV1,
  GroupUpdatedV1,
  IdentityLinkedV1,
  IdentityProvisioningRequestedV1,
  LoginFailedV1,
  type LoginRequest,
  LoginSucceededV1,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateResumedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
  MfaFactorRemovedV1,
  MfaFactorUsedV1,
  MfaRecoveryCodesGeneratedV1,
  MfaRecoveryCodeUsedV1,
  MfaTotpConfirmedV1,
  MfaTotpEnrolledV1,
  MfaWebauthnRegisteredV1,
  ModelWrittenV1,
  OrganizationCreatedV1,
  OrganizationDeletedV1,
  OrganizationRenamedV1,
  PrincipalPermissionsChangedV1,
  RoleAssignedV1,
  RoleCreatedV1,
  RoleDeletedV1,
  RoleUnassignedV1,
  RoleUpdatedV1,
  SessionRevokedV1,
  SigningKeyGeneratedV1,
  SigningKeyRetiredV1,
  TuplesDeletedV1,
  TuplesWrittenV1,
  UserDeactivatedV1,
  UserDeactivationScheduledV1,
  UserDeletedV1,
  UserProvisionedV1,
  UserReactivatedV1,
  UserUpdatedV1,
  type ConnectionCreated,
} from '@mandate/contracts';
import { type Actor, type Event, type RecordedEvent } from '@mandate/kernel';
import {
  type AuditActor,
  type AuditActorType,
  type AuditContext,
  type AuditRecord,
  type AuditSource,
  type AuditTarget,
  instant,
} from './audit-record';
import { type JsonObject } from './json-schema';
import { boundMetadata, jsonObject } from './metadata';

/** What an event says about itself, beyond what every envelope gives. */
interface Description {
  readonly targets: readonly AuditTarget[];
  readonly metadata?: Record<string, unknown>;
  readonly reason?: string;
  readonly context?: Pick<AuditContext, 'mandateId' | 'grantId' | 'ip' | 'userAgent' | 'requestId'>;
  /** A refusal the event records (a failed sign-in); events are successes otherwise. */
  readonly outcome?: 'failure';
  /** Replaces the envelope's actor, when the data knows better who acted (the holder of an issued token). */
  readonly actor?: AuditActor;
}

interface Definition<Data> {
  readonly type: string;
  is(event: RecordedEvent): event is RecordedEvent<Event<string, Data>>;
}

interface Rule {
  readonly definition: Definition<unknown>;
  readonly describe: (data: unknown) => Description;
}

const on = <Data>(definition: Definition<Data>, describe: (data: Data) => Description): Rule => ({
  definition,
  describe: describe as (data: unknown) => Description,
});

// ---- targets ----

const target = (type: string, id: string, name?: string | null): AuditTarget =>
  name ? { type, id, name } : { type, id };

/** `usr_…` is a user, `agt_…` an agent; anything else that holds tokens is a client. */
const principalTypeOf = (id: string): 'user' | 'agent' | 'client' =>
  id.startsWith('usr_') ? 'user' : id.startsWith('agt_') ? 'agent' : 'client';

const principal = (id: string): AuditTarget => target(principalTypeOf(id), id);

/** A role subject (`user:usr_…`, `agent:agt_…`, `group:grp_…#member`) as a target. */
const roleSubject = (subject: string): AuditTarget => {
  const [type = 'principal', rest = subject] = subject.split(':', 2);
  return target(type, rest.replace(/#member$/, ''));
};

const organization = (orgId: string, name?: string): AuditTarget => target('organization', orgId, name);

// ---- actors ----

const AGENT_OR_USER_CLIENT = /^[^:]+$/;

/** How the envelope's actor authenticated, when its shape tells. */
const authMethodOf = (actor: Actor): string | undefined => {
  if (actor.type === 'directory')
    return actor.via?.startsWith('scim_token:')
      ? 'scim_token'
      : actor.via?.startsWith('hris:')
        ? 'hris_signature'
        : undefined;
  if (actor.type === 'service' && actor.id.startsWith('api_key:')) return 'api_key';
  if (actor.type === 'system' && actor.id === 'admin_key') return 'admin_key';
  if (actor.type === 'agent') return actor.onBehalfOf ? 'delegated_token' : 'access_token';
  if (actor.type === 'user' && actor.via) return 'access_token';
  return undefined;
};

/** The envelope's actor; for users, agents and services `via` names the client they came through. */
export const auditActorOf = (actor: Actor): AuditActor => {
  const clientId =
    (actor.type === 'user' || actor.type === 'agent') && actor.via && AGENT_OR_USER_CLIENT.test(actor.via)
      ? actor.via
      : undefined;
  return {
    type: actor.type,
    id: actor.id,
    chain: actor.onBehalfOf ? [actor.onBehalfOf, actor.id] : [actor.id],
    ...(clientId && { clientId }),
    ...(actor.onBehalfOf && { onBehalfOf: actor.onBehalfOf }),
  };
};

/**
 * Who holds the tokens of an issued grant. A delegated grant's `actorChain` runs current actor
 * first (as RFC 8693 nests `act`); the audit chain runs the other way, from the human outwards.
 */
const tokenHolder = (grant: {
  subject: string;
  actor: string | null;
  actorChain: string[];
  clientId: string;
}): AuditActor => {
  const delegates = grant.actorChain.length > 0 ? grant.actorChain : grant.actor ? [grant.actor] : [];
  if (delegates.length === 0) {
    const kind = principalTypeOf(grant.subject);
    const type: AuditActorType = kind === 'client' ? 'service' : kind;
    return { type, id: grant.subject, chain: [grant.subject], clientId: grant.clientId };
  }
  const chain = [grant.subject, ...[...delegates].reverse()];
  return {
    type: 'agent',
    id: chain[chain.length - 1]!,
    chain,
    clientId: grant.clientId,
    onBehalfOf: grant.subject,
  };
};

// ---- the rules, one per integration event ----

const profileFields = (profile: Record<string, unknown>, fields: readonly string[]) =>
  Object.fromEntries(fields.filter((field) => field in profile).map((field) => [field, profile[field]]));

const TUPLES_IN_METADATA = 50;
const tupleSummary = (tuples: readonly unknown[]) => ({
  count: tuples.length,
  tuples: tuples.slice(0, TUPLES_IN_METADATA),
  ...(tuples.length > TUPLES_IN_METADATA && { truncated: true }),
});

/** What an auditor needs of a connection's settings: the IdP and the security switches, never a secret. */
const connectionSummary = (data: {
  saml: ConnectionCreated['data']['saml'];
  oidc: ConnectionCreated['data']['oidc'];
  policy: ConnectionCreated['data']['policy'];
}) => ({
  ...(data.saml && {
    saml: {
      idpSource: data.saml.idpSource,
      idpEntityId: data.saml.idpEntityId,
      idpSsoUrl: data.saml.idpSsoUrl,
      idpCertificates: data.saml.idpCertificates.length,
      wantAssertionsSigned: data.saml.wantAssertionsSigned,
      allowUnsignedAssertions: data.saml.allowUnsignedAssertions,
      signAuthnRequests: data.saml.signAuthnRequests,
      allowIdpInitiated: data.saml.allowIdpInitiated,
      relayStateAllowList: data.saml.relayStateAllowList,
      clockSkewSeconds: data.saml.clockSkewSeconds,
    },
  }),
  ...(data.oidc && {
    oidc: {
      issuer: data.oidc.issuer,
      clientId: data.oidc.clientId,
      clientAuth: data.oidc.clientAuth,
      privateKeyId: data.oidc.privateKeyId,
      scopes: data.oidc.scopes,
      identity: data.oidc.identity,
    },
  }),
  domains: data.policy.domains,
  jit: data.policy.jit,
  mfaRequired: data.policy.mfa.required,
  groupRoleMappings: data.policy.groupRoleMappings.length,
});

/** The request a sign-in came with, as the audit context carries it. */
const requestContextOf = (request: LoginRequest): Description['context'] => ({
  ...(request.ip !== null && { ip: request.ip }),
  ...(request.userAgent !== null && { userAgent: request.userAgent }),
  ...(request.requestId !== null && { requestId: request.requestId }),
});

const RULES: readonly Rule[] = [
  // -- domains --
  on(DomainAddedV1, (data) => ({
    targets: [target('domain', data.domain), organization(data.orgId)],
    metadata: { domain: data.domain, addedAt: data.addedAt },
  })),
  on(DomainVerifiedV1, (data) => ({
    targets: [target('domain', data.domain), organization(data.orgId)],
    metadata: { domain: data.domain, verifiedAt: data.verifiedAt },
  })),
  on(DomainRemovedV1, (data) => ({
    targets: [target('domain', data.domain), organization(data.orgId)],
    reason: data.reason,
    metadata: { domain: data.domain, removedAt: data.removedAt },
  })),

  // -- directories --
  on(DirectoryCreatedV1, (data) => ({
    targets: [target('directory', data.directoryId, data.name)],
    metadata: {
      name: data.name,
      kind: data.kind,
      provider: data.provider,
      linkedDirectoryId: data.linkedDirectoryId,
      createdAt: data.createdAt,
    },
  })),
  on(DirectoryRenamedV1, (data) => ({
    targets: [target('directory', data.directoryId, data.name)],
    metadata: { name: data.name },
  })),
  on(DirectoryTokenIssuedV1, (data) => ({
    targets: [target('directory_token', data.tokenId), target('directory', data.directoryId)],
    metadata: { tokenId: data.tokenId, lastFour: data.lastFour, issuedAt: data.issuedAt },
  })),
  on(DirectoryTokenRevokedV1, (data) => ({
    targets: [target('directory_token', data.tokenId), target('directory', data.directoryId)],
    reason: data.reason,
    metadata: { tokenId: data.tokenId, revokedAt: data.revokedAt },
  })),
  on(DirectorySigningSecretSetV1, (data) => ({
    targets: [target('directory', data.directoryId)],
    metadata: { secretId: data.secretId, setAt: data.setAt },
  })),
  on(DirectoryAttributesDeclaredV1, (data) => ({
    targets: [target('directory', data.directoryId)],
    metadata: {
      resourceType: data.resourceType,
      schemaUrn: data.schemaUrn,
      attributes: data.attributes.map((attribute) => attribute.name),
    },
  })),
  on(DirectoryDeletedV1, (data) => ({
    targets: [target('directory', data.directoryId)],
    metadata: { deletedAt: data.deletedAt },
  })),

  // -- users --
  on(UserProvisionedV1, (data) => ({
    targets: [target('user', data.userId, data.userName), target('directory', data.directoryId)],
    metadata: {
      directoryId: data.directoryId,
      externalId: data.externalId,
      userName: data.userName,
      active: data.active,
      profile: data.profile,
      source: data.source,
    },
  })),
  on(UserUpdatedV1, (data) => ({
    targets: [target('user', data.userId, data.userName), target('directory', data.directoryId)],
    metadata: {
      directoryId: data.directoryId,
      changed: data.changed,
      previous: data.previous,
      current: profileFields(data.profile, Object.keys(data.previous)),
      source: data.source,
    },
  })),
  on(UserDeactivatedV1, (data) => ({
    targets: [target('user', data.userId), target('directory', data.directoryId)],
    reason: data.reason,
    metadata: { directoryId: data.directoryId, source: data.source, effectiveAt: data.effectiveAt },
  })),
  on(UserDeactivationScheduledV1, (data) => ({
    targets: [target('user', data.userId), target('directory', data.directoryId)],
    reason: data.reason,
    metadata: { directoryId: data.directoryId, source: data.source, effectiveAt: data.effectiveAt },
  })),
  on(UserReactivatedV1, (data) => ({
    targets: [target('user', data.userId), target('directory', data.directoryId)],
    metadata: { directoryId: data.directoryId, source: data.source, effectiveAt: data.effectiveAt },
  })),
  on(UserDeletedV1, (data) => ({
    targets: [target('user', data.userId), target('directory', data.directoryId)],
    reason: data.reason,
    metadata: { directoryId: data.directoryId, source: data.source, deletedAt: data.deletedAt },
  })),

  // -- groups --
  on(GroupCreatedV1, (data) => ({
    targets: [target('group', data.groupId, data.displayName), target('directory', data.directoryId)],
    metadata: {
      directoryId: data.directoryId,
      externalId: data.externalId,
      displayName: data.displayName,
      source: data.source,
    },
  })),
  on(GroupUpdatedV1, (data) => ({
    targets: [target('group', data.groupId, data.displayName), target('directory', data.directoryId)],
    metadata: {
      directoryId: data.directoryId,
      displayName: data.displayName,
      changed: data.changed,
      source: data.source,
    },
  })),
  on(GroupDeletedV1, (data) => ({
    targets: [target('group', data.groupId), target('directory', data.directoryId)],
    reason: data.reason,
    metadata: { directoryId: data.directoryId, source: data.source, deletedAt: data.deletedAt },
  })),
  on(GroupMemberAddedV1, (data) => ({
    targets: [target('group', data.groupId), target(data.memberType, data.memberId)],
    metadata: {
      directoryId: data.directoryId,
      memberId: data.memberId,
      memberType: data.memberType,
      source: data.source,
    },
  })),
  on(GroupMemberRemovedV1, (data) => ({
    targets: [target('group', data.groupId), target(data.memberType, data.memberId)],
    reason: data.reason,
    metadata: {
      directoryId: data.directoryId,
      memberId: data.memberId,
      memberType: data.memberType,
      source: data.source,
    },
  })),

  // -- agents --
  on(AgentRegisteredV1, (data) => ({
    targets: [
      target('agent', data.agentId, data.displayName),
      ...data.ownerIds.map((id) => target('user', id)),
    ],
    metadata: {
      directoryId: data.directoryId,
      externalId: data.externalId,
      displayName: data.displayName,
      description: data.description,
      ownerIds: data.ownerIds,
      source: data.source,
      registeredAt: data.registeredAt,
    },
  })),
  on(AgentUpdatedV1, (data) => ({
    targets: [target('agent', data.agentId, data.displayName)],
    metadata: {
      displayName: data.displayName,
      description: data.description,
      ownerIds: data.ownerIds,
      changed: data.changed,
      source: data.source,
    },
  })),
  on(AgentSuspendedV1, (data) => ({
    targets: [target('agent', data.agentId), ...(data.ownerId ? [target('user', data.ownerId)] : [])],
    reason: data.reason,
    metadata: { ownerId: data.ownerId, suspendedAt: data.suspendedAt },
  })),
  on(AgentReactivatedV1, (data) => ({
    targets: [target('agent', data.agentId)],
    metadata: { reactivatedAt: data.reactivatedAt },
  })),
  on(AgentDeletedV1, (data) => ({
    targets: [target('agent', data.agentId)],
    reason: data.reason,
    metadata: { deletedAt: data.deletedAt },
  })),

  // -- organizations and their API keys --
  on(OrganizationCreatedV1, (data) => ({
    targets: [organization(data.orgId, data.name)],
    metadata: { name: data.name, createdAt: data.createdAt },
  })),
  on(OrganizationRenamedV1, (data) => ({
    targets: [organization(data.orgId, data.name)],
    metadata: { name: data.name },
  })),
  on(OrganizationDeletedV1, (data) => ({
    targets: [organization(data.orgId)],
    metadata: { deletedAt: data.deletedAt },
  })),
  on(ApiKeyIssuedV1, (data) => ({
    targets: [target('api_key', data.keyId, data.name), organization(data.orgId)],
    metadata: { keyId: data.keyId, name: data.name, lastFour: data.lastFour, issuedAt: data.issuedAt },
  })),
  on(ApiKeyRevokedV1, (data) => ({
    targets: [target('api_key', data.keyId), organization(data.orgId)],
    reason: data.reason,
    metadata: { keyId: data.keyId, revokedAt: data.revokedAt },
  })),

  // -- authn: signing keys, clients, grants --
  on(SigningKeyGeneratedV1, (data) => ({
    targets: [target('signing_key', data.kid)],
    metadata: { kid: data.kid, alg: data.alg, generatedAt: data.generatedAt, activeFrom: data.activeFrom },
  })),
  on(SigningKeyRetiredV1, (data) => ({
    targets: [target('signing_key', data.kid)],
    metadata: { kid: data.kid, retiredAt: data.retiredAt, publishedUntil: data.publishedUntil },
  })),
  on(ClientRegisteredV1, (data) => ({
    targets: [
      target('client', data.clientId, data.name),
      ...(data.agentId ? [target('agent', data.agentId)] : []),
    ],
    metadata: {
      name: data.name,
      kind: data.kind,
      agentId: data.agentId,
      redirectUris: data.redirectUris,
      grantTypes: data.grantTypes,
      tokenEndpointAuthMethod: data.tokenEndpointAuthMethod,
      publicKeys: data.jwks?.keys.length ?? 0,
      scopes: data.scopes,
      audiences: data.audiences,
      registeredAt: data.registeredAt,
    },
  })),
  on(ClientCredentialsRotatedV1, (data) => ({
    targets: [target('client', data.clientId)],
    metadata: {
      secretRotated: data.secretHash !== null,
      publicKeys: data.jwks?.keys.length ?? 0,
      rotatedAt: data.rotatedAt,
    },
  })),
  on(ClientDeletedV1, (data) => ({
    targets: [target('client', data.clientId)],
    metadata: { deletedAt: data.deletedAt },
  })),
  on(GrantIssuedV1, (data) => ({
    actor: tokenHolder(data),
    targets: [target('grant', data.grantId), principal(data.subject), target('client', data.clientId)],
    context: { grantId: data.grantId, ...(data.mandateId && { mandateId: data.mandateId }) },
    metadata: {
      subject: data.subject,
      clientId: data.clientId,
      grantType: data.grantType,
      scope: data.scope,
      audience: data.audience,
      issuedAt: data.issuedAt,
      expiresAt: data.expiresAt,
    },
  })),
  on(GrantRevokedV1, (data) => ({
    targets: [target('grant', data.grantId), principal(data.subject), target('client', data.clientId)],
    reason: data.reason,
    context: { grantId: data.grantId },
    metadata: {
      subject: data.subject,
      clientId: data.clientId,
      actor: data.actor,
      revokedAt: data.revokedAt,
      expiresAt: data.expiresAt,
    },
  })),

  // -- authn: sign-in sessions (ended before their time: revoked, a leaver's, or signed out) --
  on(SessionRevokedV1, (data) => ({
    targets: [
      target('user', data.userId),
      target('session', data.sessionId),
      ...data.clients.map(({ clientId }) => target('client', clientId)),
    ],
    reason: data.reason,
    metadata: {
      sessionId: data.sessionId,
      clients: data.clients.map(({ clientId }) => clientId),
      grants: data.clients.flatMap(({ grantId }) => (grantId === null ? [] : [grantId])),
      authenticatedAt: data.authenticatedAt,
      revokedAt: data.revokedAt,
    },
  })),

  // -- authn: SSO connections (secrets stay out: only whether the connection holds them) --
  on(ConnectionCreatedV1, (data) => ({
    targets: [target('connection', data.connectionId, data.name), organization(data.orgId)],
    metadata: {
      kind: data.kind,
      name: data.name,
      ...connectionSummary(data),
      settingsVersion: data.settingsVersion,
      createdAt: data.createdAt,
    },
  })),
  on(ConnectionUpdatedV1, (data) => ({
    targets: [target('connection', data.connectionId, data.name), organization(data.orgId)],
    metadata: {
      name: data.name,
      changed: data.changed,
      ...connectionSummary(data),
      settingsVersion: data.settingsVersion,
      updatedAt: data.updatedAt,
    },
  })),
  on(ConnectionTestedV1, (data) => ({
    targets: [target('connection', data.connectionId), organization(data.orgId)],
    ...(data.reason !== null && { reason: data.reason }),
    metadata: {
      ok: data.ok,
      settingsVersion: data.settingsVersion,
      message: data.message,
      testedAt: data.testedAt,
    },
  })),
  on(ConnectionEnabledV1, (data) => ({
    targets: [target('connection', data.connectionId), organization(data.orgId)],
    metadata: { settingsVersion: data.settingsVersion, enabledAt: data.enabledAt },
  })),
  on(ConnectionDisabledV1, (data) => ({
    targets: [target('connection', data.connectionId), organization(data.orgId)],
    reason: data.reason,
    metadata: { disabledAt: data.disabledAt },
  })),
  on(ConnectionDeletedV1, (data) => ({
    targets: [target('connection', data.connectionId), organization(data.orgId)],
    metadata: { deletedAt: data.deletedAt },
  })),

  // -- authn: second factors (secrets, public keys and code hashes stay out) --
  on(MfaTotpEnrolledV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    metadata: { kind: 'totp', algorithm: data.algorithm, digits: data.digits, period: data.period },
  })),
  on(MfaTotpConfirmedV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    metadata: { kind: 'totp', confirmedAt: data.confirmedAt },
  })),
  on(MfaWebauthnRegisteredV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId, data.name)],
    metadata: {
      kind: 'webauthn',
      name: data.name,
      aaguid: data.aaguid,
      transports: data.transports,
      deviceType: data.deviceType,
      backedUp: data.backedUp,
      userVerified: data.userVerified,
    },
  })),
  on(MfaRecoveryCodesGeneratedV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    metadata: { kind: 'recovery_codes', count: data.codeHashes.length },
  })),
  on(MfaRecoveryCodeUsedV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    metadata: { kind: 'recovery_codes', remaining: data.remaining },
  })),
  on(MfaFactorUsedV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    metadata: { kind: data.kind, ...(data.kind === 'webauthn' && { userVerified: data.userVerified }) },
  })),
  on(MfaFactorRemovedV1, (data) => ({
    targets: [target('user', data.userId), target('mfa_factor', data.factorId)],
    reason: data.reason,
    metadata: { kind: data.kind },
  })),

  // -- authn: sign-ins through SSO connections --
  on(IdentityLinkedV1, (data) => ({
    targets: [target('user', data.userId), target('connection', data.connectionId)],
    metadata: {
      connectionId: data.connectionId,
      subject: data.subject,
      via: data.via,
      linkedAt: data.linkedAt,
    },
  })),
  on(IdentityProvisioningRequestedV1, (data) => ({
    targets: [target('user', data.userId, data.userName), target('connection', data.connectionId)],
    metadata: {
      connectionId: data.connectionId,
      subject: data.subject,
      userName: data.userName,
      email: data.email,
      requestedAt: data.requestedAt,
    },
  })),
  on(LoginSucceededV1, (data) => ({
    actor: {
      type: 'user',
      id: data.userId,
      chain: [data.userId],
      ...(data.clientId && { clientId: data.clientId }),
    },
    targets: [target('user', data.userId), target('connection', data.connectionId)],
    context: requestContextOf(data.request),
    metadata: {
      method: data.method,
      connectionId: data.connectionId,
      subject: data.subject,
      amr: data.amr,
      acr: data.acr,
      mfaFactor: data.mfaFactor,
      roles: data.roles,
      clientId: data.clientId,
      idpInitiated: data.idpInitiated,
    },
  })),
  on(LoginFailedV1, (data) => ({
    outcome: 'failure',
    reason: data.reason,
    targets: [...(data.userId ? [target('user', data.userId)] : []), target('connection', data.connectionId)],
    context: requestContextOf(data.request),
    metadata: {
      method: data.method,
      connectionId: data.connectionId,
      subject: data.subject,
      detail: data.detail,
    },
  })),

  // -- authz: policy --
  on(RoleCreatedV1, (data) => ({
    targets: [target('role', data.roleId, data.name)],
    metadata: {
      key: data.key,
      name: data.name,
      permissions: data.permissions,
      includes: data.includes,
      system: data.system,
    },
  })),
  on(RoleUpdatedV1, (data) => ({
    targets: [target('role', data.roleId, data.name)],
    metadata: {
      name: data.name,
      permissions: data.permissions,
      includes: data.includes,
      removedPermissions: data.removedPermissions,
    },
  })),
  on(RoleDeletedV1, (data) => ({ targets: [target('role', data.roleId)] })),
  on(RoleAssignedV1, (data) => ({
    targets: [roleSubject(data.subject), target('role', data.roleId)],
    metadata: {
      roleId: data.roleId,
      subject: data.subject,
      resource: data.resource,
      mappingId: data.mappingId,
    },
  })),
  on(RoleUnassignedV1, (data) => ({
    targets: [roleSubject(data.subject), target('role', data.roleId)],
    reason: data.reason,
    metadata: {
      roleId: data.roleId,
      subject: data.subject,
      resource: data.resource,
      mappingId: data.mappingId,
    },
  })),
  on(GroupMappingCreatedV1, (data) => ({
    targets: [target('group_mapping', data.mappingId), target('role', data.roleId)],
    metadata: { source: data.source, roleId: data.roleId, resource: data.resource },
  })),
  on(GroupMappingDeletedV1, (data) => ({ targets: [target('group_mapping', data.mappingId)] })),
  on(ModelWrittenV1, (data) => ({
    targets: [target('authorization_model', `${data.orgId}@${data.version}`)],
    metadata: { version: data.version, types: Object.keys(data.model).length },
  })),
  on(TuplesWrittenV1, (data) => ({
    targets: [organization(data.orgId)],
    metadata: tupleSummary(data.tuples),
  })),
  on(TuplesDeletedV1, (data) => ({
    targets: [organization(data.orgId)],
    metadata: tupleSummary(data.tuples),
  })),
  on(PrincipalPermissionsChangedV1, (data) => ({
    targets: [roleSubject(data.subject)],
    metadata: { permissions: data.permissions, removed: data.removed },
  })),

  // -- authz: mandates --
  on(MandateGrantedV1, (data) => ({
    targets: [target('mandate', data.mandateId), target('agent', data.agentId), target('user', data.userId)],
    reason: data.reason,
    context: { mandateId: data.mandateId },
    metadata: {
      userId: data.userId,
      agentId: data.agentId,
      permissions: data.permissions,
      resources: data.resources,
      expiresAt: data.expiresAt,
      grantedBy: data.grantedBy,
      grantedAt: data.grantedAt,
    },
  })),
  on(MandateNarrowedV1, (data) => ({
    targets: [target('mandate', data.mandateId), target('agent', data.agentId), target('user', data.userId)],
    context: { mandateId: data.mandateId },
    metadata: {
      userId: data.userId,
      agentId: data.agentId,
      removedPermissions: data.removedPermissions,
      permissions: data.permissions,
      narrowedAt: data.narrowedAt,
    },
  })),
  on(MandateRevokedV1, (data) => ({
    targets: [target('mandate', data.mandateId), target('agent', data.agentId), target('user', data.userId)],
    reason: data.reason,
    context: { mandateId: data.mandateId },
    metadata: { userId: data.userId, agentId: data.agentId, revokedAt: data.revokedAt },
  })),
  on(MandateSuspendedV1, (data) => ({
    targets: [target('mandate', data.mandateId), target('agent', data.agentId), target('user', data.userId)],
    reason: data.reason,
    context: { mandateId: data.mandateId },
    metadata: { userId: data.userId, agentId: data.agentId, suspendedAt: data.suspendedAt },
  })),
  on(MandateResumedV1, (data) => ({
    targets: [target('mandate', data.mandateId), target('agent', data.agentId), target('user', data.userId)],
    context: { mandateId: data.mandateId },
    metadata: { userId: data.userId, agentId: data.agentId, resumedAt: data.resumedAt },
  })),
];

const rulesByType = new Map<string, Rule[]>();
for (const rule of RULES)
  rulesByType.set(rule.definition.type, [...(rulesByType.get(rule.definition.type) ?? []), rule]);

/** The event types (of every version) that become audit records. */
export const AUDITED_EVENT_TYPES: readonly string[] = [...rulesByType.keys()];

/** `directory.user.deactivated` → `user.deactivated`: the event type without its context. */
export const actionOf = (eventType: string): string => eventType.slice(eventType.indexOf('.') + 1);

const sourceOf = (eventType: string): AuditSource | null => {
  const context = contextOf(eventType);
  return context === 'directory' || context === 'authn' || context === 'authz' ? context : null;
};

/**
 * The audit record of an identity event of the directory (organizations included), authn or authz
 * context, or null for any other type or version. The record's id is the event's, so a cascade's
 * records chain by `context.causationId` exactly as its events do, and share their correlation id.
 * Data is trusted as the transports validate it against the contract before delivery.
 */
export const auditRecordFor = (event: RecordedEvent): AuditRecord | null => {
  const source = sourceOf(event.type);
  const rule = source && rulesByType.get(event.type)?.find((candidate) => candidate.definition.is(event));
  if (!source || !rule) return null;
  const description = rule.describe(event.data);
  const authMethod = authMethodOf(event.actor);
  const context: AuditContext = {
    correlationId: event.correlationId,
    ...(event.causationId !== null && { causationId: event.causationId }),
    ...(authMethod && !description.actor && { authMethod }),
    ...description.context,
  };
  const metadata: JsonObject = boundMetadata(jsonObject(description.metadata ?? {}));
  return {
    id: event.id,
    orgId: event.orgId,
    occurredAt: instant(event.occurredAt),
    actor: description.actor ?? auditActorOf(event.actor),
    action: actionOf(event.type),
    targets: description.targets,
    outcome: description.outcome ?? 'success',
    ...(description.reason !== undefined && { reason: description.reason }),
    context,
    metadata,
    source,
  };
};
