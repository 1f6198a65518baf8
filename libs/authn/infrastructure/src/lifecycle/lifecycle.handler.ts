import {
  AgentDeletedV1,
  AgentReactivatedV1,
  AgentRegisteredV1,
  AgentSuspendedV1,
  AgentUpdatedV1,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateResumedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
  OrganizationDeletedV1,
  PrincipalPermissionsChangedV1,
  UserDeactivatedV1,
  UserDeletedV1,
  UserProvisionedV1,
  UserReactivatedV1,
  UserUpdatedV1,
} from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type IdempotentConsumer } from '@mandate/messaging';
import { causedBy } from '@mandate/platform';
import { type EntityManager } from 'typeorm';
import { type GrantsService } from '../grants/grants.service';
import { type SessionsService } from '../sessions/sessions.service';

const CONSUMER = 'authn.lifecycle';

/** The event types authn follows: the people, agents, mandates and permissions tokens depend on. */
export const LIFECYCLE_EVENT_PREFIXES = [
  'directory.organization.deleted',
  'directory.user.',
  'directory.agent.',
  'authz.mandate.',
  'authz.principal.permissions_changed',
];

const nameOf = (profile: {
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
}) => profile.displayName ?? ([profile.givenName, profile.familyName].filter(Boolean).join(' ') || null);

/**
 * Keeps authn's views of the principals tokens are issued for (users, agents, mandates and the
 * permissions authz announces), then runs the revocation cascade: a leaver's grants — their own and
 * every agent's acting for them — are revoked and their sign-in sessions end (their applications get
 * back-channel logout tokens); a revoked or suspended mandate takes the grants issued
 * under it; a narrowed mandate takes the grants whose scope now exceeds it. The view change is applied
 * once per event; the cascade only revokes what is still live, so it runs again on every delivery.
 */
export class LifecycleHandler {
  constructor(
    private readonly idempotent: IdempotentConsumer,
    private readonly grants: GrantsService,
    private readonly sessions: Pick<SessionsService, 'revokeAll'>,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    await this.idempotent.handle(CONSUMER, event, (manager) => this.apply(manager, event));
    await this.cascade(event);
  }

  private async apply(manager: EntityManager, event: RecordedEvent): Promise<void> {
    const at = event.occurredAt;
    if (UserProvisionedV1.is(event) || UserUpdatedV1.is(event)) {
      const { userId, orgId, userName, profile } = event.data;
      const status = UserProvisionedV1.is(event) ? (event.data.active ? 'active' : 'inactive') : null;
      await manager.query(
        `insert into authn.users (user_id, org_id, user_name, email, name, status, updated_at)
         values ($1, $2, $3, $4, $5, coalesce($6, 'active'), $7)
         on conflict (user_id) do update set user_name = $3, email = $4, name = $5,
           status = coalesce($6, authn.users.status), updated_at = $7`,
        [userId, orgId, userName, profile.email, nameOf(profile), status, at],
      );
    } else if (UserDeactivatedV1.is(event) || UserReactivatedV1.is(event) || UserDeletedV1.is(event)) {
      const status = UserReactivatedV1.is(event)
        ? 'active'
        : UserDeletedV1.is(event)
          ? 'deleted'
          : 'inactive';
      await manager.query(
        "update authn.users set status = $2, updated_at = $3 where user_id = $1 and status <> 'deleted'",
        [event.data.userId, status, at],
      );
    } else if (AgentRegisteredV1.is(event) || AgentUpdatedV1.is(event)) {
      const { agentId, orgId, displayName } = event.data;
      await manager.query(
        `insert into authn.agents (agent_id, org_id, name, status, updated_at) values ($1, $2, $3, 'active', $4)
         on conflict (agent_id) do update set name = $3, updated_at = $4`,
        [agentId, orgId, displayName, at],
      );
    } else if (AgentSuspendedV1.is(event) || AgentReactivatedV1.is(event) || AgentDeletedV1.is(event)) {
      const status = AgentReactivatedV1.is(event)
        ? 'active'
        : AgentDeletedV1.is(event)
          ? 'deleted'
          : 'suspended';
      await manager.query(
        "update authn.agents set status = $2, updated_at = $3 where agent_id = $1 and status <> 'deleted'",
        [event.data.agentId, status, at],
      );
    } else if (MandateGrantedV1.is(event)) {
      const { mandateId, orgId, userId, agentId, permissions, resources, expiresAt } = event.data;
      await manager.query(
        `insert into authn.mandates (mandate_id, org_id, user_id, agent_id, permissions, resources, expires_at, status, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, 'active', $8) on conflict (mandate_id) do nothing`,
        [
          mandateId,
          orgId,
          userId,
          agentId,
          JSON.stringify(permissions),
          JSON.stringify(resources),
          expiresAt,
          at,
        ],
      );
    } else if (MandateNarrowedV1.is(event)) {
      await manager.query(
        'update authn.mandates set permissions = $2, updated_at = $3 where mandate_id = $1',
        [event.data.mandateId, JSON.stringify(event.data.permissions), at],
      );
    } else if (MandateRevokedV1.is(event) || MandateSuspendedV1.is(event) || MandateResumedV1.is(event)) {
      const status = MandateRevokedV1.is(event)
        ? 'revoked'
        : MandateSuspendedV1.is(event)
          ? 'suspended'
          : 'active';
      await manager.query(
        "update authn.mandates set status = $2, updated_at = $3 where mandate_id = $1 and status <> 'revoked'",
        [event.data.mandateId, status, at],
      );
    } else if (PrincipalPermissionsChangedV1.is(event)) {
      const { subject, orgId, permissions } = event.data;
      await manager.query(
        `insert into authn.principal_permissions (subject, org_id, permissions, updated_at) values ($1, $2, $3, $4)
         on conflict (subject) do update set permissions = $3, updated_at = $4`,
        [subject, orgId, JSON.stringify(permissions), at],
      );
    }
  }

  private async cascade(event: RecordedEvent): Promise<void> {
    const cause = causedBy(event, 'authn');
    if (UserDeactivatedV1.is(event) || UserDeletedV1.is(event)) {
      const { orgId, userId } = event.data;
      const reason = UserDeletedV1.is(event) ? 'user_deleted' : 'user_deactivated';
      // Delegated tokens have the human as `sub`: this takes the agents' grants for them too.
      await this.grants.revokeWhere(orgId, { subject: userId }, reason, cause);
      await this.sessions.revokeAll(orgId, userId, reason, cause);
    } else if (OrganizationDeletedV1.is(event)) {
      await this.grants.revokeWhere(event.data.orgId, { organization: true }, 'organization_deleted', cause);
    } else if (AgentSuspendedV1.is(event) || AgentDeletedV1.is(event)) {
      const { orgId, agentId } = event.data;
      await this.grants.revokeWhere(orgId, { subject: agentId }, 'agent_suspended', cause);
      await this.grants.revokeWhere(orgId, { actor: agentId }, 'agent_suspended', cause);
    } else if (MandateRevokedV1.is(event) || MandateSuspendedV1.is(event)) {
      const { orgId, mandateId } = event.data;
      await this.grants.revokeWhere(orgId, { mandateId }, 'mandate_revoked', cause);
    } else if (MandateNarrowedV1.is(event)) {
      const { orgId, mandateId, permissions } = event.data;
      const allowed = new Set(permissions);
      await this.grants.revokeWhere(orgId, { mandateId }, 'mandate_narrowed', cause, (grant) =>
        grant.scope.split(' ').every((scope) => scope === '' || allowed.has(scope)),
      );
    }
  }
}
