import { type LoginAttempt, LOGIN_ATTEMPT_TTL_MS } from '@mandate/authn-domain';
import { type LoginMethod } from '@mandate/contracts';
import { prefixedId } from '@mandate/platform';
import { createHash } from 'node:crypto';
import { type DataSource } from 'typeorm';

/** What the IdP's verified answer established, kept on the attempt until the sign-in completes. */
export interface VerifiedLogin {
  readonly userId: string;
  readonly subject: string;
  readonly method: LoginMethod;
  /** What the IdP said about how the person authenticated (RFC 8176). */
  readonly upstreamAmr: readonly string[];
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly mfaRequired: boolean;
  readonly idpInitiated: boolean;
}

export interface StoredAttempt extends LoginAttempt {
  readonly method: LoginMethod;
  readonly browserHash: string;
  readonly status: 'started' | 'verified' | 'completed';
  readonly oidc: { readonly state: string; readonly nonce: string; readonly codeVerifier: string } | null;
  readonly samlRequestId: string | null;
  readonly outcome: VerifiedLogin | null;
}

interface AttemptRow {
  attempt_id: string;
  interaction_uid: string | null;
  org_id: string;
  connection_id: string;
  method: LoginMethod;
  browser_hash: string;
  oidc_state: string | null;
  oidc_nonce: string | null;
  oidc_code_verifier: string | null;
  saml_request_id: string | null;
  status: StoredAttempt['status'];
  outcome: VerifiedLogin | null;
  expires_at: Date;
  used_at: Date | null;
}

const attemptOf = (row: AttemptRow): StoredAttempt => ({
  attemptId: row.attempt_id,
  interactionUid: row.interaction_uid ?? '',
  orgId: row.org_id,
  connectionId: row.connection_id,
  method: row.method,
  browserHash: row.browser_hash,
  status: row.status,
  oidc:
    row.oidc_state && row.oidc_nonce && row.oidc_code_verifier
      ? { state: row.oidc_state, nonce: row.oidc_nonce, codeVerifier: row.oidc_code_verifier }
      : null,
  samlRequestId: row.saml_request_id,
  outcome: row.outcome,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
});

/** The browser binding as stored: a hash of the cookie's random value, never the value. */
export const browserHashOf = (cookieValue: string): string =>
  createHash('sha256').update(`mandate-sso-browser:${cookieValue}`).digest('hex');

/** Expired attempts are deleted every this many new ones, a bounded batch at a time. */
const PRUNE_EVERY = 100;

/**
 * Sign-ins in flight (`authn.login_attempts`): started when Mandate sends the person to an IdP,
 * used once when the IdP answers, completed when the authorization server continues. IdP-initiated
 * SAML logins are kept here too, with no interaction until the application starts one.
 */
export class LoginAttempts {
  private started = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date,
  ) {}

  async start(input: {
    readonly interactionUid: string;
    readonly orgId: string;
    readonly connectionId: string;
    readonly method: LoginMethod;
    readonly browserHash: string;
    readonly oidc?: { readonly state: string; readonly nonce: string; readonly codeVerifier: string };
    readonly samlRequestId?: string;
  }): Promise<string> {
    const attemptId = prefixedId('lat');
    const now = this.clock();
    await this.dataSource.query(
      `insert into authn.login_attempts (attempt_id, interaction_uid, org_id, connection_id, method, browser_hash,
         oidc_state, oidc_nonce, oidc_code_verifier, saml_request_id, status, expires_at, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'started', $11, $12)`,
      [
        attemptId,
        input.interactionUid,
        input.orgId,
        input.connectionId,
        input.method,
        input.browserHash,
        input.oidc?.state ?? null,
        input.oidc?.nonce ?? null,
        input.oidc?.codeVerifier ?? null,
        input.samlRequestId ?? null,
        new Date(now.getTime() + LOGIN_ATTEMPT_TTL_MS),
        now,
      ],
    );
    if (++this.started % PRUNE_EVERY === 0) await this.pruneExpired();
    return attemptId;
  }

  /** The attempt an OIDC callback's `state` names. */
  async byOidcState(state: string): Promise<StoredAttempt | null> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      'select * from authn.login_attempts where oidc_state = $1',
      [state],
    );
    return row ? attemptOf(row) : null;
  }

  /** The attempt a SAML response's InResponseTo names, for this connection only. */
  async bySamlRequest(connectionId: string, requestId: string): Promise<StoredAttempt | null> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      'select * from authn.login_attempts where connection_id = $1 and saml_request_id = $2',
      [connectionId, requestId],
    );
    return row ? attemptOf(row) : null;
  }

  /** Uses the attempt up for the IdP's answer; false when another answer used it first. */
  async use(attemptId: string): Promise<boolean> {
    // A CTE, so the driver answers with the updated rows alone (not rows and a count).
    const rows = await this.dataSource.query<unknown[]>(
      `with used as (
         update authn.login_attempts set used_at = $2 where attempt_id = $1 and used_at is null and status = 'started'
         returning 1)
       select * from used`,
      [attemptId, this.clock()],
    );
    return rows.length > 0;
  }

  async verified(attemptId: string, outcome: VerifiedLogin): Promise<void> {
    await this.dataSource.query(
      "update authn.login_attempts set status = 'verified', outcome = $2 where attempt_id = $1",
      [attemptId, JSON.stringify(outcome)],
    );
  }

  /** An IdP-initiated login, verified and waiting (bound to this browser) for the application to start a sign-in. */
  async unsolicited(input: {
    readonly orgId: string;
    readonly connectionId: string;
    readonly browserHash: string;
    readonly outcome: VerifiedLogin;
  }): Promise<void> {
    const now = this.clock();
    await this.dataSource.query(
      `insert into authn.login_attempts (attempt_id, interaction_uid, org_id, connection_id, method, browser_hash,
         status, outcome, expires_at, used_at, created_at)
       values ($1, null, $2, $3, 'saml', $4, 'verified', $5, $6, $7, $7)`,
      [
        prefixedId('lat'),
        input.orgId,
        input.connectionId,
        input.browserHash,
        JSON.stringify(input.outcome),
        new Date(now.getTime() + LOGIN_ATTEMPT_TTL_MS),
        now,
      ],
    );
  }

  /** The verified sign-in waiting in this browser for this interaction, if any. */
  async pendingFor(interactionUid: string, browserHash: string): Promise<StoredAttempt | null> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      `select * from authn.login_attempts
        where interaction_uid = $1 and browser_hash = $2 and status = 'verified' and expires_at > $3
        order by created_at desc limit 1`,
      [interactionUid, browserHash, this.clock()],
    );
    return row ? attemptOf(row) : null;
  }

  /** The verified sign-in of an interaction whatever the browser (to record one arriving in another browser). */
  async verifiedFor(interactionUid: string): Promise<StoredAttempt | null> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      `select * from authn.login_attempts where interaction_uid = $1 and status = 'verified'
        order by created_at desc limit 1`,
      [interactionUid],
    );
    return row ? attemptOf(row) : null;
  }

  /** Gives this browser's latest waiting IdP-initiated login of `orgId` to the interaction the application started. */
  async claimUnsolicited(
    browserHash: string,
    orgId: string,
    interactionUid: string,
  ): Promise<StoredAttempt | null> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      `with claimed as (
         update authn.login_attempts set interaction_uid = $3
          where attempt_id = (
            select attempt_id from authn.login_attempts
             where browser_hash = $1 and org_id = $2 and interaction_uid is null and status = 'verified'
               and expires_at > $4
             order by created_at desc limit 1)
            and interaction_uid is null
          returning *)
       select * from claimed`,
      [browserHash, orgId, interactionUid, this.clock()],
    );
    return row ? attemptOf(row) : null;
  }

  /** Ends the attempt: true once, for the request that completes the sign-in. */
  async complete(attemptId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `with completed as (
         update authn.login_attempts set status = 'completed' where attempt_id = $1 and status = 'verified'
         returning 1)
       select * from completed`,
      [attemptId],
    );
    return rows.length > 0;
  }

  async pruneExpired(): Promise<void> {
    await this.dataSource.query(
      `delete from authn.login_attempts where ctid in (
         select ctid from authn.login_attempts where expires_at <= $1 limit 1000)`,
      [new Date(this.clock().getTime() - LOGIN_ATTEMPT_TTL_MS)],
    );
  }
}
