import {
  AgentDeletedV1,
  AgentReactivatedV1,
  AgentRegisteredV1,
  AgentSuspendedV1,
  AgentUpdatedV1,
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
  GroupCreatedV1,
  GroupDeletedV1,
  GroupMemberAddedV1,
  GroupMemberRemovedV1,
  GroupUpdatedV1,
  UserDeactivatedV1,
  UserDeactivationScheduledV1,
  UserDeletedV1,
  UserProvisionedV1,
  UserReactivatedV1,
  UserUpdatedV1,
} from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { type DataSource } from 'typeorm';
import { agentDocument } from './resource-documents';

const PROJECTION = 'directory.resources';

/** What the projection needs of a connection: a transaction's EntityManager, or a pg client in an append's transaction. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

interface Versioned {
  readonly version: number;
}

/**
 * Keeps the directory's read models — directories and their tokens, users, groups and agents as
 * SCIM documents, memberships, owners, domains and scheduled deactivations — from the directory's
 * own event store. A batch is applied in one transaction. Each stream's row records the revision
 * it reached, so an event delivered again after a crash is recognised and skipped; the rows that
 * have no revision of their own (members, owners, tokens) change only with their stream's row.
 */
export class DirectoryProjection {
  private constructor(private readonly subscription: Subscription) {}

  static async start(store: EventStore, dataSource: DataSource): Promise<DirectoryProjection> {
    const subscription = await store.subscribe({
      subscriptionId: `projection:${PROJECTION}`,
      filter: {
        typePrefixes: [
          'directory.directory.',
          'directory.user.',
          'directory.group.',
          'directory.agent.',
          'directory.domain.',
        ],
      },
      batchSize: 500,
      handle: (events) =>
        dataSource.transaction(async (manager) => {
          for (const event of events) await applyDirectoryEvent(manager, event);
        }),
    });
    return new DirectoryProjection(subscription);
  }

  waitFor(position: GlobalPosition, timeoutMs = 5_000): Promise<void> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  get checkpoint(): GlobalPosition | null {
    return this.subscription.checkpoint;
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}

const rowVersion = async (manager: Queryable, table: string, key: string, id: string) => {
  const rows: Versioned[] = await manager.query(`select version from directory.${table} where ${key} = $1`, [
    id,
  ]);
  return rows[0]?.version ?? null;
};

/** Whether the event is news for its stream's row (not a redelivery of one already applied). */
const isNew = async (manager: Queryable, table: string, key: string, id: string, event: RecordedEvent) => {
  const version = await rowVersion(manager, table, key, id);
  return version === null || version < event.streamRevision;
};

const touchResource = (manager: Queryable, id: string, event: RecordedEvent) =>
  manager.query('update directory.resources set version = $2, updated_at = $3 where id = $1', [
    id,
    event.streamRevision,
    event.occurredAt,
  ]);

const upsertResource = (
  manager: Queryable,
  row: {
    id: string;
    resourceType: 'User' | 'Group' | 'Agent';
    orgId: string;
    directoryId: string | null;
    externalId: string | null;
    name: string;
    active: boolean;
    doc: Record<string, unknown>;
  },
  event: RecordedEvent,
) =>
  manager.query(
    `insert into directory.resources
       (id, resource_type, org_id, directory_id, external_id, name, active, doc, version, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
     on conflict (id) do update set external_id = $5, name = $6, active = $7, doc = $8, version = $9, updated_at = $10`,
    [
      row.id,
      row.resourceType,
      row.orgId,
      row.directoryId,
      row.externalId,
      row.name,
      row.active,
      JSON.stringify(row.doc),
      event.streamRevision,
      event.occurredAt,
    ],
  );

const deleteResource = (manager: Queryable, id: string, event: RecordedEvent) =>
  manager.query(
    'update directory.resources set deleted_at = $2, version = $3, updated_at = $2 where id = $1',
    [id, event.occurredAt, event.streamRevision],
  );

const setActive = (manager: Queryable, id: string, active: boolean, event: RecordedEvent) =>
  manager.query(
    `update directory.resources set active = $2, doc = jsonb_set(doc, '{active}', to_jsonb($2::boolean)),
       version = $3, updated_at = $4 where id = $1`,
    [id, active, event.streamRevision, event.occurredAt],
  );

/**
 * Applies one directory event to the read models. Every handler checks its stream's revision, so the
 * same event applied twice — inline in its append's transaction, then again by the subscription —
 * changes nothing the second time.
 */
export const applyDirectoryEvent = async (manager: Queryable, event: RecordedEvent): Promise<void> => {
  // ---- directories ----
  if (DirectoryCreatedV1.is(event)) {
    const { directoryId, orgId, name, kind, provider, linkedDirectoryId } = event.data;
    await manager.query(
      `insert into directory.directories
         (directory_id, org_id, name, kind, provider, linked_directory_id, status, version, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $8) on conflict (directory_id) do nothing`,
      [directoryId, orgId, name, kind, provider, linkedDirectoryId, event.streamRevision, event.occurredAt],
    );
    return;
  }
  if (event.type.startsWith('directory.directory.')) {
    const directoryId = (event.data as { directoryId: string }).directoryId;
    if (!(await isNew(manager, 'directories', 'directory_id', directoryId, event))) return;
    await applyToDirectory(manager, event, directoryId);
    await manager.query(
      'update directory.directories set version = $2, updated_at = $3 where directory_id = $1',
      [directoryId, event.streamRevision, event.occurredAt],
    );
    return;
  }

  // ---- users ----
  if (UserProvisionedV1.is(event)) {
    const { userId, orgId, directoryId, externalId, userName, active, resource } = event.data;
    if (!(await isNew(manager, 'resources', 'id', userId, event))) return;
    await upsertResource(
      manager,
      {
        id: userId,
        resourceType: 'User',
        orgId,
        directoryId,
        externalId,
        name: userName,
        active,
        doc: { ...resource, id: userId, ...(!active && { active: false }) },
      },
      event,
    );
    return;
  }
  if (event.type.startsWith('directory.user.')) {
    const { userId } = event.data as { userId: string };
    if (!(await isNew(manager, 'resources', 'id', userId, event))) return;
    if (UserUpdatedV1.is(event)) {
      const { orgId, directoryId, externalId, userName, resource } = event.data;
      const [current] = await manager.query<{ active: boolean }[]>(
        'select active from directory.resources where id = $1',
        [userId],
      );
      const active = current?.active ?? true;
      await upsertResource(
        manager,
        {
          id: userId,
          resourceType: 'User',
          orgId,
          directoryId,
          externalId,
          name: userName,
          active,
          doc: { ...resource, id: userId, ...(!active && { active: false }) },
        },
        event,
      );
    } else if (UserDeactivatedV1.is(event) || UserReactivatedV1.is(event)) {
      await setActive(manager, userId, UserReactivatedV1.is(event), event);
      await manager.query('delete from directory.scheduled_deactivations where user_id = $1', [userId]);
    } else if (UserDeactivationScheduledV1.is(event)) {
      await manager.query(
        `insert into directory.scheduled_deactivations (user_id, org_id, effective_at) values ($1, $2, $3)
         on conflict (user_id) do update set effective_at = $3`,
        [userId, event.data.orgId, event.data.effectiveAt],
      );
      await touchResource(manager, userId, event);
    } else if (UserDeletedV1.is(event)) {
      await deleteResource(manager, userId, event);
      await manager.query('delete from directory.scheduled_deactivations where user_id = $1', [userId]);
    }
    return;
  }

  // ---- groups ----
  if (event.type.startsWith('directory.group.')) {
    const { groupId } = event.data as { groupId: string };
    if (!(await isNew(manager, 'resources', 'id', groupId, event))) return;
    if (GroupCreatedV1.is(event) || GroupUpdatedV1.is(event)) {
      const { orgId, directoryId, externalId, displayName, resource } = event.data;
      await upsertResource(
        manager,
        {
          id: groupId,
          resourceType: 'Group',
          orgId,
          directoryId,
          externalId,
          name: displayName,
          active: true,
          doc: { ...resource, id: groupId },
        },
        event,
      );
    } else if (GroupMemberAddedV1.is(event)) {
      await manager.query(
        `insert into directory.group_members (group_id, member_id, member_type, org_id) values ($1, $2, $3, $4)
         on conflict do nothing`,
        [groupId, event.data.memberId, event.data.memberType, event.data.orgId],
      );
      await touchResource(manager, groupId, event);
    } else if (GroupMemberRemovedV1.is(event)) {
      await manager.query('delete from directory.group_members where group_id = $1 and member_id = $2', [
        groupId,
        event.data.memberId,
      ]);
      await touchResource(manager, groupId, event);
    } else if (GroupDeletedV1.is(event)) {
      await manager.query('delete from directory.group_members where group_id = $1', [groupId]);
      await deleteResource(manager, groupId, event);
    }
    return;
  }

  // ---- agents ----
  if (event.type.startsWith('directory.agent.')) {
    const { agentId } = event.data as { agentId: string };
    if (!(await isNew(manager, 'resources', 'id', agentId, event))) return;
    if (AgentRegisteredV1.is(event) || AgentUpdatedV1.is(event)) {
      const { orgId, directoryId, externalId, displayName, ownerIds } = event.data;
      const [current] = await manager.query<{ active: boolean }[]>(
        'select active from directory.resources where id = $1',
        [agentId],
      );
      const active = current?.active ?? true;
      await upsertResource(
        manager,
        {
          id: agentId,
          resourceType: 'Agent',
          orgId,
          directoryId,
          externalId,
          name: displayName,
          active,
          doc: agentDocument(agentId, event.data, active),
        },
        event,
      );
      await manager.query('delete from directory.agent_owners where agent_id = $1', [agentId]);
      for (const ownerId of ownerIds) {
        await manager.query(
          'insert into directory.agent_owners (agent_id, owner_id, org_id) values ($1, $2, $3)',
          [agentId, ownerId, orgId],
        );
      }
    } else if (AgentSuspendedV1.is(event) || AgentReactivatedV1.is(event)) {
      await setActive(manager, agentId, AgentReactivatedV1.is(event), event);
    } else if (AgentDeletedV1.is(event)) {
      await manager.query('delete from directory.agent_owners where agent_id = $1', [agentId]);
      await deleteResource(manager, agentId, event);
    }
    return;
  }

  // ---- domains (each event sets the row's state, so a replayed run of them converges) ----
  if (DomainAddedV1.is(event)) {
    await manager.query(
      `insert into directory.domains (org_id, domain, verification_token, created_at) values ($1, $2, $3, $4)
       on conflict (org_id, domain) do update set verification_token = $3, verified_at = null`,
      [event.data.orgId, event.data.domain, event.data.verificationToken, event.data.addedAt],
    );
  } else if (DomainVerifiedV1.is(event)) {
    await manager.query('update directory.domains set verified_at = $3 where org_id = $1 and domain = $2', [
      event.data.orgId,
      event.data.domain,
      event.data.verifiedAt,
    ]);
  } else if (DomainRemovedV1.is(event)) {
    await manager.query('delete from directory.domains where org_id = $1 and domain = $2', [
      event.data.orgId,
      event.data.domain,
    ]);
  }
};

const applyToDirectory = async (manager: Queryable, event: RecordedEvent, directoryId: string) => {
  if (DirectoryRenamedV1.is(event)) {
    await manager.query('update directory.directories set name = $2 where directory_id = $1', [
      directoryId,
      event.data.name,
    ]);
  } else if (DirectoryTokenIssuedV1.is(event)) {
    const { tokenId, orgId, secretHash, lastFour, issuedAt } = event.data;
    await manager.query(
      `insert into directory.directory_tokens (token_id, directory_id, org_id, secret_hash, last_four, created_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (token_id) do nothing`,
      [tokenId, directoryId, orgId, secretHash, lastFour, issuedAt],
    );
  } else if (DirectoryTokenRevokedV1.is(event)) {
    await manager.query('update directory.directory_tokens set revoked_at = $2 where token_id = $1', [
      event.data.tokenId,
      event.data.revokedAt,
    ]);
  } else if (DirectorySigningSecretSetV1.is(event)) {
    await manager.query('update directory.directories set signing_secret = $2 where directory_id = $1', [
      directoryId,
      event.data.encryptedSecret,
    ]);
  } else if (DirectoryAttributesDeclaredV1.is(event)) {
    const { resourceType, schemaUrn, attributes } = event.data;
    await manager.query(
      `update directory.directories set custom_schemas =
         coalesce((select jsonb_agg(s) from jsonb_array_elements(custom_schemas) s
                   where s->>'resourceType' <> $2), '[]'::jsonb)
         || jsonb_build_array(jsonb_build_object('resourceType', $2::text, 'schemaUrn', $3::text, 'attributes', $4::jsonb))
       where directory_id = $1`,
      [directoryId, resourceType, schemaUrn, JSON.stringify(attributes)],
    );
  } else if (DirectoryDeletedV1.is(event)) {
    await manager.query("update directory.directories set status = 'deleted' where directory_id = $1", [
      directoryId,
    ]);
  }
};
