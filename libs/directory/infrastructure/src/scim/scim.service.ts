import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { type DirectoryPrincipal } from '@mandate/platform';
import {
  applyPatch,
  compileFilter,
  createSchemaRegistry,
  type EntityTagCondition,
  type Filter,
  filterToSql,
  formatVersion,
  ifMatchSatisfied,
  type JsonObject,
  type ListQuery,
  listResponse,
  normalizeResource,
  project,
  replaceResource,
  type ResourceChange,
  type ResourceTypeName,
  type SchemaRegistry,
  ScimError,
  type ScimDocument,
  sortToSql,
} from '@mandate/scim';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DataSource } from 'typeorm';
import { type AgentsService } from '../agents/agents.service';
import { type DirectoryRow, toDeclaration } from '../directories/directories.service';
import { parseScimToken, scimTokenMatches } from '../directories/scim-token';
import { type WriteOptions } from '../persistence/directory-writer';
import { type GroupsService } from '../resources/groups.service';
import {
  type ResourceRow,
  type ResourcesRepository,
  type SqlCondition,
} from '../resources/resources.repository';
import { profileOf } from '../resources/user-profile';
import { type UsersService } from '../resources/users.service';

/** The largest page, advertised as `filter.maxResults`. */
export const SCIM_MAX_RESULTS = 200;
export const SCIM_BULK_LIMITS = { maxOperations: 1000, maxPayloadSize: 1_048_576 };

/** One authenticated SCIM request's directory: its schemas and its base URL. */
export interface ScimScope {
  readonly directory: DirectoryRow;
  readonly registry: SchemaRegistry;
  /** `https://host/scim/v2/{directoryId}`, no trailing slash. */
  readonly baseUrl: string;
  readonly principal: DirectoryPrincipal;
}

export interface ScimResult {
  readonly status: number;
  readonly body?: JsonObject;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Projection {
  readonly attributes: readonly string[];
  readonly excludedAttributes: readonly string[];
}

const ENDPOINTS: Readonly<Record<ResourceTypeName, string>> = {
  User: 'Users',
  Group: 'Groups',
  Agent: 'Agents',
};

const unauthorized = () =>
  new ScimError(401, undefined, 'A valid bearer token of this directory is required');
const notFound = (type: ResourceTypeName) => new ScimError(404, undefined, `No ${type} has this id`);

/**
 * Conflicts on concurrent writes without If-Match are retried (each time on the newer version) for
 * this long: each round one writer wins, so N concurrent writers need up to N rounds.
 */
const WRITE_RETRY_BUDGET_MS = 5_000;

const withoutServerAttributes = (document: ScimDocument): Record<string, unknown> => {
  const { id: _id, meta: _meta, ...rest } = document;
  return rest;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `value` of each element of a multi-valued attribute (`members`, `owners`). */
const valuesOf = (values: unknown): string[] =>
  (Array.isArray(values) ? values : [])
    .map((element: unknown) => (isObject(element) ? element['value'] : undefined))
    .filter((value): value is string => typeof value === 'string');

const textAt = (document: ScimDocument, key: string): string | undefined => {
  const value = document[key];
  return typeof value === 'string' ? value : undefined;
};

/** The SCIM 2.0 service of one directory: Users, Groups and Agents over the lifecycle commands. */
export class ScimService {
  private readonly registries = new Map<string, { version: number; registry: SchemaRegistry }>();
  /** The last queued write of each resource being written (see `oneAtATime`). */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly resources: ResourcesRepository,
    private readonly users: UsersService,
    private readonly groups: GroupsService,
    private readonly agents: AgentsService,
  ) {}

  /**
   * The directory a bearer token opens. A token of another directory gets the same 404 as a
   * directory that does not exist, so a token never learns what lies beyond its own directory.
   */
  async authenticate(
    directoryId: string,
    authorization: string | undefined,
    origin: string,
  ): Promise<ScimScope> {
    const token = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
    const parsed = token === undefined ? null : parseScimToken(token);
    if (!parsed) throw unauthorized();
    const rows: (DirectoryRow & { secret_hash: string })[] = await this.dataSource.query(
      `select d.*, t.secret_hash from directory.directory_tokens t
       join directory.directories d on d.directory_id = t.directory_id
       where t.token_id = $1 and t.revoked_at is null and d.status = 'active' and d.kind = 'scim'`,
      [parsed.tokenId],
    );
    const row = rows[0];
    if (!row || !scimTokenMatches(parsed.secret, row.secret_hash)) throw unauthorized();
    if (row.directory_id !== directoryId) throw new ScimError(404, undefined, 'No such directory');
    const { secret_hash: _hash, ...directory } = row;
    return {
      directory,
      registry: this.registryOf(directory),
      baseUrl: `${origin}/scim/v2/${directory.directory_id}`,
      principal: {
        type: 'directory',
        directoryId: directory.directory_id,
        orgId: directory.org_id,
        tokenId: parsed.tokenId,
      },
    };
  }

  // ---- reads ----

  async get(
    scope: ScimScope,
    type: ResourceTypeName,
    id: string,
    projection: Projection,
  ): Promise<ScimResult> {
    const row = await this.find(scope, type, id);
    const [rendered] = await this.render(scope, type, [row]);
    return {
      status: 200,
      body: project(scope.registry, type, rendered!, projection),
      headers: { ETag: formatVersion(row.version) },
    };
  }

  async list(scope: ScimScope, type: ResourceTypeName, query: ListQuery): Promise<ScimResult> {
    const where = query.filter ? filterCondition(type, query.filter) : undefined;
    const { total, rows } = await this.resources.list({ directoryId: scope.directory.directory_id }, type, {
      ...(where && { where }),
      ...(query.sort && { orderBy: sortToSql(query.sort, { column: 'doc' }) }),
      offset: query.startIndex - 1,
      limit: query.count,
    });
    const rendered = await this.render(scope, type, rows);
    const projected = rendered.map((document) => project(scope.registry, type, document, query));
    return { status: 200, body: listResponse(projected, total, query.startIndex) };
  }

  // ---- writes ----

  async create(
    scope: ScimScope,
    type: ResourceTypeName,
    body: unknown,
    projection: Projection,
  ): Promise<ScimResult> {
    const { document } = normalizeResource(scope.registry, type, body);
    const id = await this.createResource(scope, type, document);
    const row = await this.find(scope, type, id);
    const [rendered] = await this.render(scope, type, [row]);
    return {
      status: 201,
      body: project(scope.registry, type, rendered!, projection),
      headers: { ETag: formatVersion(row.version), Location: `${scope.baseUrl}/${ENDPOINTS[type]}/${id}` },
    };
  }

  replace(
    scope: ScimScope,
    type: ResourceTypeName,
    id: string,
    body: unknown,
    ifMatch: EntityTagCondition | undefined,
    projection: Projection,
  ): Promise<ScimResult> {
    return this.modify(scope, type, id, ifMatch, projection, 'PUT', (current) =>
      replaceResource(scope.registry, type, current, body),
    );
  }

  patch(
    scope: ScimScope,
    type: ResourceTypeName,
    id: string,
    body: unknown,
    ifMatch: EntityTagCondition | undefined,
    projection: Projection,
  ): Promise<ScimResult> {
    return this.modify(scope, type, id, ifMatch, projection, 'PATCH', (current) =>
      applyPatch(scope.registry, type, current, body),
    );
  }

  async delete(
    scope: ScimScope,
    type: ResourceTypeName,
    id: string,
    ifMatch: EntityTagCondition | undefined,
  ): Promise<ScimResult> {
    const row = await this.find(scope, type, id);
    this.assertIfMatch(ifMatch, row);
    const options: WriteOptions = ifMatch ? { expectedRevision: row.version } : {};
    const orgId = scope.directory.org_id;
    if (type === 'User')
      await this.users.delete(orgId, id, { source: 'scim', reason: 'deprovisioned' }, options);
    else if (type === 'Group')
      await this.groups.delete(orgId, id, { source: 'scim', reason: 'deprovisioned' }, options);
    else await this.agents.delete(orgId, id, 'scim');
    return { status: 204 };
  }

  /**
   * PUT and PATCH: the change is computed on the current document and written at its version; a
   * concurrent write in between makes the write fail and the change is computed again on the newer
   * document (with If-Match, the client's version is the only one accepted: 412 otherwise).
   */
  private async modify(
    scope: ScimScope,
    type: ResourceTypeName,
    id: string,
    ifMatch: EntityTagCondition | undefined,
    projection: Projection,
    method: 'PUT' | 'PATCH',
    change: (current: ScimDocument) => ResourceChange,
  ): Promise<ScimResult> {
    await this.oneAtATime(id, async () => {
      const giveUpAt = Date.now() + WRITE_RETRY_BUDGET_MS;
      for (let attempt = 1; ; attempt++) {
        const row = await this.find(scope, type, id);
        this.assertIfMatch(ifMatch, row);
        const [current] = await this.render(scope, type, [row], { forWrite: true });
        const result = change(current!);
        try {
          if (result.changed)
            await this.write(scope, type, row, current!, result, { expectedRevision: row.version });
          return;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError) || ifMatch) throw error;
          // Without If-Match a 412 would name a precondition the client never set.
          if (Date.now() >= giveUpAt)
            throw new ScimError(409, undefined, `The ${type} is being changed by other requests; retry`);
          // Jittered, so the writers that lost a round do not meet again in lockstep.
          await sleep(Math.random() * Math.min(50, attempt * 5));
        }
      }
    });
    const fresh = await this.find(scope, type, id);
    if (
      type === 'Group' &&
      method === 'PATCH' &&
      projection.attributes.length === 0 &&
      projection.excludedAttributes.length === 0
    ) {
      // Entra expects 204 from a group PATCH (the members could be many); PUT answers with the group.
      return { status: 204, headers: { ETag: formatVersion(fresh.version) } };
    }
    const [rendered] = await this.render(scope, type, [fresh]);
    return {
      status: 200,
      body: project(scope.registry, type, rendered!, projection),
      headers: { ETag: formatVersion(fresh.version) },
    };
  }

  /**
   * Runs the PUTs and PATCHes of one resource that reach this process one after the other: run
   * together they would only conflict and retry (an IdP may send several changes of one group at
   * once). Writes from other processes still meet the version check.
   */
  private async oneAtATime(id: string, work: () => Promise<void>): Promise<void> {
    const mine = (this.writing.get(id) ?? Promise.resolve()).then(work);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(id, settled);
    try {
      await mine;
    } finally {
      if (this.writing.get(id) === settled) this.writing.delete(id);
    }
  }

  private assertIfMatch(ifMatch: EntityTagCondition | undefined, row: ResourceRow): void {
    if (!ifMatchSatisfied(ifMatch, row.version)) {
      throw new ScimError(412, undefined, `The resource is at version ${formatVersion(row.version)}`);
    }
  }

  private async createResource(
    scope: ScimScope,
    type: ResourceTypeName,
    document: ScimDocument,
  ): Promise<string> {
    const key = { orgId: scope.directory.org_id, directoryId: scope.directory.directory_id };
    switch (type) {
      case 'User': {
        const snapshot = this.userSnapshot(document);
        return (await this.users.provision(key, snapshot, 'scim')).userId;
      }
      case 'Group': {
        const snapshot = await this.groupSnapshot(scope, document);
        return (await this.groups.create(key, snapshot, 'scim')).groupId;
      }
      case 'Agent': {
        const agent = await this.agents.register(key.orgId, this.agentInput(document), {
          directoryId: key.directoryId,
          source: 'scim',
        });
        if (document['active'] === false) await this.agents.suspend(key.orgId, agent.id, 'scim');
        return agent.id;
      }
    }
  }

  private async write(
    scope: ScimScope,
    type: ResourceTypeName,
    row: ResourceRow,
    before: ScimDocument,
    result: ResourceChange,
    options: WriteOptions,
  ): Promise<void> {
    const orgId = scope.directory.org_id;
    switch (type) {
      case 'User':
        await this.users.change(orgId, row.id, this.userSnapshot(result.document), 'scim', options);
        return;
      case 'Group':
        await this.groups.change(
          orgId,
          row.id,
          await this.groupSnapshot(scope, result.document, before),
          'scim',
          options,
        );
        return;
      case 'Agent': {
        await this.agents.update(orgId, row.id, this.agentInput(result.document), {
          source: 'scim',
          expectedRevision: row.version,
        });
        // As for users, an agent without `active` is active.
        const active = result.document['active'] !== false;
        if (!active && row.active) await this.agents.suspend(orgId, row.id, 'scim');
        if (active && !row.active) await this.agents.reactivate(orgId, row.id);
        return;
      }
    }
  }

  /** A user without `active` is active: unassigned takes the default (RFC 7643 §4.1.1 leaves it to us). */
  private userSnapshot(document: ScimDocument) {
    const userName = textAt(document, 'userName');
    if (userName === undefined) throw new ScimError(400, 'invalidValue', 'userName is required');
    const active = document['active'] !== false;
    const resource = withoutServerAttributes(document);
    return {
      externalId: textAt(document, 'externalId') ?? null,
      userName,
      active,
      profile: profileOf(resource),
      resource,
    };
  }

  /**
   * The group without its members, and its members checked to be users or groups of this directory.
   * Members carried over from `before` are kept as they are: a member deleted a moment ago stays in
   * its groups until the directory's reaction removes it, and is no reason to refuse the change.
   */
  private async groupSnapshot(scope: ScimScope, document: ScimDocument, before?: ScimDocument) {
    const displayName = textAt(document, 'displayName');
    if (displayName === undefined) throw new ScimError(400, 'invalidValue', 'displayName is required');
    const { members: rawMembers, ...rest } = withoutServerAttributes(document);
    const ids = [...new Set(valuesOf(rawMembers))];
    const directoryId = scope.directory.directory_id;
    const [users, groups] = await Promise.all([
      this.resources.existing(directoryId, 'User', ids),
      this.resources.existing(directoryId, 'Group', ids),
    ]);
    const carried = new Map<unknown, 'user' | 'group'>(
      (Array.isArray(before?.['members']) ? (before['members'] as unknown[]) : []).flatMap((member) =>
        isObject(member) ? [[member['value'], member['type'] === 'Group' ? 'group' : 'user'] as const] : [],
      ),
    );
    const unknown = ids.filter((id) => !users.has(id) && !groups.has(id) && !carried.has(id));
    if (unknown.length > 0) {
      throw new ScimError(
        400,
        'invalidValue',
        `members must be users or groups of this directory; unknown: ${unknown.slice(0, 5).join(', ')}`,
      );
    }
    return {
      externalId: textAt(document, 'externalId') ?? null,
      displayName,
      resource: rest,
      members: ids.map((id) => ({
        id,
        type: users.has(id) ? ('user' as const) : groups.has(id) ? ('group' as const) : carried.get(id)!,
      })),
    };
  }

  private agentInput(document: ScimDocument) {
    const displayName = textAt(document, 'displayName');
    if (displayName === undefined) throw new ScimError(400, 'invalidValue', 'displayName is required');
    const { active: _active, ...resource } = withoutServerAttributes(document);
    return {
      displayName,
      description: textAt(document, 'description') ?? null,
      externalId: textAt(document, 'externalId') ?? null,
      ownerIds: valuesOf(document['owners']),
      resource: { ...resource, ...(document['active'] !== undefined && { active: true }) },
    };
  }

  private async find(scope: ScimScope, type: ResourceTypeName, id: string): Promise<ResourceRow> {
    const row = await this.resources.find(scope.directory.directory_id, type, id);
    if (!row) throw notFound(type);
    return row;
  }

  /**
   * Stored documents as SCIM serves them: with `meta`, a user's groups and a group's members (both
   * read-only, kept in tables of their own). `forWrite` leaves out what a PUT or PATCH must not see.
   */
  private async render(
    scope: ScimScope,
    type: ResourceTypeName,
    rows: readonly ResourceRow[],
    { forWrite = false }: { forWrite?: boolean } = {},
  ): Promise<ScimDocument[]> {
    const ids = rows.map((row) => row.id);
    const groups = type === 'User' && !forWrite ? await this.resources.groupsOf(ids) : undefined;
    const members = type === 'Group' ? await this.resources.membersOf(ids) : undefined;
    return rows.map((row) => {
      const document: ScimDocument = { ...(row.doc as ScimDocument), id: row.id };
      if (groups) {
        const of = groups.get(row.id) ?? [];
        if (of.length > 0) {
          document['groups'] = of.map((group) => ({
            value: group.id,
            $ref: `${scope.baseUrl}/Groups/${group.id}`,
            display: group.displayName,
            type: 'direct',
          }));
        }
      }
      if (members) {
        const of = members.get(row.id) ?? [];
        if (of.length > 0) {
          document['members'] = of.map((member) => {
            const endpoint = member.memberType === 'user' ? 'Users' : 'Groups';
            const type = member.memberType === 'user' ? 'User' : 'Group';
            const value: JsonObject = { value: member.memberId, type };
            if (!forWrite) value['$ref'] = `${scope.baseUrl}/${endpoint}/${member.memberId}`;
            return value;
          });
        }
      }
      if (!forWrite) {
        document['meta'] = {
          resourceType: type,
          created: row.created_at.toISOString(),
          lastModified: row.updated_at.toISOString(),
          location: `${scope.baseUrl}/${ENDPOINTS[type]}/${row.id}`,
          version: formatVersion(row.version),
        };
      }
      return document;
    });
  }

  private registryOf(directory: DirectoryRow): SchemaRegistry {
    const cached = this.registries.get(directory.directory_id);
    if (cached?.version === directory.version) return cached.registry;
    const registry = createSchemaRegistry(directory.custom_schemas.map(toDeclaration));
    this.registries.set(directory.directory_id, { version: directory.version, registry });
    return registry;
  }

  /** Compiles a filter for this directory (used by the root `/.search`). */
  compile(scope: ScimScope, type: ResourceTypeName, filter: string) {
    return compileFilter(filter, scope.registry, type);
  }
}

/** The name of what a type keeps outside its document: a user's `groups`, a group's `members`. */
const DERIVED: Readonly<Partial<Record<ResourceTypeName, string>>> = { User: 'groups', Group: 'members' };

/** The stored document with its derived attribute added, for filters that read it. */
const DERIVED_DOCUMENT: Readonly<Partial<Record<ResourceTypeName, string>>> = {
  User: `resources.doc || jsonb_build_object('groups', coalesce((select jsonb_agg(jsonb_build_object(
           'value', m.group_id, 'display', g.name, 'type', 'direct')) from directory.group_members m
           join directory.resources g on g.id = m.group_id where m.member_id = resources.id), '[]'::jsonb))`,
  Group: `resources.doc || jsonb_build_object('members', coalesce((select jsonb_agg(jsonb_build_object(
            'value', m.member_id, 'type', case m.member_type when 'user' then 'User' else 'Group' end))
            from directory.group_members m where m.group_id = resources.id), '[]'::jsonb))`,
};

/**
 * The WHERE condition of a filter (parameters from `$3`). A filter that reads a derived attribute
 * runs over the document with it added; others over the stored document, as indexes expect.
 */
const filterCondition = (type: ResourceTypeName, filter: Filter): SqlCondition => {
  const derived = DERIVED[type];
  if (derived === undefined || !JSON.stringify(filter).toLowerCase().includes(`"${derived}"`)) {
    return filterToSql(filter, { column: 'doc', firstParam: 3 });
  }
  const fragment = filterToSql(filter, { column: 'derived.doc', firstParam: 3 });
  return {
    sql: `exists (select 1 from (select ${DERIVED_DOCUMENT[type]!} as doc) derived where ${fragment.sql})`,
    params: fragment.params,
  };
};
