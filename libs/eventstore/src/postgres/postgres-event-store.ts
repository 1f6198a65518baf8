import {
  type Actor,
  comparePositions,
  type Event,
  type GlobalPosition,
  type RecordedEvent,
} from '@mandate/kernel';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { DatabaseError, Pool, type PoolClient } from 'pg';
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
import { type GroupCommitOptions, GroupCommitter, type Pending } from './group-commit';
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
  /**
   * Concurrent `append` calls of this process share transactions, so one commit (one WAL flush)
   * serves many of them. On by default; `false` runs every append as a statement of its own.
   */
  readonly groupCommit?: GroupCommitOptions | false;
}

interface AppendRequest {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
  readonly options: AppendOptions;
}

/** A row an append statement returns, one per event written. */
interface AppendedRow {
  global_position: string;
  commit_position: string;
  stream_id: string;
  stream_revision: string;
}

const toAppendResult = (last: Omit<AppendedRow, 'stream_id'>): AppendResult => ({
  nextExpectedRevision: Number(last.stream_revision),
  position: { commit: BigInt(last.commit_position), prepare: BigInt(last.global_position) },
});

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

interface StreamRow {
  stream_id: string;
  revision: string;
  org_id: string;
}

/** Why an append that matched no row was refused, given its stream's row (if any). */
const refusal = (stream: string, expected: ExpectedRevision, orgId: string, current?: StreamRow): Error =>
  current && current.org_id !== orgId
    ? new StreamOrganizationMismatchError(stream, orgId)
    : new WrongExpectedRevisionError(stream, expected, current ? Number(current.revision) : null);

const nonEmpty = <T>(events: readonly T[]): readonly T[] => {
  if (events.length === 0) throw new Error('append needs at least one event');
  return events;
};

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
  /** Milliseconds since the epoch. */
  occurred_at: number;
}

// `occurred_at` travels as epoch milliseconds: parsing timestamptz text took a third of a read's time.
const eventColumns = `global_position, transaction_id::text as commit_position, event_id, stream_id, stream_revision,
  org_id, event_type, schema_version, data, actor, causation_id, correlation_id,
  floor(extract(epoch from occurred_at) * 1000)::float8 as occurred_at`;

const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  type: row.event_type,
  schemaVersion: row.schema_version,
  orgId: row.org_id,
  stream: row.stream_id,
  streamRevision: Number(row.stream_revision),
  position: { commit: BigInt(row.commit_position), prepare: BigInt(row.global_position) },
  occurredAt: new Date(row.occurred_at),
  actor: row.actor,
  causationId: row.causation_id,
  correlationId: row.correlation_id,
  data: row.data,
});

const START: GlobalPosition = { commit: 0n, prepare: 0n };

type ExpectedKind = 'no_stream' | 'any' | 'stream_exists' | 'revision';

const kindOf = (expected: ExpectedRevision): ExpectedKind =>
  typeof expected === 'number' ? 'revision' : expected;

/**
 * Appends to one stream in ONE statement. It takes the stream's transaction-scoped advisory lock
 * before the transaction's first write: the transaction id — the first half of the $all order —
 * is then assigned in the stream's append order, and a stream's events can never appear out of
 * revision order in $all. The stream's revision moves forward in `bumped`, which matches no row —
 * and the append writes nothing — when the expected revision or the organization is wrong.
 */
const appendSql = (schema: string, kind: ExpectedKind): string => {
  const streams = `${quoteSchema(schema)}.streams`;
  const bumped = {
    no_stream: `insert into ${streams} (stream_id, org_id, revision) select $1, $2, $3 - 1 from stream_lock
                on conflict (stream_id) do nothing returning revision`,
    any: `insert into ${streams} (stream_id, org_id, revision) select $1, $2, $3 - 1 from stream_lock
          on conflict (stream_id) do update set revision = ${streams}.revision + $3
          where ${streams}.org_id = $2 returning revision`,
    stream_exists: `update ${streams} set revision = revision + $3 from stream_lock
                    where stream_id = $1 and org_id = $2 returning revision`,
    revision: `update ${streams} set revision = revision + $3 from stream_lock
               where stream_id = $1 and org_id = $2 and revision = $13::bigint returning revision`,
  }[kind];
  return `with stream_lock as materialized (select pg_advisory_xact_lock(hashtextextended($12, 0)) as locked),
            bumped as (${bumped})
       insert into ${quoteSchema(schema)}.events (event_id, stream_id, stream_revision, org_id, event_type,
                                     schema_version, data, actor, causation_id, correlation_id, occurred_at)
       select e.id, $1, bumped.revision - $3 + e.ord, $2, e.type, e.version, e.data::jsonb, $8::jsonb, $9, $10, $11
       from bumped, unnest($4::uuid[], $5::text[], $6::int[], $7::text[]) with ordinality as e(id, type, version, data, ord)
       order by e.ord
       returning global_position, transaction_id::text as commit_position, stream_revision`;
};

/**
 * Appends several requests — streams all distinct — in ONE statement, under the same rule: it
 * first takes every stream's lock, in key order, and only then writes, so the transaction id is
 * assigned after all its streams are locked; taking the locks in key order means two such
 * statements cannot deadlock. A request whose expected revision or organization is wrong matches
 * no row in `created`, `upserted` or `updated`, and writes nothing, without failing the others.
 */
const groupAppendSql = (schema: string): string => {
  const s = quoteSchema(schema);
  return `
with locked as materialized (
  select count(*) from (
    select pg_advisory_xact_lock(k)
    from (select distinct hashtextextended($16 || stream, 0) as k from unnest($1::text[]) as stream) keys
    order by k
  ) l
),
req as materialized (
  select r.*
  from locked, unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[],
                      $6::text[], $7::text[], $8::text[], $9::timestamptz[])
    with ordinality as r(stream, org, count, kind, expected, actor, causation, correlation, occurred, i)
),
created as (
  insert into ${s}.streams (stream_id, org_id, revision)
  select stream, org, count - 1 from req where kind = 'no_stream'
  on conflict (stream_id) do nothing
  returning stream_id, revision
),
upserted as (
  insert into ${s}.streams (stream_id, org_id, revision)
  select stream, org, count - 1 from req where kind = 'any'
  on conflict (stream_id) do update set revision = streams.revision + excluded.revision + 1
    where streams.org_id = excluded.org_id
  returning stream_id, revision
),
updated as (
  update ${s}.streams set revision = streams.revision + req.count
  from req
  where req.kind in ('stream_exists', 'revision') and streams.stream_id = req.stream
    and streams.org_id = req.org and streams.revision = coalesce(req.expected, streams.revision)
  returning streams.stream_id, streams.revision
),
bumped as (select * from created union all select * from upserted union all select * from updated)
insert into ${s}.events (event_id, stream_id, stream_revision, org_id, event_type, schema_version, data,
                         actor, causation_id, correlation_id, occurred_at)
select e.id, r.stream, b.revision - r.count + e.ordinal, r.org, e.type, e.version, e.data::jsonb,
       r.actor::jsonb, r.causation, r.correlation, r.occurred
from unnest($10::int[], $11::int[], $12::uuid[], $13::text[], $14::int[], $15::text[])
       with ordinality as e(request, ordinal, id, type, version, data, n)
join req r on r.i = e.request
join bumped b on b.stream_id = r.stream
order by e.n
returning global_position, transaction_id::text as commit_position, stream_id, stream_revision`;
};

/**
 * The event store on PostgreSQL — a real server or embedded PGlite over the wire protocol; the same
 * SQL runs on both. Appends are one statement each (optimistic concurrency on the `streams` row) —
 * or, when they come concurrently, one statement for a group of them (group commit: one commit, one
 * WAL flush for many appends). Readers of `$all` follow commit order (see schema.ts), so a
 * subscriber never skips an event.
 */
export class PostgresEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly groups: GroupCommitter<AppendRequest, AppendResult> | null;
  private readonly statements = new Map<string, { readonly name?: string; readonly text: string }>();
  /**
   * Append statements are prepared once per connection (planning one costs about as much as running
   * it) — but not on PGlite, whose connections all share one session, where a name would clash.
   */
  private prepareStatements = false;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    readonly schema: string,
    private readonly pollIntervalMs: number,
    groupCommit: GroupCommitOptions | false,
  ) {
    this.appended.setMaxListeners(0);
    this.groups =
      groupCommit === false
        ? null
        : new GroupCommitter(
            (group) => this.commitGroup(group),
            (request) => request.stream,
            groupCommit,
          );
  }

  static async create(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const pool =
      options.pool ?? new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    const store = new PostgresEventStore(
      pool,
      !options.pool,
      options.schema ?? 'mandate_events',
      options.pollIntervalMs ?? 100,
      options.groupCommit ?? {},
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
      const { rows } = await client.query<{ pglite: boolean }>(`select version() like '%PGlite%' as pglite`);
      this.prepareStatements = !rows[0]?.pglite;
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
    const request = { stream, events: nonEmpty(events), options };
    const result = await (this.groups ? this.groups.submit(request) : this.appendWith(this.pool, request));
    this.appended.emit(
      'appended',
      events.map((event) => event.type),
    );
    return result;
  }

  /**
   * Appends a group — at most one request per stream (see GroupCommitter) — in one statement, so
   * one commit serves them all. A refused request writes nothing and fails alone. Any other failure
   * (a duplicate event id, say) fails the statement, which then wrote nothing: the requests run
   * again one by one, so only the faulty one fails.
   */
  private async commitGroup(group: Pending<AppendRequest, AppendResult>[]): Promise<void> {
    const one = (pending: Pending<AppendRequest, AppendResult>) =>
      this.appendWith(this.pool, pending.request).then(pending.resolve, pending.reject);
    if (group.length === 1) return one(group[0]!);
    let rows: AppendedRow[];
    try {
      rows = await this.appendGroup(group.map(({ request }) => request));
    } catch (error) {
      // Only a server-reported error proves the statement rolled back; after a lost connection
      // it may have committed, and running it again could write twice.
      if (!(error instanceof DatabaseError)) throw error;
      await Promise.all(group.map(one));
      return;
    }
    const last = new Map<string, AppendedRow>();
    for (const row of rows) {
      const previous = last.get(row.stream_id);
      if (!previous || BigInt(row.global_position) > BigInt(previous.global_position)) {
        last.set(row.stream_id, row);
      }
    }
    const refused = group.filter(({ request }) => !last.has(request.stream));
    // The others are committed: settle them before looking up why the refused ones were refused.
    for (const pending of group) {
      const row = last.get(pending.request.stream);
      if (row) pending.resolve(toAppendResult(row));
    }
    const current = await this.currentStreams(
      this.pool,
      refused.map(({ request }) => request.stream),
    );
    for (const { request, reject } of refused) {
      const { stream, options } = request;
      const found = current.find((row) => row.stream_id === stream);
      reject(refusal(stream, options.expectedRevision ?? 'any', options.metadata.orgId, found));
    }
  }

  /**
   * Appends inside a transaction the caller holds, so other rows (a uniqueness reservation, say) can
   * be written atomically with the events. The append must be the transaction's first write (see
   * `appendSql`); further writes may follow it. The caller commits, then calls `notifyAppended()`.
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
    return this.appendWith(client, { stream, events: nonEmpty(events), options });
  }

  /** Wakes the subscriptions that want events of `types` (every subscription when absent). */
  notifyAppended(types?: readonly string[]): void {
    this.appended.emit('appended', types);
  }

  /** The statement, named so that each connection prepares it once (see `prepareStatements`). */
  private statement(kind: ExpectedKind | 'group'): { readonly name?: string; readonly text: string } {
    let statement = this.statements.get(kind);
    if (!statement) {
      const text = kind === 'group' ? groupAppendSql(this.schema) : appendSql(this.schema, kind);
      const name = `mandate_append_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
      statement = this.prepareStatements ? { name, text } : { text };
      this.statements.set(kind, statement);
    }
    return statement;
  }

  private async appendWith(
    db: Pool | PoolClient,
    { stream, events, options: { expectedRevision = 'any', metadata } }: AppendRequest,
  ): Promise<AppendResult> {
    const values: unknown[] = [
      stream,
      metadata.orgId,
      events.length,
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
    if (typeof expectedRevision === 'number') values.push(expectedRevision);
    const { rows } = await db.query<Omit<AppendedRow, 'stream_id'>>({
      ...this.statement(kindOf(expectedRevision)),
      values,
    });
    if (rows.length === 0) {
      const [current] = await this.currentStreams(db, [stream]);
      throw refusal(stream, expectedRevision, metadata.orgId, current);
    }
    return toAppendResult(
      rows.reduce((a, b) => (BigInt(a.global_position) > BigInt(b.global_position) ? a : b)),
    );
  }

  /** Appends the requests (streams all distinct) in one statement: rows for those not refused. */
  private async appendGroup(requests: readonly AppendRequest[]): Promise<AppendedRow[]> {
    const events = requests.flatMap((request, r) =>
      request.events.map((event, n) => ({ event, request: r + 1, ordinal: n + 1 })),
    );
    const expected = requests.map(({ options }) => options.expectedRevision ?? 'any');
    const { rows } = await this.pool.query<AppendedRow>({
      ...this.statement('group'),
      values: [
        requests.map(({ stream }) => stream),
        requests.map(({ options }) => options.metadata.orgId),
        requests.map(({ events }) => events.length),
        expected.map(kindOf),
        expected.map((revision) => (typeof revision === 'number' ? revision : null)),
        requests.map(({ options }) => JSON.stringify(options.metadata.actor)),
        requests.map(({ options }) => options.metadata.causationId ?? null),
        requests.map(({ options }) => options.metadata.correlationId),
        requests.map(({ options }) => options.metadata.occurredAt ?? new Date()),
        events.map((e) => e.request),
        events.map((e) => e.ordinal),
        events.map((e) => e.event.id ?? uuidv7()),
        events.map((e) => e.event.type),
        events.map((e) => e.event.schemaVersion ?? 1),
        events.map((e) => JSON.stringify(e.event.data)),
        `${this.schema}:`,
      ],
    });
    return rows;
  }

  private async currentStreams(db: Pool | PoolClient, streams: string[]): Promise<StreamRow[]> {
    if (streams.length === 0) return [];
    const { rows } = await db.query<StreamRow>(
      `select stream_id, revision, org_id from ${this.s}.streams where stream_id = any($1::text[])`,
      [streams],
    );
    return rows;
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
    // The visibility test sits outside the LIMIT: in this order every event it hides comes after
    // all those it shows, so it only trims the page's end. Inside, it made the planner expect few
    // rows after `after` and sort all of them for every page instead of walking the index.
    const { rows } = await this.pool.query<EventRow>(
      `select ${eventColumns}
       from (select * from ${this.s}.events
             where (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
               ${filter?.types ? 'and event_type = any($4::text[])' : ''}
             order by transaction_id, global_position
             limit $3) page
       where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       order by transaction_id, global_position`,
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
    await this.groups?.idle();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsPool) await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError('The event store is closed');
  }
}

export const isAtOrAfter = (position: GlobalPosition | null, target: GlobalPosition): boolean =>
  position !== null && comparePositions(position, target) >= 0;
