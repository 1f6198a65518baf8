import { ZodQuery } from '@mandate/platform';
import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@mandate/kernel';
import { z } from 'zod';
import { type ResourceRow, ResourcesRepository } from './resources.repository';

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(40).optional(),
  directoryId: z
    .string()
    .regex(/^dir_[0-9a-z]{26}$/)
    .optional(),
});

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface MultiValue {
  value?: unknown;
  primary?: unknown;
}

const primaryValue = (values: unknown): string | null => {
  if (!Array.isArray(values)) return null;
  const list = values as MultiValue[];
  const chosen = list.find((v) => v.primary === true) ?? list[0];
  return typeof chosen?.value === 'string' ? chosen.value : null;
};

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const userView = (row: ResourceRow, groups: { id: string; displayName: string }[]) => {
  const name = (row.doc['name'] ?? {}) as Record<string, unknown>;
  const enterprise = (row.doc[ENTERPRISE] ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    organizationId: row.org_id,
    directoryId: row.directory_id,
    externalId: row.external_id,
    userName: row.name,
    active: row.active,
    displayName: text(row.doc['displayName']),
    givenName: text(name['givenName']),
    familyName: text(name['familyName']),
    email: primaryValue(row.doc['emails']),
    title: text(row.doc['title']),
    department: text(enterprise['department']),
    employeeNumber: text(enterprise['employeeNumber']),
    groups,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
};

const groupView = (row: ResourceRow, memberCount: number) => ({
  id: row.id,
  organizationId: row.org_id,
  directoryId: row.directory_id,
  externalId: row.external_id,
  displayName: row.name,
  memberCount,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** The directory's users and groups, read-only: directories own them, and SCIM or HRIS changes them. */
@ApiTags('users and groups')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId')
export class PeopleController {
  constructor(private readonly resources: ResourcesRepository) {}

  @Get('users')
  @ApiOperation({ summary: "List an organization's users (optionally one directory's), by creation" })
  async listUsers(@Param('orgId') orgId: string, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    const { rows, nextCursor } = await this.page(orgId, 'User', query);
    const groups = await this.resources.groupsOf(rows.map((row) => row.id));
    return { data: rows.map((row) => userView(row, groups.get(row.id) ?? [])), nextCursor };
  }

  @Get('users/:userId')
  @ApiOperation({ summary: 'Read a user' })
  async getUser(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    const row = await this.resources.findInOrg(orgId, 'User', userId);
    if (!row) throw new DomainError('not_found', 'DIRECTORY_USER_NOT_FOUND', 'The user does not exist');
    const groups = await this.resources.groupsOf([userId]);
    return userView(row, groups.get(userId) ?? []);
  }

  @Get('groups')
  @ApiOperation({ summary: "List an organization's groups (optionally one directory's), by creation" })
  async listGroups(@Param('orgId') orgId: string, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    const { rows, nextCursor } = await this.page(orgId, 'Group', query);
    const members = await this.resources.membersOf(rows.map((row) => row.id));
    return { data: rows.map((row) => groupView(row, members.get(row.id)?.length ?? 0)), nextCursor };
  }

  @Get('groups/:groupId')
  @ApiOperation({ summary: 'Read a group and its members' })
  async getGroup(@Param('orgId') orgId: string, @Param('groupId') groupId: string) {
    const row = await this.resources.findInOrg(orgId, 'Group', groupId);
    if (!row) throw new DomainError('not_found', 'DIRECTORY_GROUP_NOT_FOUND', 'The group does not exist');
    const members = (await this.resources.membersOf([groupId])).get(groupId) ?? [];
    return {
      ...groupView(row, members.length),
      members: members.map((member) => ({ id: member.memberId, type: member.memberType })),
    };
  }

  private async page(orgId: string, type: 'User' | 'Group', query: z.infer<typeof listQuery>) {
    const params: unknown[] = [query.after ?? ''];
    let sql = 'id > $3';
    if (query.directoryId) {
      params.push(query.directoryId);
      sql += ' and directory_id = $4';
    }
    const { rows } = await this.resources.list({ orgId }, type, {
      where: { sql, params },
      offset: 0,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return { rows: page, nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
  }
}
