import { agentStream, type LifecycleSource } from '@mandate/contracts';
import { agentDecider, agentNotFound } from '@mandate/directory-domain';
import { type DataSource } from 'typeorm';
import { newId } from '../ids';
import { type DirectoryWriter, type WriteCause } from '../persistence/directory-writer';

export interface AgentView {
  readonly id: string;
  readonly organizationId: string;
  readonly directoryId: string | null;
  readonly externalId: string | null;
  readonly displayName: string;
  readonly description: string | null;
  readonly ownerIds: string[];
  readonly status: 'active' | 'suspended';
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AgentInput {
  readonly displayName: string;
  readonly description: string | null;
  readonly ownerIds: readonly string[];
  readonly externalId: string | null;
  /** The SCIM document, for agents an IdP provisions. */
  readonly resource?: Readonly<Record<string, unknown>> | null;
}

interface AgentRow {
  id: string;
  org_id: string;
  directory_id: string | null;
  external_id: string | null;
  active: boolean;
  doc: { displayName: string; description?: string; owners: { value: string }[] };
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const toAgentView = (row: AgentRow): AgentView => ({
  id: row.id,
  organizationId: row.org_id,
  directoryId: row.directory_id,
  externalId: row.external_id,
  displayName: row.doc.displayName,
  description: row.doc.description ?? null,
  ownerIds: row.doc.owners.map((owner) => owner.value),
  status: row.active ? 'active' : 'suspended',
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** The agent registry: every agent is a principal of its organization, owned by (and accountable to) users. */
export class AgentsService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    writer: DirectoryWriter,
  ) {
    this.execute = writer.handlerFor(agentDecider);
  }

  async register(
    orgId: string,
    input: AgentInput,
    options: { directoryId?: string | null; source?: LifecycleSource } = {},
  ): Promise<AgentView> {
    const agentId = newId('agt');
    await this.execute(agentStream(agentId), orgId, 'RegisterAgent', {
      orgId,
      agentId,
      directoryId: options.directoryId ?? null,
      ...input,
      resource: input.resource ?? null,
      source: options.source ?? 'admin',
      activeOwnerIds: await this.activeUsers(orgId, input.ownerIds),
    });
    return this.get(orgId, agentId);
  }

  async update(
    orgId: string,
    agentId: string,
    input: AgentInput,
    options: { source?: LifecycleSource; expectedRevision?: number } = {},
  ): Promise<AgentView> {
    await this.get(orgId, agentId);
    await this.execute(
      agentStream(agentId),
      orgId,
      'UpdateAgent',
      {
        ...input,
        resource: input.resource ?? null,
        source: options.source ?? 'admin',
        activeOwnerIds: await this.activeUsers(orgId, input.ownerIds),
      },
      { ...(options.expectedRevision !== undefined && { expectedRevision: options.expectedRevision }) },
    );
    return this.get(orgId, agentId);
  }

  async suspend(
    orgId: string,
    agentId: string,
    reason: 'owner_left' | 'admin' | 'scim' = 'admin',
    options: { ownerId?: string; cause?: WriteCause } = {},
  ): Promise<AgentView> {
    await this.get(orgId, agentId);
    await this.execute(
      agentStream(agentId),
      orgId,
      'SuspendAgent',
      { reason, ownerId: options.ownerId ?? null },
      { ...(options.cause && { cause: options.cause }) },
    );
    return this.get(orgId, agentId);
  }

  async reactivate(orgId: string, agentId: string): Promise<AgentView> {
    const agent = await this.get(orgId, agentId);
    await this.execute(agentStream(agentId), orgId, 'ReactivateAgent', {
      activeOwnerIds: await this.activeUsers(orgId, agent.ownerIds),
    });
    return this.get(orgId, agentId);
  }

  async delete(
    orgId: string,
    agentId: string,
    reason: 'admin' | 'scim' | 'organization_deleted' = 'admin',
    cause?: WriteCause,
  ): Promise<void> {
    await this.get(orgId, agentId);
    await this.execute(agentStream(agentId), orgId, 'DeleteAgent', { reason }, { ...(cause && { cause }) });
  }

  async get(orgId: string, agentId: string): Promise<AgentView> {
    const rows: AgentRow[] = await this.dataSource.query(
      `select * from directory.resources
       where id = $1 and org_id = $2 and resource_type = 'Agent' and deleted_at is null`,
      [agentId, orgId],
    );
    if (!rows[0]) throw agentNotFound();
    return toAgentView(rows[0]);
  }

  /** An organization's agents by registration, optionally only those a user owns. */
  async list(
    orgId: string,
    { limit, after, ownerId }: { limit: number; after?: string | undefined; ownerId?: string | undefined },
  ): Promise<{ data: AgentView[]; nextCursor: string | null }> {
    const rows: AgentRow[] = await this.dataSource.query(
      `select r.* from directory.resources r
       where r.org_id = $1 and r.resource_type = 'Agent' and r.deleted_at is null and r.id > $2
         and ($3::text is null or exists (
           select 1 from directory.agent_owners o where o.agent_id = r.id and o.owner_id = $3))
       order by r.id limit $4`,
      [orgId, after ?? '', ownerId ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      data: page.map(toAgentView),
      nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  }

  /** The active agents `ownerId` owns, for the leaver reaction. */
  async activeAgentsOwnedBy(ownerId: string): Promise<{ agentId: string; orgId: string }[]> {
    const rows: { agent_id: string; org_id: string }[] = await this.dataSource.query(
      `select o.agent_id, o.org_id from directory.agent_owners o
       join directory.resources r on r.id = o.agent_id and r.deleted_at is null and r.active
       where o.owner_id = $1`,
      [ownerId],
    );
    return rows.map((row) => ({ agentId: row.agent_id, orgId: row.org_id }));
  }

  /** Which of `userIds` are active, undeleted users of the organization. */
  private async activeUsers(orgId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows: { id: string }[] = await this.dataSource.query(
      `select id from directory.resources
       where id = any($1::text[]) and org_id = $2 and resource_type = 'User' and active and deleted_at is null`,
      [userIds, orgId],
    );
    return rows.map((row) => row.id);
  }
}
