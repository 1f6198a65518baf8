import {
  GroupMappingCreatedV1,
  GroupMappingDeletedV1,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateResumedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
  ModelWrittenV1,
  RoleAssignedV1,
  RoleCreatedV1,
  RoleDeletedV1,
  RoleUnassignedV1,
  RoleUpdatedV1,
  TuplesDeletedV1,
  TuplesWrittenV1,
} from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { type DataSource, type EntityManager } from 'typeorm';
import { ASSIGNEE, roleObject, TupleChanges } from './tuple-rows';

const PROJECTION = 'authz.read-models';

/** Where committed tuple changes go next: the in-memory graphs. */
export interface GraphSink {
  /** Resolves once the graphs reflect the changes, so a write answered after it is visible to checks. */
  apply(changes: TupleChanges): Promise<void>;
}

/**
 * Keeps the authz read models from the authz event store, a batch per transaction. Every handler
 * sets state (upserts, deletes, a mandate's version), so a batch delivered again after a crash
 * converges to the same rows. Committed tuple changes are then handed to the graphs.
 */
export class AuthzProjection {
  private constructor(private readonly subscription: Subscription) {}

  static async start(store: EventStore, dataSource: DataSource, graphs: GraphSink): Promise<AuthzProjection> {
    const subscription = await store.subscribe({
      subscriptionId: `projection:${PROJECTION}`,
      filter: { typePrefixes: ['authz.'] },
      batchSize: 500,
      handle: async (events) => {
        const changes = new TupleChanges();
        await dataSource.transaction(async (manager) => {
          for (const event of events) await apply(manager, event, changes);
        });
        await graphs.apply(changes);
      },
    });
    return new AuthzProjection(subscription);
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

const apply = async (manager: EntityManager, event: RecordedEvent, changes: TupleChanges): Promise<void> => {
  const at = event.occurredAt;
  if (RoleCreatedV1.is(event)) {
    const { orgId, roleId, key, name, description, permissions, includes, system } = event.data;
    await manager.query(
      `insert into authz.roles (role_id, org_id, key, name, description, permissions, includes, system, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (role_id) do update set name = $4, description = $5, permissions = $6, includes = $7, updated_at = $9`,
      [
        roleId,
        orgId,
        key,
        name,
        description,
        JSON.stringify(permissions),
        JSON.stringify(includes),
        system,
        at,
      ],
    );
    changes.policyChanged.add(orgId);
  } else if (RoleUpdatedV1.is(event)) {
    const { orgId, roleId, name, description, permissions, includes } = event.data;
    await manager.query(
      `update authz.roles set name = $2, description = $3, permissions = $4, includes = $5, updated_at = $6
       where role_id = $1`,
      [roleId, name, description, JSON.stringify(permissions), JSON.stringify(includes), at],
    );
    changes.policyChanged.add(orgId);
  } else if (RoleDeletedV1.is(event)) {
    const { orgId, roleId } = event.data;
    await manager.query('delete from authz.roles where role_id = $1', [roleId]);
    await manager.query('delete from authz.assignments where org_id = $1 and role_id = $2', [orgId, roleId]);
    await changes.deleteWhere(manager, orgId, 'object = $2 or object like $3', [
      roleObject(roleId, null),
      `${roleObject(roleId, null)}@%`,
    ]);
    changes.policyChanged.add(orgId);
  } else if (GroupMappingCreatedV1.is(event)) {
    const { orgId, mappingId, source, roleId, resource } = event.data;
    await manager.query(
      `insert into authz.group_mappings (mapping_id, org_id, source, role_id, resource, created_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (mapping_id) do nothing`,
      [mappingId, orgId, JSON.stringify(source), roleId, resource, at],
    );
    if (source.kind === 'directory_group') {
      await changes.write(
        manager,
        orgId,
        [
          {
            object: roleObject(roleId, resource),
            relation: ASSIGNEE,
            subject: `group:${source.groupId}#member`,
          },
        ],
        'mapping',
      );
    }
    changes.policyChanged.add(orgId);
  } else if (GroupMappingDeletedV1.is(event)) {
    const { orgId, mappingId } = event.data;
    const [mapping] = await manager.query<
      { source: { kind: string; groupId?: string }; role_id: string; resource: string | null }[]
    >(
      `with deleted as (delete from authz.group_mappings where mapping_id = $1 returning source, role_id, resource)
       select * from deleted`,
      [mappingId],
    );
    // Another mapping may assign the same role to the same group: the tuple stays while one does.
    if (mapping?.source.kind === 'directory_group') {
      const [other] = await manager.query<unknown[]>(
        `select 1 from authz.group_mappings where org_id = $1 and role_id = $2 and resource is not distinct from $3
           and source = $4::jsonb`,
        [orgId, mapping.role_id, mapping.resource, JSON.stringify(mapping.source)],
      );
      if (!other) {
        await changes.delete(manager, orgId, [
          {
            object: roleObject(mapping.role_id, mapping.resource),
            relation: ASSIGNEE,
            subject: `group:${mapping.source.groupId}#member`,
          },
        ]);
      }
    }
    changes.policyChanged.add(orgId);
  } else if (ModelWrittenV1.is(event)) {
    const { orgId, version, model } = event.data;
    await manager.query(
      `insert into authz.models (org_id, version, model, written_at) values ($1, $2, $3, $4)
       on conflict (org_id) do update set version = $2, model = $3, written_at = $4 where authz.models.version < $2`,
      [orgId, version, JSON.stringify(model), at],
    );
    changes.policyChanged.add(orgId);
  } else if (RoleAssignedV1.is(event)) {
    const { orgId, roleId, subject, resource, mappingId, source } = event.data;
    await manager.query(
      `insert into authz.assignments (org_id, role_id, subject, resource, mapping_id, assigned_at, source)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      [orgId, roleId, subject, resource ?? '', mappingId, at, source ?? ''],
    );
    await changes.write(
      manager,
      orgId,
      [{ object: roleObject(roleId, resource), relation: ASSIGNEE, subject }],
      'assignment',
    );
  } else if (RoleUnassignedV1.is(event)) {
    const { orgId, roleId, subject, resource, source } = event.data;
    await manager.query(
      `delete from authz.assignments
        where org_id = $1 and role_id = $2 and subject = $3 and resource = $4 and source = $5`,
      [orgId, roleId, subject, resource ?? '', source ?? ''],
    );
    // An admin and an IdP may both grant the role: the tuple stays while one assignment does.
    const [other] = await manager.query<unknown[]>(
      'select 1 from authz.assignments where org_id = $1 and role_id = $2 and subject = $3 and resource = $4',
      [orgId, roleId, subject, resource ?? ''],
    );
    if (!other) {
      await changes.delete(manager, orgId, [
        { object: roleObject(roleId, resource), relation: ASSIGNEE, subject },
      ]);
    }
  } else if (TuplesWrittenV1.is(event)) {
    await changes.write(manager, event.data.orgId, event.data.tuples, 'api');
  } else if (TuplesDeletedV1.is(event)) {
    await changes.delete(manager, event.data.orgId, event.data.tuples);
  } else if (MandateGrantedV1.is(event)) {
    const {
      mandateId,
      orgId,
      userId,
      agentId,
      permissions,
      resources,
      expiresAt,
      reason,
      grantedBy,
      grantedAt,
    } = event.data;
    await manager.query(
      `insert into authz.mandates (mandate_id, org_id, user_id, agent_id, permissions, resources, expires_at, status,
         reason, granted_by, granted_at, version, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $10) on conflict (mandate_id) do nothing`,
      [
        mandateId,
        orgId,
        userId,
        agentId,
        JSON.stringify(permissions),
        JSON.stringify(resources),
        expiresAt,
        reason,
        grantedBy,
        grantedAt,
        event.streamRevision,
      ],
    );
    changes.mandatesChanged.add(orgId);
  } else if (event.type.startsWith('authz.mandate.')) {
    const { mandateId } = event.data as { mandateId: string };
    const set = (assignments: string, params: unknown[]) =>
      manager.query(
        `update authz.mandates set ${assignments}, version = $2, updated_at = $3 where mandate_id = $1 and version < $2`,
        [mandateId, event.streamRevision, at, ...params],
      );
    if (MandateNarrowedV1.is(event)) await set('permissions = $4', [JSON.stringify(event.data.permissions)]);
    else if (MandateRevokedV1.is(event))
      await set("status = 'revoked', revoked_reason = $4", [event.data.reason]);
    else if (MandateSuspendedV1.is(event)) await set("status = 'suspended'", []);
    else if (MandateResumedV1.is(event)) await set("status = 'active'", []);
    changes.mandatesChanged.add(event.orgId);
  }
};
