import {
  assignmentsStream,
  type EventOf,
  GroupMappingCreatedV1,
  GroupMappingDeletedV1,
  type PrincipalPermissionsChangedV1,
  RoleAssignedV1,
  RoleDeletedV1,
  RoleUnassignedV1,
  RoleUpdatedV1,
} from '@mandate/contracts';
import { effectivePermissions } from '@mandate/authz-domain';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition } from '@mandate/kernel';
import { causedBy, type ContextWriter, type WriteCause } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { type DirectoryReactions } from '../directory-events/directory-events.consumer';
import { type OrgGraph, type OrgGraphs } from '../graph/org-graphs';
import { type MandatesService } from '../mandates/mandates.service';
import { ASSIGNEE, roleObject } from '../persistence/tuple-rows';
import { type PolicyService } from '../policy/policy.service';

interface Logger {
  error(message: unknown): void;
}

interface ReadModelProgress {
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void>;
}

type PermissionsChanged = EventOf<typeof PrincipalPermissionsChangedV1>;

/**
 * What authz does when the directory or its own policy changes someone's power: a leaver's mandates
 * are revoked and their assignments removed; a mover's mandates keep only what the human still holds;
 * an agent's mandates follow its suspension; and every principal whose organization-wide permissions
 * changed is announced (`authz.principal.permissions_changed`) for the token service.
 */
export class AuthzReactions implements DirectoryReactions {
  private subscription: Subscription | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly policy: PolicyService,
    private readonly mandates: MandatesService,
    private readonly graphs: OrgGraphs,
  ) {}

  /**
   * Reacts to the policy's own changes of who holds what, once the projection (and so the graphs)
   * reflect them: the shrinking ones narrow mandates, all of them are announced.
   */
  async start(store: EventStore, projection: ReadModelProgress, logger: Logger): Promise<void> {
    this.subscription = await store.subscribe({
      subscriptionId: 'reaction:authz.policy',
      filter: {
        types: [
          RoleUpdatedV1.type,
          RoleDeletedV1.type,
          RoleAssignedV1.type,
          RoleUnassignedV1.type,
          GroupMappingCreatedV1.type,
          GroupMappingDeletedV1.type,
        ],
      },
      handle: async (events) => {
        for (const event of events) {
          await projection.waitFor(event.position, 30_000);
          const cause = causedBy(event, 'authz');
          // What only adds power narrows no mandate; every change may change what someone holds.
          if (!RoleAssignedV1.is(event) && !GroupMappingCreatedV1.is(event))
            await this.mandates.narrowAllIn(event.orgId, cause);
          await this.announcePermissions(event.orgId, cause);
        }
      },
      onError: (error, events) =>
        logger.error({ msg: 'authz policy reaction failed; retrying', err: error, eventId: events[0]?.id }),
    });
  }

  stop(): Promise<void> {
    return this.subscription?.stop() ?? Promise.resolve();
  }

  async organizationCreated(orgId: string, cause: WriteCause): Promise<void> {
    await this.policy.seedSystemRoles(orgId, cause);
  }

  async organizationDeleted(orgId: string, cause: WriteCause): Promise<void> {
    await this.mandates.revokeAllIn(orgId, 'organization_deleted', cause);
  }

  async userChanged(
    orgId: string,
    userId: string,
    change: 'deactivated' | 'deleted',
    cause: WriteCause,
  ): Promise<void> {
    await this.mandates.revokeAllFrom(
      orgId,
      userId,
      change === 'deleted' ? 'delegator_deleted' : 'delegator_deactivated',
      cause,
    );
    if (change === 'deleted') await this.unassignAll(orgId, `user:${userId}`, cause);
    await this.announcePermissions(orgId, cause, [`user:${userId}`]);
  }

  async groupChanged(
    orgId: string,
    groupId: string,
    member: string | null,
    cause: WriteCause,
  ): Promise<void> {
    await this.mandates.narrowAllIn(orgId, cause);
    const graph = await this.graphs.graph(orgId);
    const members = graph.engine.listSubjects({
      object: `group:${groupId}`,
      relation: 'member',
      subjectType: 'user',
      limit: 10_000,
    });
    const agents = graph.engine.listSubjects({
      object: `group:${groupId}`,
      relation: 'member',
      subjectType: 'agent',
      limit: 10_000,
    });
    const subjects = new Set(
      [...members.subjects, ...agents.subjects].filter((subject) => !subject.endsWith(':*')),
    );
    if (member !== null) subjects.add(member);
    await this.announcePermissions(orgId, cause, [...subjects]);
  }

  async agentChanged(
    orgId: string,
    agentId: string,
    change: 'suspended' | 'reactivated' | 'deleted',
    cause: WriteCause,
  ): Promise<void> {
    if (change === 'suspended') await this.mandates.suspendAllOf(orgId, agentId, cause);
    else if (change === 'reactivated') await this.mandates.resumeAllOf(orgId, agentId, cause);
    else {
      await this.mandates.revokeAllOf(orgId, agentId, 'agent_deleted', cause);
      await this.unassignAll(orgId, `agent:${agentId}`, cause);
    }
  }

  private async unassignAll(orgId: string, subject: string, cause: WriteCause): Promise<void> {
    const assignments = await this.policy.assignments(orgId, { subject });
    if (assignments.length === 0) return;
    await this.writer.append(
      assignmentsStream(orgId),
      orgId,
      assignments.map(({ roleId, resource, mappingId, source }) => ({
        type: 'authz.role.unassigned',
        data: {
          orgId,
          roleId,
          subject,
          resource,
          mappingId,
          ...(source !== null && { source }),
          reason: 'subject_removed',
        },
      })),
      cause,
    );
  }

  /**
   * Announces the organization-wide permissions of every principal (or of `only`) whose permissions
   * differ from what was last announced.
   */
  private async announcePermissions(
    orgId: string,
    cause: WriteCause,
    only?: readonly string[],
  ): Promise<void> {
    const graph = await this.graphs.graph(orgId);
    const announced = new Map(
      (
        await this.dataSource.query<{ subject: string; permissions: string[] }[]>(
          'select subject, permissions from authz.announced_permissions where org_id = $1',
          [orgId],
        )
      ).map((row) => [row.subject, row.permissions]),
    );
    const subjects = only ?? [
      ...new Set(
        [...graph.principals.keys()].map((id) => `${id.startsWith('usr_') ? 'user' : 'agent'}:${id}`),
      ),
    ];
    const events: PermissionsChanged[] = [];
    for (const subject of subjects) {
      const permissions = permissionsOf(graph, subject);
      const before = announced.get(subject) ?? [];
      if (JSON.stringify(before) === JSON.stringify(permissions)) continue;
      events.push({
        type: 'authz.principal.permissions_changed',
        data: {
          orgId,
          subject,
          permissions,
          removed: before.filter((permission) => !permissions.includes(permission)),
        },
      });
    }
    for (let i = 0; i < events.length; i += 500) {
      const batch = events.slice(i, i + 500);
      await this.writer.append(`principal-permissions-${orgId}`, orgId, batch, cause);
      for (const { data } of batch) {
        await this.dataSource.query(
          `insert into authz.announced_permissions (org_id, subject, permissions) values ($1, $2, $3)
           on conflict (org_id, subject) do update set permissions = $3`,
          [orgId, data.subject, JSON.stringify(data.permissions)],
        );
      }
    }
  }
}

/** A principal's organization-wide permissions: those of every role it is an assignee of. */
export const permissionsOf = (graph: OrgGraph, subject: string): string[] => {
  const id = subject.slice(subject.indexOf(':') + 1);
  const status = graph.principals.get(id);
  if (status !== undefined && status !== 'active') return [];
  const permissions = new Set<string>();
  for (const roleId of graph.roles.keys()) {
    if (graph.engine.check({ object: roleObject(roleId, null), relation: ASSIGNEE, subject }).allowed) {
      for (const permission of effectivePermissions(graph.roles, roleId)) permissions.add(permission);
    }
  }
  return [...permissions].sort();
};
