import { type GroupSource, type PolicyEvent } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { effectivePermissions, type RoleDefinition } from './permissions';

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}

export interface RoleInput {
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly string[];
  readonly includes: readonly string[];
}

export type CreateRole = Command<
  'CreateRole',
  RoleInput & { orgId: string; roleId: string; key: string; system?: boolean }
>;
export type UpdateRole = Command<'UpdateRole', RoleInput & { roleId: string }>;
export type DeleteRole = Command<'DeleteRole', { roleId: string }>;
export type CreateGroupMapping = Command<
  'CreateGroupMapping',
  { orgId: string; mappingId: string; source: GroupSource; roleId: string; resource: string | null }
>;
export type DeleteGroupMapping = Command<'DeleteGroupMapping', { mappingId: string }>;
/** `model` has been validated by the relationship engine; the policy only versions it. */
export type WriteModel = Command<'WriteModel', { orgId: string; model: Record<string, unknown> }>;

export type PolicyCommand =
  CreateRole | UpdateRole | DeleteRole | CreateGroupMapping | DeleteGroupMapping | WriteModel;

export interface Role extends RoleDefinition {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly system: boolean;
}

export interface GroupMapping {
  readonly source: GroupSource;
  readonly roleId: string;
  readonly resource: string | null;
}

/** An organization's policy: its roles, the group mappings that assign them, and its relationship model. */
export interface Policy {
  readonly orgId: string | null;
  readonly roles: ReadonlyMap<string, Role>;
  readonly mappings: ReadonlyMap<string, GroupMapping>;
  readonly modelVersion: number;
}

export const MAX_ROLES = 500;
export const MAX_MAPPINGS = 2_000;

const roleNotFound = (roleId: string) =>
  new DomainError('not_found', 'AUTHZ_ROLE_NOT_FOUND', `The organization has no role ${roleId}`);

const customRole = (policy: Policy, roleId: string): Role => {
  const role = policy.roles.get(roleId);
  if (!role) throw roleNotFound(roleId);
  if (role.system) {
    throw new DomainError(
      'forbidden',
      'AUTHZ_ROLE_SYSTEM',
      `${role.key} is a system role: it cannot be changed`,
    );
  }
  return role;
};

const validRole = (policy: Policy, roleId: string, input: RoleInput): RoleInput => {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) {
    throw new DomainError('invalid', 'AUTHZ_ROLE_NAME_INVALID', 'A role name has 1 to 200 characters');
  }
  const permissions = [...new Set(input.permissions)].sort();
  const includes = [...new Set(input.includes)];
  for (const included of includes) {
    if (included === roleId)
      throw new DomainError('invalid', 'AUTHZ_ROLE_CYCLE', 'A role cannot include itself');
    if (!policy.roles.has(included)) throw roleNotFound(included);
  }
  const roles = new Map<string, RoleDefinition>(policy.roles).set(roleId, { permissions, includes });
  const cycle = findCycle(roles, roleId);
  if (cycle) {
    throw new DomainError(
      'invalid',
      'AUTHZ_ROLE_CYCLE',
      `Roles would include each other: ${cycle.join(' → ')}`,
      {
        cycle,
      },
    );
  }
  return { name, description: input.description, permissions, includes };
};

/** A path of includes from `start` back to itself, if any. */
const findCycle = (roles: ReadonlyMap<string, RoleDefinition>, start: string): string[] | null => {
  const visit = (roleId: string, path: string[]): string[] | null => {
    for (const included of roles.get(roleId)?.includes ?? []) {
      if (included === start) return [...path, included];
      if (path.includes(included)) continue;
      const found = visit(included, [...path, included]);
      if (found) return found;
    }
    return null;
  };
  return visit(start, [start]);
};

const sameSource = (a: GroupSource, b: GroupSource): boolean => JSON.stringify(a) === JSON.stringify(b);

const decide = (command: PolicyCommand, policy: Policy): PolicyEvent[] => {
  switch (command.type) {
    case 'CreateRole': {
      const { orgId, roleId, key, system = false } = command.data;
      if ([...policy.roles.values()].some((role) => role.key === key)) {
        throw new DomainError('conflict', 'AUTHZ_ROLE_EXISTS', `The organization already has a role ${key}`);
      }
      if (policy.roles.has(roleId)) return [];
      if (policy.roles.size >= MAX_ROLES) {
        throw new DomainError(
          'conflict',
          'AUTHZ_ROLE_LIMIT_REACHED',
          `An organization has at most ${MAX_ROLES} roles`,
        );
      }
      const role = validRole(policy, roleId, command.data);
      return [
        {
          type: 'authz.role.created',
          data: {
            orgId,
            roleId,
            key,
            name: role.name,
            description: role.description,
            permissions: [...role.permissions],
            includes: [...role.includes],
            system,
          },
        },
      ];
    }
    case 'UpdateRole': {
      const { roleId } = command.data;
      const current = customRole(policy, roleId);
      const role = validRole(policy, roleId, command.data);
      if (
        current.name === role.name &&
        current.description === role.description &&
        JSON.stringify(current.permissions) === JSON.stringify(role.permissions) &&
        JSON.stringify(current.includes) === JSON.stringify(role.includes)
      ) {
        return [];
      }
      const before = effectivePermissions(policy.roles, roleId);
      const after = effectivePermissions(
        new Map<string, RoleDefinition>(policy.roles).set(roleId, role),
        roleId,
      );
      return [
        {
          type: 'authz.role.updated',
          data: {
            orgId: policy.orgId!,
            roleId,
            name: role.name,
            description: role.description,
            permissions: [...role.permissions],
            includes: [...role.includes],
            removedPermissions: [...before].filter((permission) => !after.has(permission)).sort(),
          },
        },
      ];
    }
    case 'DeleteRole': {
      const { roleId } = command.data;
      customRole(policy, roleId);
      const includers = [...policy.roles]
        .filter(([, role]) => role.includes.includes(roleId))
        .map(([id]) => id);
      if (includers.length > 0) {
        throw new DomainError(
          'conflict',
          'AUTHZ_ROLE_IN_USE',
          `Other roles include this one; change them first: ${includers.join(', ')}`,
          { includedBy: includers },
        );
      }
      return [
        ...[...policy.mappings]
          .filter(([, mapping]) => mapping.roleId === roleId)
          .map(([mappingId]) => ({
            type: 'authz.group_mapping.deleted' as const,
            data: { orgId: policy.orgId!, mappingId },
          })),
        { type: 'authz.role.deleted', data: { orgId: policy.orgId!, roleId } },
      ];
    }
    case 'CreateGroupMapping': {
      const { orgId, mappingId, source, roleId, resource } = command.data;
      if (!policy.roles.has(roleId)) throw roleNotFound(roleId);
      if (policy.mappings.has(mappingId)) return [];
      const duplicate = [...policy.mappings].find(
        ([, mapping]) =>
          mapping.roleId === roleId && mapping.resource === resource && sameSource(mapping.source, source),
      );
      if (duplicate) {
        throw new DomainError(
          'conflict',
          'AUTHZ_MAPPING_EXISTS',
          `Mapping ${duplicate[0]} already does this`,
          {
            mappingId: duplicate[0],
          },
        );
      }
      if (policy.mappings.size >= MAX_MAPPINGS) {
        throw new DomainError('conflict', 'AUTHZ_MAPPING_LIMIT_REACHED', `At most ${MAX_MAPPINGS} mappings`);
      }
      return [{ type: 'authz.group_mapping.created', data: { orgId, mappingId, source, roleId, resource } }];
    }
    case 'DeleteGroupMapping': {
      const { mappingId } = command.data;
      if (!policy.mappings.has(mappingId)) {
        throw new DomainError('not_found', 'AUTHZ_MAPPING_NOT_FOUND', 'The organization has no such mapping');
      }
      return [{ type: 'authz.group_mapping.deleted', data: { orgId: policy.orgId!, mappingId } }];
    }
    case 'WriteModel':
      return [
        {
          type: 'authz.model.written',
          data: { orgId: command.data.orgId, version: policy.modelVersion + 1, model: command.data.model },
        },
      ];
    default:
      return assertNever(command, 'Unknown policy command');
  }
};

const evolve = (policy: Policy, event: PolicyEvent): Policy => {
  switch (event.type) {
    case 'authz.role.created': {
      const { orgId, roleId, key, name, description, permissions, includes, system } = event.data;
      return {
        ...policy,
        orgId,
        roles: new Map(policy.roles).set(roleId, { key, name, description, permissions, includes, system }),
      };
    }
    case 'authz.role.updated': {
      const current = policy.roles.get(event.data.roleId);
      if (!current) return policy;
      const { name, description, permissions, includes } = event.data;
      return {
        ...policy,
        roles: new Map(policy.roles).set(event.data.roleId, {
          ...current,
          name,
          description,
          permissions,
          includes,
        }),
      };
    }
    case 'authz.role.deleted': {
      const roles = new Map(policy.roles);
      roles.delete(event.data.roleId);
      return { ...policy, roles };
    }
    case 'authz.group_mapping.created': {
      const { orgId, mappingId, source, roleId, resource } = event.data;
      return {
        ...policy,
        orgId,
        mappings: new Map(policy.mappings).set(mappingId, { source, roleId, resource }),
      };
    }
    case 'authz.group_mapping.deleted': {
      const mappings = new Map(policy.mappings);
      mappings.delete(event.data.mappingId);
      return { ...policy, mappings };
    }
    case 'authz.model.written':
      return { ...policy, orgId: event.data.orgId, modelVersion: event.data.version };
    default:
      return assertNever(event, 'Unknown policy event');
  }
};

export const policyDecider: Decider<Policy, PolicyCommand, PolicyEvent> = {
  initialState: () => ({ orgId: null, roles: new Map(), mappings: new Map(), modelVersion: 0 }),
  decide,
  evolve,
};
