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
  INSTANCE_ORG_ID,
  type IntegrationEventDefinition,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateResumedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
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
} from '@mandate/contracts';
import { type Actor, type Event, type RecordedEvent } from '@mandate/kernel';
import { type z } from 'zod';

/** Fixed ids and clock for audit tests. */
export const orgId = 'org_01jqk6ry4b000000000000000a';
export const directoryId = 'dir_01jqk6ry4b000000000000000d';
export const userId = 'usr_01jqk6ry4b00000000000000u1';
export const ownerId = 'usr_01jqk6ry4b00000000000000u2';
export const groupId = 'grp_01jqk6ry4b00000000000000g1';
export const agentId = 'agt_01jqk6ry4b00000000000000a1';
export const subAgentId = 'agt_01jqk6ry4b00000000000000a2';
export const roleId = 'rol_01jqk6ry4b00000000000000r1';
export const mappingId = 'map_01jqk6ry4b00000000000000m1';
export const mandateId = 'mdt_01jqk6ry4b00000000000000d1';
export const clientId = 'cli_invoices_agent';
export const grantId = 'grt_01jqk6ry4b00000000000000t1';
export const correlationId = '01963c5e-0000-7000-8000-00000000c0c0';
export const t0 = new Date('2026-03-02T09:00:00.000Z');
const at = t0.toISOString();

export const scimActor: Actor = {
  type: 'directory',
  id: directoryId,
  via: 'scim_token:0123456789abcdef0123',
};
export const adminActor: Actor = { type: 'system', id: 'admin_key' };
export const systemActor: Actor = { type: 'system', id: 'authz.leaver-cascade' };
export const apiKeyActor: Actor = { type: 'service', id: 'api_key:0123456789abcdef0123' };

let sequence = 0;

/** A stored event of `definition` with `data`, and an envelope that can be overridden. */
export const recorded = <Type extends string, Schema extends z.ZodType>(
  definition: IntegrationEventDefinition<Type, Schema>,
  data: z.output<Schema>,
  envelope: Partial<Omit<RecordedEvent, 'type' | 'data' | 'schemaVersion'>> = {},
): RecordedEvent<Event<Type, z.output<Schema>>> => {
  sequence += 1;
  return {
    id: `01963c5e-0000-7000-8000-${String(sequence).padStart(12, '0')}`,
    type: definition.type,
    schemaVersion: definition.version,
    orgId,
    stream: `stream-${definition.type}`,
    streamRevision: 0,
    position: { commit: BigInt(sequence), prepare: BigInt(sequence) },
    occurredAt: t0,
    actor: adminActor,
    causationId: null,
    correlationId,
    data,
    ...envelope,
  };
};

const profile = {
  email: 'ada@example.com',
  givenName: 'Ada',
  familyName: 'Lovelace',
  displayName: 'Ada Lovelace',
  title: 'Engineer',
  department: 'R&D',
  division: null,
  organization: null,
  costCenter: null,
  employeeNumber: 'E-1',
  managerExternalId: null,
};
const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
const secretHash = 'a'.repeat(64);
const userKey = { orgId, directoryId, userId };
const groupKey = { orgId, directoryId, groupId };
const mandateKey = { orgId, mandateId, userId, agentId };
const tuple = { object: 'invoice:42', relation: 'approver', subject: `user:${userId}` };

/** One stored event of every integration event type of the directory, authn and authz contexts. */
export const oneEventOfEachType = (): RecordedEvent[] => [
  recorded(DomainAddedV1, {
    orgId,
    domain: 'example.com',
    verificationToken: 'mandate-verify=s3cr3t',
    addedAt: at,
  }),
  recorded(DomainVerifiedV1, { orgId, domain: 'example.com', verifiedAt: at }),
  recorded(DomainRemovedV1, { orgId, domain: 'example.com', removedAt: at, reason: 'removed' }),
  recorded(DirectoryCreatedV1, {
    orgId,
    directoryId,
    name: 'Okta',
    kind: 'scim',
    provider: 'okta',
    linkedDirectoryId: null,
    createdAt: at,
  }),
  recorded(DirectoryRenamedV1, { orgId, directoryId, name: 'Okta (prod)' }),
  recorded(DirectoryTokenIssuedV1, {
    orgId,
    directoryId,
    tokenId: '0123456789abcdef0123',
    secretHash,
    lastFour: 'wxyz',
    issuedAt: at,
  }),
  recorded(DirectoryTokenRevokedV1, {
    orgId,
    directoryId,
    tokenId: '0123456789abcdef0123',
    revokedAt: at,
    reason: 'rotated',
  }),
  recorded(DirectorySigningSecretSetV1, {
    orgId,
    directoryId,
    secretId: 'sec-1',
    encryptedSecret: 'v1.sealed-bytes',
    setAt: at,
  }),
  recorded(DirectoryAttributesDeclaredV1, {
    orgId,
    directoryId,
    resourceType: 'User',
    schemaUrn: 'urn:example:params:scim:schemas:extension:acme:2.0:User',
    attributes: [
      {
        name: 'badge',
        type: 'string',
        multiValued: false,
        required: false,
        caseExact: false,
        description: 'Badge number',
      },
    ],
  }),
  recorded(DirectoryDeletedV1, { orgId, directoryId, deletedAt: at }),
  recorded(
    UserProvisionedV1,
    {
      ...userKey,
      externalId: 'okta-1',
      userName: 'ada@example.com',
      active: true,
      profile,
      source: 'scim',
      resource: { userName: 'ada@example.com' },
    },
    { actor: scimActor },
  ),
  recorded(
    UserUpdatedV1,
    {
      ...userKey,
      externalId: 'okta-1',
      userName: 'ada@example.com',
      changed: ['title'],
      previous: { title: 'Engineer' },
      profile: { ...profile, title: 'Staff Engineer' },
      source: 'scim',
      resource: { userName: 'ada@example.com' },
    },
    { actor: scimActor },
  ),
  recorded(
    UserDeactivatedV1,
    { ...userKey, source: 'scim', reason: 'deprovisioned', effectiveAt: at },
    { actor: scimActor },
  ),
  recorded(UserDeactivationScheduledV1, {
    ...userKey,
    source: 'hris',
    reason: 'terminated',
    effectiveAt: at,
  }),
  recorded(UserReactivatedV1, { ...userKey, source: 'admin', effectiveAt: at }),
  recorded(UserDeletedV1, { ...userKey, source: 'scim', reason: 'deprovisioned', deletedAt: at }),
  recorded(
    GroupCreatedV1,
    {
      ...groupKey,
      externalId: 'okta-g1',
      displayName: 'Finance',
      source: 'scim',
      resource: { displayName: 'Finance' },
    },
    { actor: scimActor },
  ),
  recorded(GroupUpdatedV1, {
    ...groupKey,
    externalId: 'okta-g1',
    displayName: 'Finance EMEA',
    changed: ['displayName'],
    source: 'scim',
    resource: { displayName: 'Finance EMEA' },
  }),
  recorded(GroupDeletedV1, { ...groupKey, source: 'scim', reason: 'deprovisioned', deletedAt: at }),
  recorded(GroupMemberAddedV1, { ...groupKey, memberId: userId, memberType: 'user', source: 'scim' }),
  recorded(GroupMemberRemovedV1, {
    ...groupKey,
    memberId: userId,
    memberType: 'user',
    source: 'scim',
    reason: 'removed',
  }),
  recorded(AgentRegisteredV1, {
    orgId,
    agentId,
    directoryId: null,
    externalId: null,
    displayName: 'Invoice bot',
    description: 'Approves small invoices',
    ownerIds: [ownerId],
    resource: null,
    source: 'admin',
    registeredAt: at,
  }),
  recorded(AgentUpdatedV1, {
    orgId,
    agentId,
    directoryId: null,
    externalId: null,
    displayName: 'Invoice bot v2',
    description: null,
    ownerIds: [ownerId],
    resource: null,
    changed: ['displayName'],
    source: 'admin',
  }),
  recorded(AgentSuspendedV1, { orgId, agentId, reason: 'owner_left', ownerId, suspendedAt: at }),
  recorded(AgentReactivatedV1, { orgId, agentId, reactivatedAt: at }),
  recorded(AgentDeletedV1, { orgId, agentId, reason: 'admin', deletedAt: at }),
  recorded(OrganizationCreatedV1, { orgId, name: 'Acme', createdAt: at }),
  recorded(OrganizationRenamedV1, { orgId, name: 'Acme Corp' }),
  recorded(OrganizationDeletedV1, { orgId, deletedAt: at }),
  recorded(ApiKeyIssuedV1, {
    orgId,
    keyId: 'abcdef0123456789abcd',
    name: 'ci',
    secretHash,
    lastFour: 'abcd',
    issuedAt: at,
  }),
  recorded(ApiKeyRevokedV1, { orgId, keyId: 'abcdef0123456789abcd', revokedAt: at, reason: 'revoked' }),
  recorded(
    SigningKeyGeneratedV1,
    {
      kid: 'kid-2026-03',
      alg: 'EdDSA',
      publicJwk: jwk,
      sealedPrivateJwk: 'v1.sealed-private-key',
      generatedAt: at,
      activeFrom: at,
    },
    { orgId: INSTANCE_ORG_ID },
  ),
  recorded(
    SigningKeyRetiredV1,
    { kid: 'kid-2026-03', retiredAt: at, publishedUntil: at },
    { orgId: INSTANCE_ORG_ID },
  ),
  recorded(ClientRegisteredV1, {
    orgId,
    clientId,
    name: 'Invoice agent',
    kind: 'agent',
    agentId,
    redirectUris: [],
    grantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    tokenEndpointAuthMethod: 'private_key_jwt',
    secretHash: null,
    jwks: { keys: [jwk] },
    scopes: ['invoices:approve'],
    audiences: ['https://invoices.example.com'],
    registeredAt: at,
  }),
  recorded(ClientCredentialsRotatedV1, { orgId, clientId, secretHash, jwks: null, rotatedAt: at }),
  recorded(ClientDeletedV1, { orgId, clientId, deletedAt: at }),
  recorded(GrantIssuedV1, {
    orgId,
    grantId,
    clientId,
    subject: userId,
    actor: agentId,
    actorChain: [agentId],
    mandateId,
    grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
    scope: 'invoices:approve',
    audience: 'https://invoices.example.com',
    issuedAt: at,
    expiresAt: at,
  }),
  recorded(GrantRevokedV1, {
    orgId,
    grantId,
    subject: userId,
    clientId,
    actor: agentId,
    reason: 'mandate_revoked',
    revokedAt: at,
    expiresAt: at,
  }),
  recorded(RoleCreatedV1, {
    orgId,
    roleId,
    key: 'approver',
    name: 'Approver',
    description: 'Approves invoices',
    permissions: ['invoices:approve'],
    includes: [],
    system: false,
  }),
  recorded(RoleUpdatedV1, {
    orgId,
    roleId,
    name: 'Approver',
    description: 'Approves invoices',
    permissions: ['invoices:approve', 'invoices:read'],
    includes: [],
    removedPermissions: [],
  }),
  recorded(RoleDeletedV1, { orgId, roleId }),
  recorded(RoleAssignedV1, { orgId, roleId, subject: `user:${userId}`, resource: null, mappingId: null }),
  recorded(RoleUnassignedV1, {
    orgId,
    roleId,
    subject: `group:${groupId}#member`,
    resource: 'project:42',
    mappingId,
    reason: 'mapping_deleted',
  }),
  recorded(GroupMappingCreatedV1, {
    orgId,
    mappingId,
    source: { kind: 'directory_group', groupId },
    roleId,
    resource: null,
  }),
  recorded(GroupMappingDeletedV1, { orgId, mappingId }),
  recorded(ModelWrittenV1, { orgId, version: 3, model: { invoice: { relations: {} } } }),
  recorded(TuplesWrittenV1, { orgId, tuples: [tuple] }),
  recorded(TuplesDeletedV1, { orgId, tuples: [tuple] }),
  recorded(MandateGrantedV1, {
    ...mandateKey,
    permissions: ['invoices:approve'],
    resources: ['invoice:*'],
    expiresAt: null,
    reason: 'Month-end close',
    grantedBy: userId,
    grantedAt: at,
  }),
  recorded(MandateNarrowedV1, {
    ...mandateKey,
    removedPermissions: ['invoices:approve'],
    permissions: ['invoices:read'],
    narrowedAt: at,
  }),
  recorded(MandateRevokedV1, { ...mandateKey, reason: 'delegator_deactivated', revokedAt: at }),
  recorded(MandateSuspendedV1, { ...mandateKey, reason: 'agent_suspended', suspendedAt: at }),
  recorded(MandateResumedV1, { ...mandateKey, resumedAt: at }),
  recorded(PrincipalPermissionsChangedV1, {
    orgId,
    subject: `user:${userId}`,
    permissions: ['invoices:read'],
    removed: ['invoices:approve'],
  }),
];
