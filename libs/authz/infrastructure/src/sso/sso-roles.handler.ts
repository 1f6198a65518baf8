import {
  assignmentsStream,
  LoginSucceededV1,
  type RoleAssigned,
  type RoleUnassigned,
  ssoAssignmentSource,
} from '@mandate/contracts';
import { reconcileSsoRoles } from '@mandate/authz-domain';
import { type RecordedEvent } from '@mandate/kernel';
import { causedBy, type ContextWriter } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { type PolicyService } from '../policy/policy.service';

interface Logger {
  warn(message: unknown): void;
}

type Policy = Pick<PolicyService, 'roles' | 'assignments'>;
type Writer = Pick<ContextWriter, 'append'>;

/** The latest sign-in whose roles were applied, per organization, user and connection. */
export interface SsoLoginLedger {
  lastApplied(orgId: string, userId: string, connectionId: string): Promise<Date | null>;
  recordApplied(orgId: string, userId: string, connectionId: string, at: Date): Promise<void>;
}

export class SqlSsoLoginLedger implements SsoLoginLedger {
  constructor(private readonly dataSource: DataSource) {}

  async lastApplied(orgId: string, userId: string, connectionId: string): Promise<Date | null> {
    const [row] = await this.dataSource.query<{ applied_at: Date }[]>(
      'select applied_at from authz.sso_role_logins where org_id = $1 and user_id = $2 and connection_id = $3',
      [orgId, userId, connectionId],
    );
    return row?.applied_at ?? null;
  }

  async recordApplied(orgId: string, userId: string, connectionId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `insert into authz.sso_role_logins (org_id, user_id, connection_id, applied_at) values ($1, $2, $3, $4)
       on conflict (org_id, user_id, connection_id)
       do update set applied_at = greatest(authz.sso_role_logins.applied_at, excluded.applied_at)`,
      [orgId, userId, connectionId, at],
    );
  }
}

/** The log code of an asserted role key the organization has no role for. */
export const SSO_ROLE_UNKNOWN = 'AUTHZ_SSO_ROLE_UNKNOWN';

/**
 * Makes the roles a connection's IdP asserts at sign-in (`authn.login.succeeded`) the user's
 * assignments from that connection (`source: sso:<connectionId>`): newly asserted roles are
 * assigned, roles it no longer asserts are unassigned, and assignments from anywhere else are left
 * alone. The policy reaction then narrows mandates and announces the changed permissions, as for any
 * other assignment. The change is computed against the read model, so a redelivered sign-in finds
 * nothing left to do; a sign-in older than the last one applied for the same user and connection is
 * skipped, so a late redelivery cannot bring back what a later sign-in removed.
 */
export class SsoRolesHandler {
  constructor(
    private readonly ledger: SsoLoginLedger,
    private readonly writer: Writer,
    private readonly policy: Policy,
    private readonly logger: Logger,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    if (!LoginSucceededV1.is(event)) return;
    const { orgId, userId, connectionId, roles: asserted, succeededAt } = event.data;
    const signedInAt = new Date(succeededAt);
    const last = await this.ledger.lastApplied(orgId, userId, connectionId);
    if (last !== null && last > signedInAt) return;

    const subject = `user:${userId}`;
    const source = ssoAssignmentSource(connectionId);
    const [roles, held] = await Promise.all([
      this.policy.roles(orgId),
      this.policy.assignments(orgId, { subject, resource: null, source }),
    ]);
    const change = reconcileSsoRoles({
      asserted,
      roles: roles.map((role) => ({ roleId: role.id, key: role.key })),
      heldFromConnection: held.map((assignment) => assignment.roleId),
    });
    if (change.unknownKeys.length > 0) {
      this.logger.warn({
        code: SSO_ROLE_UNKNOWN,
        msg: 'the IdP asserted roles the organization does not have; they were skipped',
        orgId,
        userId,
        connectionId,
        roles: change.unknownKeys,
        eventId: event.id,
      });
    }
    const events: (RoleAssigned | RoleUnassigned)[] = [
      ...change.assign.map((roleId): RoleAssigned => ({
        type: 'authz.role.assigned',
        data: { orgId, roleId, subject, resource: null, mappingId: null, source },
      })),
      ...change.unassign.map((roleId): RoleUnassigned => ({
        type: 'authz.role.unassigned',
        data: { orgId, roleId, subject, resource: null, mappingId: null, source, reason: 'idp_unasserted' },
      })),
    ];
    if (events.length > 0)
      await this.writer.append(assignmentsStream(orgId), orgId, events, causedBy(event, 'authz'));
    await this.ledger.recordApplied(orgId, userId, connectionId, signedInAt);
  }
}
