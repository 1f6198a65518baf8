import { z } from 'zod';
import { defineIntegrationEvent, type EventOf } from './integration-events';

/** `<prefix>_` + 26 lower-case Crockford base32 characters (a UUIDv7: sortable by creation). */
const prefixedId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`));

export const orgIdSchema = prefixedId('org');
export const directoryIdSchema = prefixedId('dir');
export const userIdSchema = prefixedId('usr');
export const groupIdSchema = prefixedId('grp');
export const agentIdSchema = prefixedId('agt');

const at = z.iso.datetime();
const tokenId = z.string().regex(/^[0-9a-f]{20}$/);
const secretHash = z.string().regex(/^[0-9a-f]{64}$/);
/** A domain name in lower case, without a trailing dot. */
const domainName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/);

/** A SCIM document as stored: canonical attribute names, values as the source sent them. */
const resourceDocument = z.record(z.string(), z.unknown());

/** Where a lifecycle change came from. */
export const lifecycleSourceSchema = z.enum(['scim', 'hris', 'admin', 'system']);
export type LifecycleSource = z.infer<typeof lifecycleSourceSchema>;

/**
 * The attributes downstream services act on (roles from departments, manager chains), flattened
 * from the SCIM document or the HRIS record. Absent when the source does not carry them.
 */
export const userProfileSchema = z.strictObject({
  email: z.string().max(320).nullable(),
  givenName: z.string().max(256).nullable(),
  familyName: z.string().max(256).nullable(),
  displayName: z.string().max(256).nullable(),
  title: z.string().max(256).nullable(),
  department: z.string().max(256).nullable(),
  division: z.string().max(256).nullable(),
  organization: z.string().max(256).nullable(),
  costCenter: z.string().max(256).nullable(),
  employeeNumber: z.string().max(256).nullable(),
  /** The manager's id in the source (SCIM `manager.value`, the HRIS supervisor id). */
  managerExternalId: z.string().max(256).nullable(),
});
export type UserProfile = z.infer<typeof userProfileSchema>;
export const PROFILE_FIELDS = Object.keys(userProfileSchema.shape) as (keyof UserProfile)[];

const directoryKind = z.enum(['scim', 'hris']);
/** The system on the other side: decides which dialect quirks and which webhook format apply. */
export const directoryProviderSchema = z.enum([
  'generic_scim',
  'okta',
  'entra_id',
  'google',
  'onelogin',
  'jumpcloud',
  'bamboohr',
  'rippling',
  'workday',
  'generic_hris',
]);
export type DirectoryProvider = z.infer<typeof directoryProviderSchema>;

// ---- domains (in the organization's stream) ----

export const DomainAddedV1 = defineIntegrationEvent(
  'directory.domain.added',
  1,
  z.strictObject({ orgId: orgIdSchema, domain: domainName, verificationToken: z.string(), addedAt: at }),
);
export const DomainVerifiedV1 = defineIntegrationEvent(
  'directory.domain.verified',
  1,
  z.strictObject({ orgId: orgIdSchema, domain: domainName, verifiedAt: at }),
);
export const DomainRemovedV1 = defineIntegrationEvent(
  'directory.domain.removed',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    domain: domainName,
    removedAt: at,
    reason: z.enum(['removed', 'organization_deleted']),
  }),
);

// ---- directories ----

const customAttribute = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  type: z.enum(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference']),
  multiValued: z.boolean(),
  required: z.boolean(),
  caseExact: z.boolean(),
  description: z.string().max(500),
});
export type CustomAttributeDefinition = z.infer<typeof customAttribute>;

export const DirectoryCreatedV1 = defineIntegrationEvent(
  'directory.directory.created',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    directoryId: directoryIdSchema,
    name: z.string().min(1).max(200),
    kind: directoryKind,
    provider: directoryProviderSchema,
    /**
     * An HRIS directory may feed the lifecycle of a SCIM directory's users instead of keeping its own
     * (matched by employee number): HRIS then owns employment status and attributes, SCIM identity.
     */
    linkedDirectoryId: directoryIdSchema.nullable(),
    createdAt: at,
  }),
);
export const DirectoryRenamedV1 = defineIntegrationEvent(
  'directory.directory.renamed',
  1,
  z.strictObject({ orgId: orgIdSchema, directoryId: directoryIdSchema, name: z.string().min(1).max(200) }),
);
/** A SCIM bearer token was issued: the event carries the SHA-256 of its random secret, never the secret. */
export const DirectoryTokenIssuedV1 = defineIntegrationEvent(
  'directory.directory.token_issued',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    directoryId: directoryIdSchema,
    tokenId,
    secretHash,
    lastFour: z.string().length(4),
    issuedAt: at,
  }),
);
export const DirectoryTokenRevokedV1 = defineIntegrationEvent(
  'directory.directory.token_revoked',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    directoryId: directoryIdSchema,
    tokenId,
    revokedAt: at,
    reason: z.enum(['revoked', 'rotated', 'directory_deleted']),
  }),
);
/**
 * The webhook signing secret of an HRIS directory changed. HMAC verification needs the secret
 * itself, so it is kept encrypted (AES-256-GCM under the instance's key), never in clear.
 */
export const DirectorySigningSecretSetV1 = defineIntegrationEvent(
  'directory.directory.signing_secret_set',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    directoryId: directoryIdSchema,
    secretId: z.string().min(1).max(64),
    encryptedSecret: z.string().min(1),
    setAt: at,
  }),
);
export const DirectoryAttributesDeclaredV1 = defineIntegrationEvent(
  'directory.directory.attributes_declared',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    directoryId: directoryIdSchema,
    resourceType: z.enum(['User', 'Group']),
    schemaUrn: z.string().min(1).max(300),
    attributes: z.array(customAttribute).max(100),
  }),
);
export const DirectoryDeletedV1 = defineIntegrationEvent(
  'directory.directory.deleted',
  1,
  z.strictObject({ orgId: orgIdSchema, directoryId: directoryIdSchema, deletedAt: at }),
);

// ---- users ----

const userKey = { orgId: orgIdSchema, directoryId: directoryIdSchema, userId: userIdSchema };

export const UserProvisionedV1 = defineIntegrationEvent(
  'directory.user.provisioned',
  1,
  z.strictObject({
    ...userKey,
    /** The source's stable id for this person (SCIM `externalId`, the HRIS worker id): identity is keyed by it. */
    externalId: z.string().max(512).nullable(),
    userName: z.string().min(1).max(512),
    active: z.boolean(),
    profile: userProfileSchema,
    source: lifecycleSourceSchema,
    resource: resourceDocument,
  }),
);
/** A mover, or any profile change: `changed` names the profile fields and SCIM attributes that changed. */
export const UserUpdatedV1 = defineIntegrationEvent(
  'directory.user.updated',
  1,
  z.strictObject({
    ...userKey,
    externalId: z.string().max(512).nullable(),
    userName: z.string().min(1).max(512),
    changed: z.array(z.string()).min(1),
    previous: userProfileSchema.partial(),
    profile: userProfileSchema,
    source: lifecycleSourceSchema,
    resource: resourceDocument,
  }),
);
export const userDeactivationReasonSchema = z.enum([
  'deprovisioned',
  'terminated',
  'leave_of_absence',
  'admin',
  'directory_deleted',
  'organization_deleted',
]);
export const UserDeactivatedV1 = defineIntegrationEvent(
  'directory.user.deactivated',
  1,
  z.strictObject({
    ...userKey,
    source: lifecycleSourceSchema,
    reason: userDeactivationReasonSchema,
    effectiveAt: at,
  }),
);
export const UserReactivatedV1 = defineIntegrationEvent(
  'directory.user.reactivated',
  1,
  z.strictObject({ ...userKey, source: lifecycleSourceSchema, effectiveAt: at }),
);
export const UserDeletedV1 = defineIntegrationEvent(
  'directory.user.deleted',
  1,
  z.strictObject({
    ...userKey,
    source: lifecycleSourceSchema,
    reason: z.enum(['deprovisioned', 'admin', 'directory_deleted', 'organization_deleted']),
    deletedAt: at,
  }),
);
/** A termination dated in the future was accepted: it takes effect at `effectiveAt`. */
export const UserDeactivationScheduledV1 = defineIntegrationEvent(
  'directory.user.deactivation_scheduled',
  1,
  z.strictObject({
    ...userKey,
    source: lifecycleSourceSchema,
    reason: userDeactivationReasonSchema,
    effectiveAt: at,
  }),
);

// ---- groups ----

const groupKey = { orgId: orgIdSchema, directoryId: directoryIdSchema, groupId: groupIdSchema };
const memberType = z.enum(['user', 'group']);

export const GroupCreatedV1 = defineIntegrationEvent(
  'directory.group.created',
  1,
  z.strictObject({
    ...groupKey,
    externalId: z.string().max(512).nullable(),
    displayName: z.string().min(1).max(512),
    source: lifecycleSourceSchema,
    resource: resourceDocument,
  }),
);
export const GroupUpdatedV1 = defineIntegrationEvent(
  'directory.group.updated',
  1,
  z.strictObject({
    ...groupKey,
    externalId: z.string().max(512).nullable(),
    displayName: z.string().min(1).max(512),
    changed: z.array(z.string()).min(1),
    source: lifecycleSourceSchema,
    resource: resourceDocument,
  }),
);
export const GroupDeletedV1 = defineIntegrationEvent(
  'directory.group.deleted',
  1,
  z.strictObject({
    ...groupKey,
    source: lifecycleSourceSchema,
    reason: z.enum(['deprovisioned', 'admin', 'directory_deleted', 'organization_deleted']),
    deletedAt: at,
  }),
);
export const GroupMemberAddedV1 = defineIntegrationEvent(
  'directory.group.member_added',
  1,
  z.strictObject({ ...groupKey, memberId: z.string(), memberType, source: lifecycleSourceSchema }),
);
export const GroupMemberRemovedV1 = defineIntegrationEvent(
  'directory.group.member_removed',
  1,
  z.strictObject({
    ...groupKey,
    memberId: z.string(),
    memberType,
    source: lifecycleSourceSchema,
    reason: z.enum(['removed', 'member_deleted']),
  }),
);

// ---- agents ----

const agentKey = { orgId: orgIdSchema, agentId: agentIdSchema };
const agentDetails = {
  /** The SCIM directory that provisioned the agent, or null when it was registered through the API. */
  directoryId: directoryIdSchema.nullable(),
  externalId: z.string().max(512).nullable(),
  displayName: z.string().min(1).max(256),
  description: z.string().max(2000).nullable(),
  /** The users accountable for the agent; an agent always has at least one. */
  ownerIds: z.array(userIdSchema).min(1).max(20),
  /** The SCIM document as an IdP provisioned it (canonical names), or null for an agent registered through the API. */
  resource: resourceDocument.nullable(),
};

export const AgentRegisteredV1 = defineIntegrationEvent(
  'directory.agent.registered',
  1,
  z.strictObject({ ...agentKey, ...agentDetails, source: lifecycleSourceSchema, registeredAt: at }),
);
export const AgentUpdatedV1 = defineIntegrationEvent(
  'directory.agent.updated',
  1,
  z.strictObject({
    ...agentKey,
    ...agentDetails,
    changed: z.array(z.string()).min(1),
    source: lifecycleSourceSchema,
  }),
);
export const AgentSuspendedV1 = defineIntegrationEvent(
  'directory.agent.suspended',
  1,
  z.strictObject({
    ...agentKey,
    reason: z.enum(['owner_left', 'admin', 'scim']),
    /** For `owner_left`: the owner whose departure suspended the agent. */
    ownerId: userIdSchema.nullable(),
    suspendedAt: at,
  }),
);
export const AgentReactivatedV1 = defineIntegrationEvent(
  'directory.agent.reactivated',
  1,
  z.strictObject({ ...agentKey, reactivatedAt: at }),
);
export const AgentDeletedV1 = defineIntegrationEvent(
  'directory.agent.deleted',
  1,
  z.strictObject({
    ...agentKey,
    reason: z.enum(['admin', 'scim', 'organization_deleted']),
    deletedAt: at,
  }),
);

export type DomainAdded = EventOf<typeof DomainAddedV1>;
export type DomainVerified = EventOf<typeof DomainVerifiedV1>;
export type DomainRemoved = EventOf<typeof DomainRemovedV1>;
export type DomainEvent = DomainAdded | DomainVerified | DomainRemoved;

export type DirectoryCreated = EventOf<typeof DirectoryCreatedV1>;
export type DirectoryRenamed = EventOf<typeof DirectoryRenamedV1>;
export type DirectoryTokenIssued = EventOf<typeof DirectoryTokenIssuedV1>;
export type DirectoryTokenRevoked = EventOf<typeof DirectoryTokenRevokedV1>;
export type DirectorySigningSecretSet = EventOf<typeof DirectorySigningSecretSetV1>;
export type DirectoryAttributesDeclared = EventOf<typeof DirectoryAttributesDeclaredV1>;
export type DirectoryDeleted = EventOf<typeof DirectoryDeletedV1>;
export type DirectoryEvent =
  | DirectoryCreated
  | DirectoryRenamed
  | DirectoryTokenIssued
  | DirectoryTokenRevoked
  | DirectorySigningSecretSet
  | DirectoryAttributesDeclared
  | DirectoryDeleted;

export type UserProvisioned = EventOf<typeof UserProvisionedV1>;
export type UserUpdated = EventOf<typeof UserUpdatedV1>;
export type UserDeactivated = EventOf<typeof UserDeactivatedV1>;
export type UserDeactivationScheduled = EventOf<typeof UserDeactivationScheduledV1>;
export type UserReactivated = EventOf<typeof UserReactivatedV1>;
export type UserDeleted = EventOf<typeof UserDeletedV1>;
export type UserEvent =
  UserProvisioned | UserUpdated | UserDeactivated | UserDeactivationScheduled | UserReactivated | UserDeleted;

export type GroupCreated = EventOf<typeof GroupCreatedV1>;
export type GroupUpdated = EventOf<typeof GroupUpdatedV1>;
export type GroupDeleted = EventOf<typeof GroupDeletedV1>;
export type GroupMemberAdded = EventOf<typeof GroupMemberAddedV1>;
export type GroupMemberRemoved = EventOf<typeof GroupMemberRemovedV1>;
export type GroupEvent = GroupCreated | GroupUpdated | GroupDeleted | GroupMemberAdded | GroupMemberRemoved;

export type AgentRegistered = EventOf<typeof AgentRegisteredV1>;
export type AgentUpdated = EventOf<typeof AgentUpdatedV1>;
export type AgentSuspended = EventOf<typeof AgentSuspendedV1>;
export type AgentReactivated = EventOf<typeof AgentReactivatedV1>;
export type AgentDeleted = EventOf<typeof AgentDeletedV1>;
export type AgentEvent = AgentRegistered | AgentUpdated | AgentSuspended | AgentReactivated | AgentDeleted;

export const directoryStream = (directoryId: string): string => `directory-${directoryId}`;
export const userStream = (userId: string): string => `user-${userId}`;
export const groupStream = (groupId: string): string => `group-${groupId}`;
export const agentStream = (agentId: string): string => `agent-${agentId}`;
