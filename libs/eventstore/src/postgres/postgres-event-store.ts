import {
  type Actor,
  comparePositions,
  type Event,
  type GlobalPosition,
  type RecordedEvent,
} from '@mandate/kernel';
import { EventEmitter } from 'node:events';
import { Pool, type PoolClient } from 'pg';
import {
  type AppendOptions,
  type AppendResult,
  EventStoreClosedError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  matchesFilter,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ReadStreamResult,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from '../event-store';
import { uuidv7 } from '../uuid';
import { eventStoreSchemaSql, quoteSchema } from './schema';
import { PollingSubscription } from './polling-subscription';

export interface PostgresEventStoreOptions {
  /** A connection string, or a pool the caller owns (and closes). */
  readonly connectionString?: string;
  readonly pool?: Pool;
  /** The schema holding this store's tables: one per service. */
  readonly schema?: string;
  readonly poolSize?: number;
  /** How often an idle subscription looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
}

/** The stream belongs to another organization: an append can never move events across tenants. */
export class StreamOrganizationMismatchError extends Error {
  override readonly name = 'StreamOrganizationMismatchError';
  readonly code = 'EVENTSTORE_STREAM_ORGANIZATION_MISMATCH';

  constructor(
    readonly stream: string,
    readonly orgId: string,
  ) {
    super(`Stream "${stream}" does not belong to organization "${orgId}"`);
  }
}

interface EventRow {
  global_position: string;
  commit_position: string;
  event_id: string;
  stream_id: string;
  stream_revision: string;
  org_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  actor: Actor;
  causation_id: string | null;
  correlation_id: string;
  occurred_at: Date;
}

const eventColumns = `global_position, transaction_id::text as commit_position, event_id, stream_id, stream_revision,
  org_id, event_type, schema_version, data, actor, causation_id, correlation_id, occurred_at`;

const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  type: row.event_type,
  schemaVersion: row.schema_version,
  orgId: row.org_id,
  stream: row.stream_id,
  streamRevision: Number(row.stream_revision),
  position: { commit: BigInt(row.commit_position), prepare: BigInt(row.global_position) },
  occurredAt: row.occurred_at,
  actor: row.actor,
  causationId: row.causation_id,
  correlationId: row.correlation_id,
  data: row.data,
});

const START: GlobalPosition = { commit: 0n, prepare: 0n };

/**
 * The event store on PostgreSQL — a real server or embedded PGlite over the wire protocol; the same
 * SQL runs on both. Appends are one statement each (optimistic concurrency on the `streams` row);
 * readers of `$all` follow commit order (see schema.ts), so a subscriber never skips an event.
 */
export class PostgresEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    readonly schema: string,
    private readonly pollIntervalMs: number,
  ) {
    this.appended.setMaxListeners(0);
  }

  static async create(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const pool =
      options.pool ?? new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    const store = new PostgresEventStore(
      pool,
      !options.pool,
      options.schema ?? 'mandate_events',
      options.pollIntervalMs ?? 100,
    );
    await store.migrate();
    return store;
  }

  private get s(): string {
    return quoteSchema(this.schema);
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      // Serialises concurrent first boots on a real server (on PGlite there is one session anyway).
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`mandate:migrate:${this.schema}`]);
      await client.query(eventStoreSchemaSql(this.schema));
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async append<E extends Event>(
    stream: string,
    events: readonly EventToAppend<E>[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    const result = await this.appendWith(this.pool, stream, events, options);
    this.appended.emit('appended');
    return result;
  }

  /**
   * Appends inside a transaction the caller holds, so other rows (a uniqueness reservation, say) can
   * be written atomically with the events. The append must be the transaction's first write (see
   * `bumpStreamSql`); further writes may follow it. The caller commits, then calls `notifyAppended()`.
   */
  async appendInTransaction<E extends Event>(
    client: PoolClient,
    stream: string,
    events: readonly EventToAppend<E>[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    const { rows } = await client.query<{ assigned: boolean }>(
      'select pg_current_xact_id_if_assigned() is not null as assigned',
    );
    if (rows[0]?.assigned) {
      throw new Error(
        'appendInTransaction must be the first write of its transaction; write other rows after it',
      );
    }
    return this.appendWith(client, stream, events, options);
  }

  notifyAppended(): void {
    this.appended.emit('appended');
  }

  private async appendWith<E extends Event>(
    db: Pool | PoolClient,
    stream: string,
    events: readonly EventToAppend<E>[],
    { expectedRevision = 'any', metadata }: AppendOptions,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const count = events.length;
    const parameters: unknown[] = [
      stream,
      metadata.orgId,
      count,
      events.map((event) => event.id ?? uuidv7()),
      events.map((event) => event.type),
      events.map((event) => event.schemaVersion ?? 1),
      events.map((event) => JSON.stringify(event.data)),
      JSON.stringify(metadata.actor),
      metadata.causationId ?? null,
      metadata.correlationId,
      metadata.occurredAt ?? new Date(),
      `${this.schema}:${stream}`,
    ];
    if (typeof expectedRevision === 'number') parameters.push(expectedRevision);
    const { rows } = await db.query<{
      global_position: string;
      commit_position: string;
      stream_revision: string;
    }>(
      `with stream_lock as materialized (select pg_advisory_xact_lock(hashtextextended($12, 0)) as locked),
            bumped as (${this.bumpStreamSql(expectedRevision)})
       insert into ${this.s}.events (event_id, stream_id, stream_revision, org_id, event_type, schema_version, data,
                                     actor, causation_id, correlation_id, occurred_at)
       select e.id, $1, bumped.revision - $3 + e.ord, $2, e.type, e.version, e.data::jsonb, $8::jsonb, $9, $10, $11
       from bumped, unnest($4::uuid[], $5::text[], $6::int[], $7::text[]) with ordinality as e(id, type, version, data, ord)
       order by e.ord
       returning global_position, transaction_id::text as commit_position, stream_revision`,
      parameters,
    );
    if (rows.length === 0) throw await this.appendRefusal(db, stream, expectedRevision, metadata.orgId);
    const last = rows.reduce((a, b) => (BigInt(a.global_position) > BigInt(b.global_position) ? a : b));
    return {
      nextExpectedRevision: Number(last.stream_revision),
      position: { commit: BigInt(last.commit_position), prepare: BigInt(last.global_position) },
    };
  }

  /**
   * The statement that moves the stream's revision forward, or matches no row when it may not.
   * It reads from `stream_lock` so the stream's lock is held before the transaction's first write:
   * the transaction id — the first half of the $all order — is then assigned in the stream's
   * append order, and a stream's events can never appear out of revision order in $all.
   */
  private bumpStreamSql(expected: ExpectedRevision): string {
    const streams = `${this.s}.streams`;
    switch (expected) {
      case 'no_stream':
        return `insert into ${streams} (stream_id, org_id, revision) select $1, $2, $3 - 1 from stream_lock
                on conflict (stream_id) do nothing returning revision`;
      case 'any':
        return `insert into ${streams} (stream_id, org_id, revision) select $1, $2, $3 - 1 from stream_lock
                on conflict (stream_id) do update set revision = ${streams}.revision + $3
                where ${streams}.org_id = $2 returning revision`;
      case 'stream_exists':
        return `update ${streams} set revision = revision + $3 from stream_lock
                where stream_id = $1 and org_id = $2 returning revision`;
      default:
        return `update ${streams} set revision = revision + $3 from stream_lock
                where stream_id = $1 and org_id = $2 and revision = $13::bigint returning revision`;
    }
  }

  private async appendRefusal(
    db: Pool | PoolClient,
    stream: string,
    expected: ExpectedRevision,
    orgId: string,
  ): Promise<Error> {
    const { rows } = await db.query<{ revision: string; org_id: string }>(
      `select revision, org_id from ${this.s}.streams where stream_id = $1`,
      [stream],
    );
    const current = rows[0];
    if (current && current.org_id !== orgId) return new StreamOrganizationMismatchError(stream, orgId);
    return new WrongExpectedRevisionError(stream, expected, current ? Number(current.revision) : null);
  }

  async readStream<E extends Event = Event>(
    stream: string,
    { fromRevision = 0, maxCount = 1_000_000 }: ReadStreamOptions = {},
  ): Promise<ReadStreamResult<E>> {
    this.assertOpen();
    // One statement, so the events and the stream's revision come from the same snapshot.
    const { rows } = await this.pool.query<EventRow & { current_revision: string }>(
      `select s.revision as current_revision, e.*
       from (select revision from ${this.s}.streams where stream_id = $1) s
       left join lateral (
         select ${eventColumns} from ${this.s}.events
         where stream_id = $1 and stream_revision >= $2 and stream_revision <= s.revision
         order by stream_revision limit $3
       ) e on true`,
      [stream, fromRevision, maxCount],
    );
    const first = rows[0];
    return {
      events: rows.filter((row) => row.event_id !== null).map(toRecordedEvent) as RecordedEvent<E>[],
      currentRevision: first ? Number(first.current_revision) : null,
    };
  }

  async readAll({ after, maxCount = 1000, filter }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = after ?? START;
    const { rows } = await this.pool.query<EventRow>(
      `select ${eventColumns} from ${this.s}.events
       where (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
         and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ${filter?.types ? 'and event_type = any($4::text[])' : ''}
       order by transaction_id, global_position
       limit $3`,
      filter?.types
        ? [from.commit.toString(), from.prepare.toString(), maxCount, filter.types]
        : [from.commit.toString(), from.prepare.toString(), maxCount],
    );
    const events = rows.map(toRecordedEvent);
    return filter?.typePrefixes ? events.filter((event) => matchesFilter(event.type, filter)) : events;
  }

  async headPosition(): Promise<GlobalPosition | null> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ commit_position: string; global_position: string }>(
      `select transaction_id::text as commit_position, global_position from ${this.s}.events
       where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       order by transaction_id desc, global_position desc limit 1`,
    );
    const head = rows[0];
    return head ? { commit: BigInt(head.commit_position), prepare: BigInt(head.global_position) } : null;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const subscription = new PollingSubscription({
      ...options,
      checkpoint: await this.getCheckpoint(options.subscriptionId),
      readPage: (after, maxCount) => this.readAll({ after, maxCount }),
      saveCheckpoint: (position) => this.saveCheckpoint(options.subscriptionId, position),
      wakeups: this.appended,
      pollIntervalMs: this.pollIntervalMs,
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async getCheckpoint(subscriptionId: string): Promise<GlobalPosition | null> {
    const { rows } = await this.pool.query<{ commit_position: string; prepare_position: string }>(
      `select commit_position, prepare_position from ${this.s}.subscription_checkpoints where subscription_id = $1`,
      [subscriptionId],
    );
    const row = rows[0];
    return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : null;
  }

  private async saveCheckpoint(subscriptionId: string, position: GlobalPosition): Promise<void> {
    await this.pool.query(
      `insert into ${this.s}.subscription_checkpoints (subscription_id, commit_position, prepare_position)
       values ($1, $2, $3)
       on conflict (subscription_id) do update
         set commit_position = excluded.commit_position, prepare_position = excluded.prepare_position, updated_at = now()`,
      [subscriptionId, position.commit.toString(), position.prepare.toString()],
    );
  }

  /** The pool, for tests and for components that must write in the same transaction as an append. */
  get connectionPool(): Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsPool) await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError('The event store is closed');
  }
}

export const isAtOrAfter = (position: GlobalPosition | null, target: GlobalPosition): boolean =>
  position !== null && comparePositions(position, target) >= 0;
