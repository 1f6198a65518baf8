import {
  assignmentsStream,
  type GroupSource,
  policyStream,
  type RoleAssigned,
  type RoleUnassigned,
} from '@mandate/contracts';
import { policyDecider, type RoleInput } from '@mandate/authz-domain';
import { DomainError, formatPosition } from '@mandate/kernel';
import { type ContextWriter, type WriteCause } from '@mandate/platform';
import { createHash } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { newId } from '../ids';

export interface RoleView {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: string[];
  readonly includes: string[];
  readonly system: boolean;
  readonly updatedAt: string;
}

interface RoleRow {
  role_id: string;
  key: string;
  name: string;
  description: string;
  permissions: string[];
  includes: string[];
  system: boolean;
  updated_at: Date;
}

const toRoleView = (row: RoleRow): RoleView => ({
  id: row.role_id,
  key: row.key,
  name: row.name,
  description: row.description,
  permissions: row.permissions,
  includes: row.includes,
  system: row.system,
  updatedAt: row.updated_at.toISOString(),
});

export interface MappingView {
  readonly id: string;
  readonly source: GroupSource;
  readonly roleId: string;
  readonly resource: string | null;
  readonly createdAt: string;
}

export interface AssignmentView {
  readonly roleId: string;
  readonly subject: string;
  readonly resource: string | null;
  readonly mappingId: string | null;
  /** `sso:<connectionId>` when a connection's IdP asserted it; null when the organization made it. */
  readonly source: string | null;
  readonly assignedAt: string;
}

/** Every organization has these; they cannot be changed or deleted. */
export const SYSTEM_ROLES = [
  {
    key: 'admin',
    name: 'Administrator',
    description: 'Every permission in the organization.',
    permissions: ['*'],
  },
  {
    key: 'member',
    name: 'Member',
    description: 'A member of the organization, with no permission of its own.',
    permissions: [],
  },
] as const;

/** A system role's id is derived from its organization and key, so seeding it twice is one role. */
export const systemRoleId = (orgId: string, key: string): string => {
  const digest = createHash('sha256').update(`${orgId}:${key}`).digest();
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let id = '';
  for (let i = 0; i < 26; i++) id += alphabet[digest[i]! % 32];
  return `rol_${id}`;
};

const notFound = (what: string) =>
  new DomainError('not_found', `AUTHZ_${what.toUpperCase()}_NOT_FOUND`, `No such ${what}`);

/** Roles, their hierarchy and assignments, and the group mappings that assign them (RBAC). */
export class PolicyService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
  ) {
    this.execute = writer.handlerFor(policyDecider);
  }

  async seedSystemRoles(orgId: string, cause?: WriteCause): Promise<void> {
    for (const role of SYSTEM_ROLES) {
      await this.execute(
        policyStream(orgId),
        orgId,
        'CreateRole',
        {
          orgId,
          roleId: systemRoleId(orgId, role.key),
          ...role,
          permissions: [...role.permissions],
          includes: [],
          system: true,
        },
        { ...(cause && { cause }) },
      ).catch((error: unknown) => {
        if (!(error instanceof DomainError && error.code === 'AUTHZ_ROLE_EXISTS')) throw error;
      });
    }
  }

  async createRole(orgId: string, key: string, input: RoleInput): Promise<{ role: RoleView; token: string }> {
    const roleId = newId('rol');
    const { position } = await this.execute(policyStream(orgId), orgId, 'CreateRole', {
      orgId,
      roleId,
      key,
      ...input,
    });
    return { role: await this.role(orgId, roleId), token: formatPosition(position!) };
  }

  async updateRole(
    orgId: string,
    roleId: string,
    input: RoleInput,
  ): Promise<{ role: RoleView; token: string | null }> {
    await this.role(orgId, roleId);
    const { position } = await this.execute(policyStream(orgId), orgId, 'UpdateRole', { roleId, ...input });
    return { role: await this.role(orgId, roleId), token: position && formatPosition(position) };
  }

  async deleteRole(orgId: string, roleId: string): Promise<string> {
    await this.role(orgId, roleId);
    const { position } = await this.execute(policyStream(orgId), orgId, 'DeleteRole', { roleId });
    return formatPosition(position!);
  }

  async role(orgId: string, roleId: string): Promise<RoleView> {
    const rows: RoleRow[] = await this.dataSource.query(
      'select * from authz.roles where role_id = $1 and org_id = $2',
      [roleId, orgId],
    );
    if (!rows[0]) throw notFound('role');
    return toRoleView(rows[0]);
  }

  async roles(orgId: string): Promise<RoleView[]> {
    const rows: RoleRow[] = await this.dataSource.query(
      'select * from authz.roles where org_id = $1 order by system desc, key',
      [orgId],
    );
    return rows.map(toRoleView);
  }

  async assign(
    orgId: string,
    roleId: string,
    subject: string,
    resource: string | null,
  ): Promise<{ assignment: AssignmentView; token: string }> {
    await this.role(orgId, roleId);
    const event: RoleAssigned = {
      type: 'authz.role.assigned',
      data: { orgId, roleId, subject, resource, mappingId: null },
    };
    const position = await this.writer.append(assignmentsStream(orgId), orgId, [event]);
    const [assignment] = await this.assignments(orgId, { roleId, subject, resource, source: null });
    return { assignment: assignment!, token: formatPosition(position) };
  }

  async unassign(orgId: string, roleId: string, subject: string, resource: string | null): Promise<string> {
    const [assignment] = await this.assignments(orgId, { roleId, subject, resource, source: null });
    if (!assignment) throw notFound('assignment');
    const event: RoleUnassigned = {
      type: 'authz.role.unassigned',
      data: { orgId, roleId, subject, resource, mappingId: null, reason: 'unassigned' },
    };
    return formatPosition(await this.writer.append(assignmentsStream(orgId), orgId, [event]));
  }

  async assignments(
    orgId: string,
    filter: { roleId?: string; subject?: string; resource?: string | null; source?: string | null },
  ): Promise<AssignmentView[]> {
    const rows: {
      role_id: string;
      subject: string;
      resource: string;
      mapping_id: string | null;
      source: string;
      assigned_at: Date;
    }[] = await this.dataSource.query(
      `select * from authz.assignments where org_id = $1
           and ($2::text is null or role_id = $2) and ($3::text is null or subject = $3)
           and ($4::text is null or resource = $4) and ($5::text is null or source = $5)
         order by assigned_at, role_id, subject limit 1000`,
      [
        orgId,
        filter.roleId ?? null,
        filter.subject ?? null,
        filter.resource === undefined ? null : (filter.resource ?? ''),
        filter.source === undefined ? null : (filter.source ?? ''),
      ],
    );
    return rows.map((row) => ({
      roleId: row.role_id,
      subject: row.subject,
      resource: row.resource === '' ? null : row.resource,
      mappingId: row.mapping_id,
      source: row.source === '' ? null : row.source,
      assignedAt: row.assigned_at.toISOString(),
    }));
  }

  async createMapping(
    orgId: string,
    input: { source: GroupSource; roleId: string; resource: string | null },
  ): Promise<{ mapping: MappingView; token: string }> {
    const mappingId = newId('map');
    const { position } = await this.execute(policyStream(orgId), orgId, 'CreateGroupMapping', {
      orgId,
      mappingId,
      ...input,
    });
    return { mapping: await this.mapping(orgId, mappingId), token: formatPosition(position!) };
  }

  async deleteMapping(orgId: string, mappingId: string): Promise<string> {
    await this.mapping(orgId, mappingId);
    const { position } = await this.execute(policyStream(orgId), orgId, 'DeleteGroupMapping', { mappingId });
    return formatPosition(position!);
  }

  async mapping(orgId: string, mappingId: string): Promise<MappingView> {
    const [row] = await this.mappings(orgId, mappingId);
    if (!row) throw notFound('mapping');
    return row;
  }

  async mappings(orgId: string, mappingId?: string): Promise<MappingView[]> {
    const rows: {
      mapping_id: string;
      source: GroupSource;
      role_id: string;
      resource: string | null;
      created_at: Date;
    }[] = await this.dataSource.query(
      `select * from authz.group_mappings where org_id = $1 and ($2::text is null or mapping_id = $2)
         order by created_at, mapping_id`,
      [orgId, mappingId ?? null],
    );
    return rows.map((row) => ({
      id: row.mapping_id,
      source: row.source,
      roleId: row.role_id,
      resource: row.resource,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /** Writes a model the relationship engine has validated. */
  async writeModel(
    orgId: string,
    model: Record<string, unknown>,
  ): Promise<{ version: number; token: string }> {
    const { newState, position } = await this.execute(policyStream(orgId), orgId, 'WriteModel', {
      orgId,
      model,
    });
    return { version: newState.modelVersion, token: formatPosition(position!) };
  }
}
