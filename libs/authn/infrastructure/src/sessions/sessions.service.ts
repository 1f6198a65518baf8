import { type SessionRevocationReason, type SessionRevoked, sessionStream } from '@mandate/contracts';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { DomainError } from '@mandate/kernel';
import { type ContextWriter, type WriteCause } from '@mandate/platform';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { type GrantsService } from '../grants/grants.service';
import { type EndedSession } from '../oauth/authorization-server';
import {
  grantReasonFor,
  readStoredSession,
  sessionView,
  type SessionView,
  type SignedInClient,
  signedInClients,
  type StoredSession,
} from './stored-session';

/** Posts a logout token to a client's back-channel logout URI; false when the client registered none. */
export interface LogoutTokenDelivery {
  deliver(clientId: string, userId: string, sid: string | null): Promise<boolean>;
}

/** What the applications of a revoked session were told. */
export interface LogoutOutcome {
  readonly clientId: string;
  readonly outcome: 'delivered' | 'not_registered' | 'failed';
}

interface RevocationRow {
  session_id: string;
  org_id: string;
  user_id: string;
  reason: SessionRevocationReason;
  clients: SignedInClient[];
}

export const sessionNotFound = () =>
  new DomainError('not_found', 'AUTHN_SESSION_NOT_FOUND', 'The user has no such session');

/**
 * A person's sign-in sessions at Mandate (oidc-provider's `Session` artifacts): listed without their
 * cookies, and revoked. A revocation is recorded (`authn.session.revoked`, once per session) and marked
 * first — from then on the browser must sign in again — then the grants issued through the session are
 * revoked and its applications get a logout token; the mark is completed last, so a revocation cut
 * short is finished by the next attempt (a redelivered leaver event, a repeated DELETE).
 */
export class SessionsService {
  private readonly logger = new Logger('Sessions');

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly grants: GrantsService,
    private readonly logout: LogoutTokenDelivery,
    private readonly idleSeconds: number,
  ) {}

  async list(orgId: string, userId: string): Promise<SessionView[]> {
    await this.assertUser(orgId, userId);
    const sessions = await this.liveSessions(orgId, userId);
    const clientIds = [...new Set(sessions.flatMap((session) => session.clients.map((c) => c.clientId)))];
    const names = new Map(
      (
        await this.dataSource.query<{ client_id: string; name: string }[]>(
          'select client_id, name from authn.clients where org_id = $1 and client_id = any($2)',
          [orgId, clientIds],
        )
      ).map((row) => [row.client_id, row.name]),
    );
    return sessions
      .map((session) => sessionView(session, this.idleSeconds, names))
      .sort((a, b) => (b.authenticatedAt ?? '').localeCompare(a.authenticatedAt ?? ''));
  }

  /** Ends one session of the user (an administrator's revocation). */
  async revoke(
    orgId: string,
    userId: string,
    sessionId: string,
    cause?: WriteCause,
  ): Promise<LogoutOutcome[]> {
    await this.assertUser(orgId, userId);
    const session = (await this.liveSessions(orgId, userId)).find((candidate) => candidate.uid === sessionId);
    if (session) return this.end(orgId, session, 'admin', cause);
    const pending = await this.pendingRevocations(orgId, userId, sessionId);
    if (pending[0]) return this.finish(pending[0], cause);
    throw sessionNotFound();
  }

  /** An administrator ends every session of the user; how many ended. */
  async revokeAllOf(orgId: string, userId: string): Promise<number> {
    await this.assertUser(orgId, userId);
    return this.revokeAll(orgId, userId, 'admin');
  }

  /** Ends every session of the user, and finishes any revocation of theirs cut short; how many ended. */
  async revokeAll(
    orgId: string,
    userId: string,
    reason: SessionRevocationReason,
    cause?: WriteCause,
  ): Promise<number> {
    const sessions = await this.liveSessions(orgId, userId);
    for (const session of sessions) await this.end(orgId, session, reason, cause);
    for (const pending of await this.pendingRevocations(orgId, userId)) await this.finish(pending, cause);
    return sessions.length;
  }

  /**
   * The person signed out (RP-initiated logout): oidc-provider has destroyed the session, revoked its
   * grants and posted the logout tokens; what is left is the record.
   */
  async signedOut(ended: EndedSession): Promise<void> {
    const [user] = await this.dataSource.query<{ org_id: string }[]>(
      'select org_id from authn.users where user_id = $1',
      [ended.accountId],
    );
    if (!user) return;
    const cause: WriteCause = {
      actor: { type: 'user', id: ended.accountId },
      correlationId: this.writer.metadata(user.org_id, undefined).correlationId,
      causationId: null,
    };
    const clients = signedInClients(ended.authorizations);
    await this.record(user.org_id, ended.accountId, ended.uid, ended.loginTs, clients, 'logout', cause);
    await this.dataSource.query(
      `insert into authn.session_revocations (session_id, org_id, user_id, reason, clients, revoked_at, completed_at)
       values ($1, $2, $3, 'logout', $4, $5, $5) on conflict (session_id) do nothing`,
      [ended.uid, user.org_id, ended.accountId, JSON.stringify(clients), this.writer.clock()],
    );
  }

  private async end(
    orgId: string,
    session: StoredSession,
    reason: SessionRevocationReason,
    cause: WriteCause | undefined,
  ): Promise<LogoutOutcome[]> {
    await this.record(orgId, session.accountId, session.uid, session.loginTs, session.clients, reason, cause);
    await this.dataSource.query(
      `insert into authn.session_revocations (session_id, org_id, user_id, reason, clients, revoked_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (session_id) do nothing`,
      [session.uid, orgId, session.accountId, reason, JSON.stringify(session.clients), this.writer.clock()],
    );
    const [row] = await this.pendingRevocations(orgId, session.accountId, session.uid);
    return row ? this.finish(row, cause) : [];
  }

  /** `authn.session.revoked`, once: a second revocation of the same session finds it recorded. */
  private async record(
    orgId: string,
    userId: string,
    sessionId: string,
    loginTs: number | null | undefined,
    clients: readonly SignedInClient[],
    reason: SessionRevocationReason,
    cause: WriteCause | undefined,
  ): Promise<void> {
    const event: SessionRevoked = {
      type: 'authn.session.revoked',
      data: {
        orgId,
        userId,
        sessionId,
        reason,
        clients: clients.map(({ clientId, grantId }) => ({ clientId, grantId })),
        authenticatedAt: typeof loginTs === 'number' ? new Date(loginTs * 1000).toISOString() : null,
        revokedAt: this.writer.clock().toISOString(),
      },
    };
    try {
      await this.writer.appendExpecting(sessionStream(sessionId), orgId, [event], 'no_stream', cause);
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }

  /** The session gone, its grants revoked, its applications told, the revocation complete. */
  private async finish(row: RevocationRow, cause: WriteCause | undefined): Promise<LogoutOutcome[]> {
    await this.dataSource.query("delete from authn.oauth_artifacts where model = 'Session' and uid = $1", [
      row.session_id,
    ]);
    for (const { grantId } of row.clients) {
      if (grantId === null) continue;
      const grant = await this.grants.find(grantId);
      if (grant && grant.org_id === row.org_id)
        await this.grants.revoke(grant, grantReasonFor(row.reason), cause);
      // Codes and tokens of a grant no access token was issued under yet are not in the grants read model.
      await this.dataSource.query('delete from authn.oauth_artifacts where grant_id = $1', [grantId]);
    }
    const outcomes = await Promise.all(
      row.clients.map(async ({ clientId, sid }): Promise<LogoutOutcome> => {
        try {
          const delivered = await this.logout.deliver(clientId, row.user_id, sid);
          return { clientId, outcome: delivered ? 'delivered' : 'not_registered' };
        } catch (error) {
          // The application is told once; it may be down, and its own sessions then expire on their own.
          this.logger.warn(`Back-channel logout to ${clientId} failed: ${(error as Error).message}`);
          return { clientId, outcome: 'failed' };
        }
      }),
    );
    await this.dataSource.query(
      'update authn.session_revocations set completed_at = $2 where session_id = $1 and completed_at is null',
      [row.session_id, this.writer.clock()],
    );
    return outcomes;
  }

  private async liveSessions(orgId: string, userId: string): Promise<StoredSession[]> {
    const rows = await this.dataSource.query<{ payload: Record<string, unknown> }[]>(
      `select a.payload from authn.oauth_artifacts a join authn.users u on u.user_id = a.payload->>'accountId'
        where a.model = 'Session' and a.payload->>'accountId' = $1 and u.org_id = $2
          and (a.expires_at is null or a.expires_at > $3)
          and not exists (select 1 from authn.session_revocations r where r.session_id = a.uid)
        limit 1000`,
      [userId, orgId, this.writer.clock()],
    );
    return rows.flatMap((row) => readStoredSession(row.payload) ?? []);
  }

  private pendingRevocations(orgId: string, userId: string, sessionId?: string): Promise<RevocationRow[]> {
    return this.dataSource.query<RevocationRow[]>(
      `select session_id, org_id, user_id, reason, clients from authn.session_revocations
        where org_id = $1 and user_id = $2 and completed_at is null and ($3::text is null or session_id = $3)`,
      [orgId, userId, sessionId ?? null],
    );
  }

  private async assertUser(orgId: string, userId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      'select 1 from authn.users where user_id = $1 and org_id = $2',
      [userId, orgId],
    );
    if (rows.length === 0)
      throw new DomainError('not_found', 'AUTHN_USER_NOT_FOUND', 'The organization has no such user');
  }
}
