import { z } from 'zod';
import { agentIdSchema, orgIdSchema, userIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

const at = z.iso.datetime();
const prefixedId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`));
export const roleIdSchema = prefixedId('rol');
export const mappingIdSchema = prefixedId('map');
export const mandateIdSchema = prefixedId('mdt');

/**
 * `resource:action`, lower-case words; `*` as the action (`documents:*`) or as the whole
 * permission grants every action of a resource, or everything.
 */
export const permissionSchema = z
  .string()
  .max(128)
  .regex(
    /^(\*|[a-z][a-z0-9_.-]*:(\*|[a-z][a-z0-9_.-]*))$/,
    'a permission is resource:action, e.g. documents:read',
  );

/** An object of the relationship graph: `type:id`, e.g. `project:42`, `document:q3-report`. */
export const objectRefSchema = z
  .string()
  .max(300)
  .regex(/^[a-z][a-z0-9_]{0,49}:[A-Za-z0-9_|@.:\-=]{1,256}$/, 'an object is type:id, e.g. project:42');

/** Who a role is assigned to: a user, an agent, or every member of a group. */
export const roleSubjectSchema = z
  .string()
  .regex(/^(user:usr_[0-9a-z]{26}|agent:agt_[0-9a-z]{26}|group:grp_[0-9a-z]{26}#member)$/);

const roleKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/);

/**
 * Who asserted an assignment when it is not the organization's own policy: `sso:<connectionId>`,
 * a role the connection's IdP asserted at sign-in. Absent: made through the API or a group mapping.
 */
export const assignmentSourceSchema = z.string().regex(/^sso:con_[0-9a-z]{26}$/);
export type AssignmentSource = z.infer<typeof assignmentSourceSchema>;
export const ssoAssignmentSource = (connectionId: string): AssignmentSource => `sso:${connectionId}`;

export const RoleCreatedV1 = defineIntegrationEvent(
  'authz.role.created',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    roleId: roleIdSchema,
    key: roleKey,
    name: z.string().min(1).max(200),
    description: z.string().max(2000),
    permissions: z.array(permissionSchema).max(500),
    /** Roles whose permissions this role also grants (a role hierarchy). */
    includes: z.array(roleIdSchema).max(50),
    system: z.boolean(),
  }),
);
export const RoleUpdatedV1 = defineIntegrationEvent(
  'authz.role.updated',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    roleId: roleIdSchema,
    name: z.string().min(1).max(200),
    description: z.string().max(2000),
    permissions: z.array(permissionSchema).max(500),
    includes: z.array(roleIdSchema).max(50),
    /** Permissions the role (with what it includes) no longer grants: the holders may have lost them. */
    removedPermissions: z.array(permissionSchema),
  }),
);
export const RoleDeletedV1 = defineIntegrationEvent(
  'authz.role.deleted',
  1,
  z.strictObject({ orgId: orgIdSchema, roleId: roleIdSchema }),
);

/** A role granted to a subject, organization-wide (`resource` null) or on one resource. */
export const RoleAssignedV1 = defineIntegrationEvent(
  'authz.role.assigned',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    roleId: roleIdSchema,
    subject: roleSubjectSchema,
    resource: objectRefSchema.nullable(),
    /** Where the assignment came from: the API, or a group mapping (then its id). */
    mappingId: mappingIdSchema.nullable(),
    source: assignmentSourceSchema.optional(),
  }),
);
export const RoleUnassignedV1 = defineIntegrationEvent(
  'authz.role.unassigned',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    roleId: roleIdSchema,
    subject: roleSubjectSchema,
    resource: objectRefSchema.nullable(),
    mappingId: mappingIdSchema.nullable(),
    /** The source whose assignment ends; the others of the same role stay. */
    source: assignmentSourceSchema.optional(),
    /** `idp_unasserted`: the IdP no longer asserts the role at sign-in (an IdP-side mover). */
    reason: z.enum(['unassigned', 'role_deleted', 'mapping_deleted', 'subject_removed', 'idp_unasserted']),
  }),
);

/** Where a mapped group comes from: a directory group, or a group name an IdP asserts at SSO. */
export const groupSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('directory_group'), groupId: z.string().regex(/^grp_[0-9a-z]{26}$/) }),
  z.strictObject({
    kind: z.literal('idp_group'),
    connectionId: z.string().min(1).max(64).nullable(),
    name: z.string().min(1).max(256),
  }),
]);
export type GroupSource = z.infer<typeof groupSourceSchema>;

export const GroupMappingCreatedV1 = defineIntegrationEvent(
  'authz.group_mapping.created',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    mappingId: mappingIdSchema,
    source: groupSourceSchema,
    roleId: roleIdSchema,
    resource: objectRefSchema.nullable(),
  }),
);
export const GroupMappingDeletedV1 = defineIntegrationEvent(
  'authz.group_mapping.deleted',
  1,
  z.strictObject({ orgId: orgIdSchema, mappingId: mappingIdSchema }),
);

/** The organization's relationship model (see docs/authz-model.md); each write is a new version. */
export const ModelWrittenV1 = defineIntegrationEvent(
  'authz.model.written',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    version: z.number().int().min(1),
    model: z.record(z.string(), z.unknown()),
  }),
);

const tupleSchema = z.strictObject({
  object: z.string().max(300),
  relation: z.string().max(50),
  subject: z.string().max(320),
  condition: z
    .strictObject({ name: z.string().max(50), context: z.record(z.string(), z.unknown()) })
    .optional(),
});
export type RelationshipTuple = z.infer<typeof tupleSchema>;

export const TuplesWrittenV1 = defineIntegrationEvent(
  'authz.tuples.written',
  1,
  z.strictObject({ orgId: orgIdSchema, tuples: z.array(tupleSchema).min(1).max(1000) }),
);
export const TuplesDeletedV1 = defineIntegrationEvent(
  'authz.tuples.deleted',
  1,
  z.strictObject({ orgId: orgIdSchema, tuples: z.array(tupleSchema).min(1).max(1000) }),
);

const mandateKey = { orgId: orgIdSchema, mandateId: mandateIdSchema };

/**
 * A human's delegation to an agent: `permissions` on `resources` (objects, or `type:*` for every
 * object of a type; empty means organization-wide), until `expiresAt`. The agent's effective power is
 * always this intersected with what the human holds at the time of the check.
 */
export const MandateGrantedV1 = defineIntegrationEvent(
  'authz.mandate.granted',
  1,
  z.strictObject({
    ...mandateKey,
    userId: userIdSchema,
    agentId: agentIdSchema,
    permissions: z.array(permissionSchema).min(1).max(100),
    resources: z.array(z.string().max(300)).max(100),
    expiresAt: at.nullable(),
    reason: z.string().min(1).max(1000),
    grantedBy: z.string().max(200),
    grantedAt: at,
  }),
);
export const MandateNarrowedV1 = defineIntegrationEvent(
  'authz.mandate.narrowed',
  1,
  z.strictObject({
    ...mandateKey,
    userId: userIdSchema,
    agentId: agentIdSchema,
    removedPermissions: z.array(permissionSchema).min(1),
    permissions: z.array(permissionSchema),
    narrowedAt: at,
  }),
);
export const mandateRevocationReasonSchema = z.enum([
  'revoked',
  'delegator_deactivated',
  'delegator_deleted',
  'agent_deleted',
  'organization_deleted',
  'nothing_left',
]);
export const MandateRevokedV1 = defineIntegrationEvent(
  'authz.mandate.revoked',
  1,
  z.strictObject({
    ...mandateKey,
    userId: userIdSchema,
    agentId: agentIdSchema,
    reason: mandateRevocationReasonSchema,
    revokedAt: at,
  }),
);
export const MandateSuspendedV1 = defineIntegrationEvent(
  'authz.mandate.suspended',
  1,
  z.strictObject({
    ...mandateKey,
    userId: userIdSchema,
    agentId: agentIdSchema,
    reason: z.enum(['agent_suspended']),
    suspendedAt: at,
  }),
);
export const MandateResumedV1 = defineIntegrationEvent(
  'authz.mandate.resumed',
  1,
  z.strictObject({ ...mandateKey, userId: userIdSchema, agentId: agentIdSchema, resumedAt: at }),
);

/**
 * What authn needs to issue tokens: a principal's organization-wide permissions after a change
 * (roles assigned or removed, group moves, role edits). Published whenever they change.
 */
export const PrincipalPermissionsChangedV1 = defineIntegrationEvent(
  'authz.principal.permissions_changed',
  1,
  z.strictObject({
    orgId: orgIdSchema,
    subject: z.string().regex(/^(user:usr_|agent:agt_)[0-9a-z]{26}$/),
    permissions: z.array(permissionSchema),
    removed: z.array(permissionSchema),
  }),
);

export type RoleCreated = EventOf<typeof RoleCreatedV1>;
export type RoleUpdated = EventOf<typeof RoleUpdatedV1>;
export type RoleDeleted = EventOf<typeof RoleDeletedV1>;
export type GroupMappingCreated = EventOf<typeof GroupMappingCreatedV1>;
export type GroupMappingDeleted = EventOf<typeof GroupMappingDeletedV1>;
export type ModelWritten = EventOf<typeof ModelWrittenV1>;
/** The organization's policy stream: roles, group mappings and the relationship model. */
export type PolicyEvent =
  RoleCreated | RoleUpdated | RoleDeleted | GroupMappingCreated | GroupMappingDeleted | ModelWritten;

export type RoleAssigned = EventOf<typeof RoleAssignedV1>;
export type RoleUnassigned = EventOf<typeof RoleUnassignedV1>;
export type TuplesWritten = EventOf<typeof TuplesWrittenV1>;
export type TuplesDeleted = EventOf<typeof TuplesDeletedV1>;

export type MandateGranted = EventOf<typeof MandateGrantedV1>;
export type MandateNarrowed = EventOf<typeof MandateNarrowedV1>;
export type MandateRevoked = EventOf<typeof MandateRevokedV1>;
export type MandateSuspended = EventOf<typeof MandateSuspendedV1>;
export type MandateResumed = EventOf<typeof MandateResumedV1>;
export type MandateEvent =
  MandateGranted | MandateNarrowed | MandateRevoked | MandateSuspended | MandateResumed;

export const policyStream = (orgId: string): string => `policy-${orgId}`;
export const assignmentsStream = (orgId: string): string => `assignments-${orgId}`;
export const tuplesStream = (orgId: string): string => `tuples-${orgId}`;
export const mandateStream = (mandateId: string): string => `mandate-${mandateId}`;
