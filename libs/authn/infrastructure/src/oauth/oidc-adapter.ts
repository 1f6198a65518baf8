import { type DataSource } from 'typeorm';
import { type ClientRow, clientMetadata } from '../clients/client-row';

/** What oidc-provider stores per artifact; `consumed` marks a single-use artifact as used. */
type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

/**
 * A refresh token used again within this long after its rotation is a client racing itself (two
 * tabs, a retry): the late request is refused, but the grant survives. Used later, it is a replay
 * and the whole family is revoked (RFC 9700 §4.14.2).
 */
export const REFRESH_RACE_GRACE_MS = 10_000;

/** Thrown by `consume` when a concurrent request consumed the artifact first: 400 `invalid_grant`. */
export type ConsumedFirst = (model: string) => Error;

/**
 * oidc-provider's storage on PostgreSQL (`authn.oauth_artifacts`): sessions, interactions, codes,
 * refresh tokens, grants, replay detection. Clients come from Mandate's client read model. An
 * artifact of a grant Mandate revoked is never found again, whatever oidc-provider remembers.
 */
export const oidcAdapterFactory = (
  dataSource: DataSource,
  clock: () => Date,
  consumedFirst: ConsumedFirst,
  onRevokeByGrantId: (grantId: string, replayed: string | undefined) => Promise<void>,
) => {
  /** The single-use artifact last presented again, per grant: why oidc-provider revokes the grant next. */
  const replayed = new Map<string, string>();
  return class PostgresOidcAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (this.model === 'Client') throw new Error('Clients are registered through the management API');
      const expiresAt = expiresIn ? new Date(clock().getTime() + expiresIn * 1000) : null;
      const grantId = payload.grantId ?? (this.model === 'Grant' ? id : null);
      await dataSource.query(
        `insert into authn.oauth_artifacts (model, id, payload, grant_id, uid, user_code, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (model, id) do update set payload = $3, grant_id = $4, uid = $5, user_code = $6, expires_at = $7`,
        [
          this.model,
          id,
          JSON.stringify(payload),
          grantId,
          payload.uid ?? null,
          payload.userCode ?? null,
          expiresAt,
        ],
      );
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') return this.findClient(id);
      return this.findWhere('a.id = $2', id);
    }

    findByUid(uid: string): Promise<Payload | undefined> {
      return this.findWhere('a.uid = $2', uid);
    }

    findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.findWhere('a.user_code = $2', userCode);
    }

    async consume(id: string): Promise<void> {
      const now = clock();
      const rows: unknown[] = await dataSource.query(
        `with consumed as (
           update authn.oauth_artifacts set consumed_at = $3,
             payload = payload || jsonb_build_object('consumed', $4::bigint)
           where model = $1 and id = $2 and consumed_at is null returning id)
         select id from consumed`,
        [this.model, id, now, Math.floor(now.getTime() / 1000)],
      );
      // Two requests redeemed the same code or refresh token at once: exactly one wins.
      if (rows.length === 0) throw consumedFirst(this.model);
    }

    async destroy(id: string): Promise<void> {
      await dataSource.query('delete from authn.oauth_artifacts where model = $1 and id = $2', [
        this.model,
        id,
      ]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const model = replayed.get(grantId);
      replayed.delete(grantId);
      await onRevokeByGrantId(grantId, model);
      await dataSource.query('delete from authn.oauth_artifacts where grant_id = $1', [grantId]);
    }

    private async findWhere(where: string, value: string): Promise<Payload | undefined> {
      const rows: {
        payload: Payload;
        grant_id: string | null;
        consumed_at: Date | null;
        revoked: boolean;
      }[] = await dataSource.query(
        `select a.payload, a.grant_id, a.consumed_at, (g.revoked_at is not null) as revoked
           from authn.oauth_artifacts a left join authn.grants g on g.grant_id = a.grant_id
          where a.model = $1 and ${where} and (a.expires_at is null or a.expires_at > $3)`,
        [this.model, value, clock()],
      );
      const row = rows[0];
      if (!row || row.revoked) return undefined;
      if (
        this.model === 'RefreshToken' &&
        row.consumed_at !== null &&
        clock().getTime() - row.consumed_at.getTime() < REFRESH_RACE_GRACE_MS
      ) {
        // Within the race window: let `consume` refuse it without revoking the family.
        const { consumed: _consumed, ...unconsumed } = row.payload;
        return unconsumed;
      }
      if (row.consumed_at !== null && row.grant_id !== null) {
        if (replayed.size > 10_000) replayed.clear();
        replayed.set(row.grant_id, this.model);
      }
      return row.payload;
    }

    private async findClient(id: string): Promise<Payload | undefined> {
      const rows: ClientRow[] = await dataSource.query(
        "select * from authn.clients where client_id = $1 and status = 'active'",
        [id],
      );
      return rows[0] && clientMetadata(rows[0]);
    }
  };
};
