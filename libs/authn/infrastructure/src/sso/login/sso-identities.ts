import { IdentityLinkedV1, IdentityProvisioningRequestedV1, LoginSucceededV1 } from '@mandate/contracts';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { type Event, type RecordedEvent } from '@mandate/kernel';
import { type ContextWriter, type WriteCause } from '@mandate/platform';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DataSource, type EntityManager } from 'typeorm';

/** The event types the authn projection keeps SSO identities and roles from. */
export const SSO_LOGIN_EVENT_PREFIXES = ['authn.identity.', 'authn.login.succeeded'];

/** How long a first login waits for the directory to create its just-in-time user. */
export const JIT_WAIT_MS = 5_000;
const JIT_POLL_MS = 50;

/**
 * One stream per identity; its first events are written expecting no stream, so two concurrent first
 * logins of the same person link (or provision) once. The subject is hashed to keep the name short.
 */
export const identityStream = (connectionId: string, subject: string): string =>
  `identity-${connectionId}-${createHash('sha256').update(subject).digest('base64url')}`;

/** `authn.sso_identities` and `authn.sso_user_roles` from the identity and login events. */
export const applySsoLoginEvent = async (manager: EntityManager, event: RecordedEvent): Promise<void> => {
  if (IdentityLinkedV1.is(event)) {
    const { connectionId, subject, orgId, userId, via, linkedAt } = event.data;
    await manager.query(
      `insert into authn.sso_identities (connection_id, subject, org_id, user_id, via, linked_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (connection_id, subject) do nothing`,
      [connectionId, subject, orgId, userId, via, linkedAt],
    );
  } else if (LoginSucceededV1.is(event)) {
    const { userId, orgId, connectionId, roles, succeededAt } = event.data;
    await manager.query(
      `insert into authn.sso_user_roles (user_id, org_id, connection_id, roles, updated_at) values ($1, $2, $3, $4, $5)
       on conflict (user_id) do update set connection_id = $3, roles = $4, updated_at = $5
         where authn.sso_user_roles.updated_at <= $5`,
      [userId, orgId, connectionId, JSON.stringify(roles), succeededAt],
    );
  }
};

export interface KnownUser {
  readonly userId: string;
  readonly active: boolean;
}

export interface LinkedUser extends KnownUser {
  /** How the identity was first linked: to a just-in-time user, or to an existing one by email. */
  readonly via: 'jit' | 'email';
}

/**
 * Identities of SSO connections and the users they sign in as: looked up by `(connection, subject)`,
 * linked by events, and — for a first login with JIT — provisioned by asking the directory.
 */
export class SsoIdentities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly clock: () => Date,
  ) {}

  async linkedUser(connectionId: string, subject: string): Promise<LinkedUser | null> {
    const [row] = await this.dataSource.query<
      { user_id: string; status: string | null; via: 'jit' | 'email' }[]
    >(
      `select i.user_id, i.via, u.status from authn.sso_identities i left join authn.users u on u.user_id = i.user_id
        where i.connection_id = $1 and i.subject = $2`,
      [connectionId, subject],
    );
    return row ? { userId: row.user_id, active: row.status === 'active', via: row.via } : null;
  }

  /** The organization's users with this email, and whether an identity of the connection claims them. */
  async usersWithEmail(
    orgId: string,
    email: string,
    connectionId: string,
  ): Promise<(KnownUser & { linked: boolean })[]> {
    const rows = await this.dataSource.query<{ user_id: string; status: string; linked: boolean }[]>(
      `select u.user_id, u.status, exists (
           select 1 from authn.sso_identities i where i.connection_id = $3 and i.user_id = u.user_id) as linked
         from authn.users u where u.org_id = $1 and lower(u.email) = $2 and u.status <> 'deleted'
        order by u.user_id limit 10`,
      [orgId, email.toLowerCase(), connectionId],
    );
    return rows.map((row) => ({ userId: row.user_id, active: row.status === 'active', linked: row.linked }));
  }

  /** Links the identity to an existing user; false when a concurrent first login linked it first. */
  link(
    identity: { orgId: string; connectionId: string; subject: string; userId: string },
    cause: WriteCause,
  ): Promise<boolean> {
    return this.firstEvents(
      identity,
      [{ type: IdentityLinkedV1.type, data: { ...identity, via: 'email', linkedAt: this.now() } }],
      cause,
    );
  }

  /**
   * Asks the directory for a just-in-time user with the id chosen here and links the identity to it;
   * false when a concurrent first login did so first.
   */
  provision(
    request: {
      orgId: string;
      connectionId: string;
      connectionName: string;
      subject: string;
      userId: string;
      userName: string;
      email: string | null;
      givenName: string | null;
      familyName: string | null;
      displayName: string | null;
    },
    cause: WriteCause,
  ): Promise<boolean> {
    const now = this.now();
    const { orgId, connectionId, subject, userId } = request;
    return this.firstEvents(
      request,
      [
        { type: IdentityProvisioningRequestedV1.type, data: { ...request, requestedAt: now } },
        {
          type: IdentityLinkedV1.type,
          data: { orgId, connectionId, subject, userId, via: 'jit', linkedAt: now },
        },
      ],
      cause,
    );
  }

  /** Waits (a bounded number of polls) until authn has learnt the user from the directory as active. */
  async waitUntilActive(userId: string, timeoutMs = JIT_WAIT_MS): Promise<boolean> {
    for (let polls = Math.ceil(timeoutMs / JIT_POLL_MS); ; polls -= 1) {
      const [row] = await this.dataSource.query<{ status: string }[]>(
        'select status from authn.users where user_id = $1',
        [userId],
      );
      if (row?.status === 'active') return true;
      if (polls <= 0) return false;
      await sleep(JIT_POLL_MS);
    }
  }

  private async firstEvents(
    identity: { orgId: string; connectionId: string; subject: string },
    events: Event[],
    cause: WriteCause,
  ): Promise<boolean> {
    try {
      await this.writer.appendExpecting(
        identityStream(identity.connectionId, identity.subject),
        identity.orgId,
        events,
        'no_stream',
        cause,
      );
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
