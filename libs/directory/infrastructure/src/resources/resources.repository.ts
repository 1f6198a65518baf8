import { type DataSource } from 'typeorm';

export type ResourceType = 'User' | 'Group' | 'Agent';

/** One provisioned resource of the read model: its SCIM document and what SCIM's `meta` needs. */
export interface ResourceRow {
  readonly id: string;
  readonly resource_type: ResourceType;
  readonly org_id: string;
  readonly directory_id: string | null;
  readonly external_id: string | null;
  readonly name: string;
  readonly active: boolean;
  readonly doc: Record<string, unknown>;
  readonly version: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface Member {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberType: 'user' | 'group';
}

const LIVE = 'deleted_at is null';

/** Reads of `directory.resources` and its membership tables; every query is scoped by directory or organization. */
export class ResourcesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(directoryId: string, type: ResourceType, id: string): Promise<ResourceRow | null> {
    const rows: ResourceRow[] = await this.dataSource.query(
      `select * from directory.resources where id = $1 and directory_id = $2 and resource_type = $3 and ${LIVE}`,
      [id, directoryId, type],
    );
    return rows[0] ?? null;
  }

  async findInOrg(orgId: string, type: ResourceType, id: string): Promise<ResourceRow | null> {
    const rows: ResourceRow[] = await this.dataSource.query(
      `select * from directory.resources where id = $1 and org_id = $2 and resource_type = $3 and ${LIVE}`,
      [id, orgId, type],
    );
    return rows[0] ?? null;
  }

  async findByExternalId(
    directoryId: string,
    type: ResourceType,
    externalId: string,
  ): Promise<ResourceRow | null> {
    const rows: ResourceRow[] = await this.dataSource.query(
      `select * from directory.resources
       where directory_id = $1 and resource_type = $2 and external_id = $3 and ${LIVE}`,
      [directoryId, type, externalId],
    );
    return rows[0] ?? null;
  }

  /**
   * The resources of a type in a directory (or organization) that match `where`, ordered, one page
   * of them, and how many match in all. `where.sql` numbers its parameters from `$3`.
   */
  async list(
    scope: { directoryId: string } | { orgId: string },
    type: ResourceType,
    {
      where,
      orderBy,
      offset,
      limit,
    }: { where?: SqlCondition; orderBy?: string; offset: number; limit: number },
  ): Promise<{ total: number; rows: ResourceRow[] }> {
    const scopeColumn = 'directoryId' in scope ? 'directory_id' : 'org_id';
    const scopeValue = 'directoryId' in scope ? scope.directoryId : scope.orgId;
    const params: unknown[] = [scopeValue, type, ...(where?.params ?? [])];
    const condition = `${scopeColumn} = $1 and resource_type = $2 and ${LIVE}${where ? ` and (${where.sql})` : ''}`;
    const [{ total }] = await this.dataSource.query<[{ total: number }]>(
      `select count(*)::int as total from directory.resources where ${condition}`,
      params,
    );
    if (limit === 0 || total === 0) return { total, rows: [] };
    const rows: ResourceRow[] = await this.dataSource.query(
      `select * from directory.resources where ${condition}
       order by ${orderBy ? `${orderBy}, ` : ''}id
       offset $${params.length + 1} limit $${params.length + 2}`,
      [...params, offset, limit],
    );
    return { total, rows };
  }

  async membersOf(groupIds: readonly string[]): Promise<Map<string, Member[]>> {
    const members = new Map<string, Member[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return members;
    const rows: { group_id: string; member_id: string; member_type: 'user' | 'group' }[] =
      await this.dataSource.query(
        `select group_id, member_id, member_type from directory.group_members
         where group_id = any($1::text[]) order by group_id, member_id`,
        [groupIds],
      );
    for (const row of rows) {
      members
        .get(row.group_id)
        ?.push({ groupId: row.group_id, memberId: row.member_id, memberType: row.member_type });
    }
    return members;
  }

  /** The groups each member is directly in, with their names (SCIM User `groups`). */
  async groupsOf(memberIds: readonly string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
    const groups = new Map<string, { id: string; displayName: string }[]>(memberIds.map((id) => [id, []]));
    if (memberIds.length === 0) return groups;
    const rows: { member_id: string; group_id: string; name: string }[] = await this.dataSource.query(
      `select m.member_id, m.group_id, r.name from directory.group_members m
       join directory.resources r on r.id = m.group_id and r.${LIVE}
       where m.member_id = any($1::text[]) order by m.member_id, r.name`,
      [memberIds],
    );
    for (const row of rows) groups.get(row.member_id)?.push({ id: row.group_id, displayName: row.name });
    return groups;
  }

  /** Which of `ids` are live resources of that type in the directory. */
  async existing(directoryId: string, type: ResourceType, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await this.dataSource.query(
      `select id from directory.resources
       where id = any($1::text[]) and directory_id = $2 and resource_type = $3 and ${LIVE}`,
      [ids, directoryId, type],
    );
    return new Set(rows.map((row) => row.id));
  }

  async idsInDirectory(directoryId: string, type: ResourceType): Promise<{ id: string; orgId: string }[]> {
    const rows: { id: string; org_id: string }[] = await this.dataSource.query(
      `select id, org_id from directory.resources where directory_id = $1 and resource_type = $2 and ${LIVE}`,
      [directoryId, type],
    );
    return rows.map((row) => ({ id: row.id, orgId: row.org_id }));
  }

  async idsInOrg(orgId: string, type: ResourceType): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `select id from directory.resources where org_id = $1 and resource_type = $2 and ${LIVE}`,
      [orgId, type],
    );
    return rows.map((row) => row.id);
  }
}
