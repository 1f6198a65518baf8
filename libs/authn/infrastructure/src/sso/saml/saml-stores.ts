import { type DataSource } from 'typeorm';

/**
 * The AuthnRequest IDs this SP has sent, per connection, so a response's InResponseTo can be
 * checked on any instance — and used once.
 */
export interface SamlRequestStore {
  remember(connectionId: string, requestId: string, expiresAt: Date): Promise<void>;
  /** True once for a remembered, unexpired request of this connection; false ever after. Atomic. */
  consume(connectionId: string, requestId: string): Promise<boolean>;
}

/** Assertion IDs already accepted, per connection (Profiles §4.1.4.5: bearer assertions are one-time). */
export interface AssertionReplayCache {
  /** Records the ID until `keepUntil`; false when it was already recorded and has not expired (a replay). */
  remember(connectionId: string, assertionId: string, keepUntil: Date): Promise<boolean>;
}

type Clock = () => Date;

/** Expired rows are deleted every this many writes, a bounded batch at a time. */
const PRUNE_EVERY = 200;
const PRUNE_BATCH = 1000;

/** SamlRequestStore over `authn.saml_requests` (see `CreateAuthnSamlStores…`). */
export class PostgresSamlRequestStore implements SamlRequestStore {
  private writes = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async remember(connectionId: string, requestId: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `insert into authn.saml_requests (connection_id, request_id, expires_at) values ($1, $2, $3)
       on conflict (connection_id, request_id) do update set expires_at = excluded.expires_at`,
      [connectionId, requestId, expiresAt],
    );
    if (++this.writes % PRUNE_EVERY === 0) await this.pruneExpired();
  }

  async consume(connectionId: string, requestId: string): Promise<boolean> {
    const rows = await this.dataSource.query<Array<{ valid: number }>>(
      `with consumed as (
         delete from authn.saml_requests where connection_id = $1 and request_id = $2 returning expires_at
       )
       select count(*)::int as valid from consumed where expires_at > $3`,
      [connectionId, requestId, this.clock()],
    );
    return (rows[0]?.valid ?? 0) > 0;
  }

  /** Deletes up to one batch of expired requests; returns how many. */
  async pruneExpired(): Promise<number> {
    return pruneBatch(this.dataSource, 'saml_requests', 'expires_at', this.clock());
  }
}

/** AssertionReplayCache over `authn.saml_seen_assertions`, shared by every instance. */
export class PostgresAssertionReplayCache implements AssertionReplayCache {
  private writes = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = () => new Date(),
  ) {}

  async remember(connectionId: string, assertionId: string, keepUntil: Date): Promise<boolean> {
    // The conflicting row is replaced only once it has expired; a concurrent duplicate waits for the
    // first insert's row lock and then finds it unexpired, so exactly one caller gets `true`.
    const rows = await this.dataSource.query<Array<{ recorded: number }>>(
      `with recorded as (
         insert into authn.saml_seen_assertions (connection_id, assertion_id, keep_until) values ($1, $2, $3)
         on conflict (connection_id, assertion_id) do update set keep_until = excluded.keep_until
           where authn.saml_seen_assertions.keep_until <= $4
         returning 1
       )
       select count(*)::int as recorded from recorded`,
      [connectionId, assertionId, keepUntil, this.clock()],
    );
    if (++this.writes % PRUNE_EVERY === 0) await this.pruneExpired();
    return (rows[0]?.recorded ?? 0) > 0;
  }

  async pruneExpired(): Promise<number> {
    return pruneBatch(this.dataSource, 'saml_seen_assertions', 'keep_until', this.clock());
  }
}

const pruneBatch = async (
  dataSource: DataSource,
  table: string,
  column: string,
  now: Date,
): Promise<number> => {
  const rows = await dataSource.query<Array<{ pruned: number }>>(
    `with pruned as (
       delete from authn.${table} where ctid in (select ctid from authn.${table} where ${column} <= $1 limit ${PRUNE_BATCH})
       returning 1
     )
     select count(*)::int as pruned from pruned`,
    [now],
  );
  return rows[0]?.pruned ?? 0;
};

/** Single-process stores, for tests and tools; a deployment with more than one instance needs the PostgreSQL ones. */
export class InMemorySamlRequestStore implements SamlRequestStore {
  private readonly requests = new Map<string, number>();

  constructor(private readonly clock: Clock = () => new Date()) {}

  remember(connectionId: string, requestId: string, expiresAt: Date): Promise<void> {
    this.requests.set(key(connectionId, requestId), expiresAt.getTime());
    return Promise.resolve();
  }

  consume(connectionId: string, requestId: string): Promise<boolean> {
    const id = key(connectionId, requestId);
    const expiresAt = this.requests.get(id);
    this.requests.delete(id);
    return Promise.resolve(expiresAt !== undefined && expiresAt > this.clock().getTime());
  }
}

export class InMemoryAssertionReplayCache implements AssertionReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock = () => new Date()) {}

  remember(connectionId: string, assertionId: string, keepUntil: Date): Promise<boolean> {
    const id = key(connectionId, assertionId);
    const existing = this.seen.get(id);
    if (existing !== undefined && existing > this.clock().getTime()) return Promise.resolve(false);
    this.seen.set(id, keepUntil.getTime());
    return Promise.resolve(true);
  }
}

const key = (connectionId: string, id: string): string => JSON.stringify([connectionId, id]);
