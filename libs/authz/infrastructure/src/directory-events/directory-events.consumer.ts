import {
  AgentDeletedV1,
  AgentReactivatedV1,
  AgentRegisteredV1,
  AgentSuspendedV1,
  GroupDeletedV1,
  GroupMemberAddedV1,
  GroupMemberRemovedV1,
  OrganizationCreatedV1,
  OrganizationDeletedV1,
  UserDeactivatedV1,
  UserDeletedV1,
  UserProvisionedV1,
  UserReactivatedV1,
} from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type IdempotentConsumer } from '@mandate/messaging';
import { causedBy, type WriteCause } from '@mandate/platform';
import { type EntityManager } from 'typeorm';
import { type GraphSink } from '../persistence/authz.projection';
import { TupleChanges } from '../persistence/tuple-rows';

const CONSUMER = 'authz.directory';

/** What the directory's events set off in authz once their effect on the read models is committed. */
export interface DirectoryReactions {
  organizationCreated(orgId: string, cause: WriteCause): Promise<void>;
  organizationDeleted(orgId: string, cause: WriteCause): Promise<void>;
  /** The user left: mandates from them are revoked; a deleted user's role assignments are removed. */
  userChanged(
    orgId: string,
    userId: string,
    change: 'deactivated' | 'deleted',
    cause: WriteCause,
  ): Promise<void>;
  /** Members of the group (and `member`, who may just have left it) may have gained or lost power. */
  groupChanged(orgId: string, groupId: string, member: string | null, cause: WriteCause): Promise<void>;
  agentChanged(
    orgId: string,
    agentId: string,
    change: 'suspended' | 'reactivated' | 'deleted',
    cause: WriteCause,
  ): Promise<void>;
}

const membership = (groupId: string, memberId: string, memberType: 'user' | 'group') => ({
  object: `group:${groupId}`,
  relation: 'member',
  subject: memberType === 'user' ? `user:${memberId}` : `group:${memberId}#member`,
});

const setPrincipal = async (
  manager: EntityManager,
  changes: TupleChanges,
  principal: { id: string; orgId: string; kind: 'user' | 'agent'; status: 'active' | 'inactive' | 'deleted' },
  at: Date,
) => {
  await manager.query(
    `insert into authz.principals (principal_id, org_id, kind, status, updated_at) values ($1, $2, $3, $4, $5)
     on conflict (principal_id) do update set status = $4, updated_at = $5`,
    [principal.id, principal.orgId, principal.kind, principal.status, at],
  );
  changes.principals.push({ orgId: principal.orgId, principalId: principal.id, status: principal.status });
};

/**
 * Learns from the directory what authz decisions depend on: who is an active principal, and who is
 * in which group (as `group:<id>#member` tuples, so group mappings and nested groups just work).
 * The read-model change is recorded once per event; the reactions that follow (seeding system roles,
 * narrowing or revoking mandates, suspending them with their agent) are idempotent commands and run
 * on every delivery, so a crash between the two loses nothing.
 */
export class DirectoryEventsHandler {
  constructor(
    private readonly idempotent: IdempotentConsumer,
    private readonly graphs: GraphSink,
    private readonly reactions: DirectoryReactions,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const changes = new TupleChanges();
    const outcome = await this.idempotent.handle(CONSUMER, event, (manager) =>
      this.apply(manager, event, changes),
    );
    if (outcome === 'applied') await this.graphs.apply(changes);
    await this.react(event);
  }

  private async apply(manager: EntityManager, event: RecordedEvent, changes: TupleChanges): Promise<void> {
    const at = event.occurredAt;
    if (UserProvisionedV1.is(event)) {
      const { userId, orgId, active } = event.data;
      await setPrincipal(
        manager,
        changes,
        { id: userId, orgId, kind: 'user', status: active ? 'active' : 'inactive' },
        at,
      );
    } else if (UserReactivatedV1.is(event) || UserDeactivatedV1.is(event)) {
      const { userId, orgId } = event.data;
      const status = UserReactivatedV1.is(event) ? 'active' : 'inactive';
      await setPrincipal(manager, changes, { id: userId, orgId, kind: 'user', status }, at);
    } else if (UserDeletedV1.is(event)) {
      const { userId, orgId } = event.data;
      await setPrincipal(manager, changes, { id: userId, orgId, kind: 'user', status: 'deleted' }, at);
      // Memberships go with the user; role assignments are unassigned by the reaction, as events.
      await changes.deleteWhere(manager, orgId, "subject = $2 and origin = 'directory'", [`user:${userId}`]);
    } else if (GroupMemberAddedV1.is(event)) {
      const { orgId, groupId, memberId, memberType } = event.data;
      await changes.write(manager, orgId, [membership(groupId, memberId, memberType)], 'directory');
    } else if (GroupMemberRemovedV1.is(event)) {
      const { orgId, groupId, memberId, memberType } = event.data;
      await changes.delete(manager, orgId, [membership(groupId, memberId, memberType)]);
    } else if (GroupDeletedV1.is(event)) {
      const { orgId, groupId } = event.data;
      await changes.deleteWhere(manager, orgId, "(object = $2 and origin = 'directory') or subject = $3", [
        `group:${groupId}`,
        `group:${groupId}#member`,
      ]);
    } else if (AgentRegisteredV1.is(event) || AgentReactivatedV1.is(event)) {
      const { agentId, orgId } = event.data;
      await setPrincipal(manager, changes, { id: agentId, orgId, kind: 'agent', status: 'active' }, at);
    } else if (AgentSuspendedV1.is(event)) {
      const { agentId, orgId } = event.data;
      await setPrincipal(manager, changes, { id: agentId, orgId, kind: 'agent', status: 'inactive' }, at);
    } else if (AgentDeletedV1.is(event)) {
      const { agentId, orgId } = event.data;
      await setPrincipal(manager, changes, { id: agentId, orgId, kind: 'agent', status: 'deleted' }, at);
    }
  }

  private async react(event: RecordedEvent): Promise<void> {
    const cause = causedBy(event, 'authz');
    if (OrganizationCreatedV1.is(event)) await this.reactions.organizationCreated(event.data.orgId, cause);
    else if (OrganizationDeletedV1.is(event))
      await this.reactions.organizationDeleted(event.data.orgId, cause);
    else if (UserDeactivatedV1.is(event))
      await this.reactions.userChanged(event.data.orgId, event.data.userId, 'deactivated', cause);
    else if (UserDeletedV1.is(event))
      await this.reactions.userChanged(event.data.orgId, event.data.userId, 'deleted', cause);
    else if (GroupMemberRemovedV1.is(event) || GroupMemberAddedV1.is(event)) {
      const { orgId, groupId, memberId, memberType } = event.data;
      await this.reactions.groupChanged(
        orgId,
        groupId,
        memberType === 'user' ? `user:${memberId}` : null,
        cause,
      );
    } else if (GroupDeletedV1.is(event))
      await this.reactions.groupChanged(event.data.orgId, event.data.groupId, null, cause);
    else if (AgentSuspendedV1.is(event))
      await this.reactions.agentChanged(event.data.orgId, event.data.agentId, 'suspended', cause);
    else if (AgentReactivatedV1.is(event))
      await this.reactions.agentChanged(event.data.orgId, event.data.agentId, 'reactivated', cause);
    else if (AgentDeletedV1.is(event))
      await this.reactions.agentChanged(event.data.orgId, event.data.agentId, 'deleted', cause);
  }
}
