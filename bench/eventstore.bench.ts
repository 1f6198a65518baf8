/**
 * Event-store benchmark: append throughput, catch-up read of $all, and a read-model rebuild from
 * 1,000,000 events, on embedded PGlite and (when DATABASE_URL is set) a PostgreSQL server.
 * Every loop is bounded in count and time. Prints a table and writes bench/results/eventstore.json.
 *
 * BENCH_REBUILD_EVENTS (default 1000000) and BENCH_SECONDS (per append case, default 8) scale it;
 * BENCH_BACKENDS (default `pglite,postgres`) picks the backends.
 */
import { EmbeddedPostgres, PostgresEventStore } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';

const REBUILD_EVENTS = Number(process.env['BENCH_REBUILD_EVENTS'] ?? 1_000_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const BACKENDS = (process.env['BENCH_BACKENDS'] ?? 'pglite,postgres').split(',');
const metadata = {
  orgId: 'org_bench',
  actor: { type: 'system' as const, id: 'bench' },
  correlationId: 'bench',
};
const payload = (i: number) => ({
  userId: `user_${i}`,
  email: `user${i}@example.com`,
  groups: ['engineering'],
});

interface Row {
  backend: string;
  case: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Latency of one append call, for the append cases. */
  p50Ms?: number;
  p99Ms?: number;
  notes?: string;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

/** Runs `workers` loops of `step` until `maxSteps` steps in all or the time limit, whichever comes first. */
const bounded = async (
  workers: number,
  maxSteps: number,
  step: (worker: number, i: number) => Promise<number>,
) => {
  const deadline = now() + SECONDS;
  let steps = 0;
  let events = 0;
  const latencies: number[] = [];
  const started = now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; steps < maxSteps && now() < deadline; i++) {
        steps++;
        const t = now();
        const appended = await step(worker, i);
        latencies.push(now() - t);
        events += appended; // not `events += await …`, which reads `events` before the await
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const percentileMs = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 10_000) / 10;
  return { events, seconds: now() - started, p50Ms: percentileMs(0.5), p99Ms: percentileMs(0.99) };
};

const appendCases = async (
  backend: string,
  store: PostgresEventStore,
  ungrouped: PostgresEventStore,
  rows: Row[],
) => {
  const record = (
    name: string,
    { events, seconds, p50Ms, p99Ms }: Awaited<ReturnType<typeof bounded>>,
    notes?: string,
  ) => {
    const eventsPerSecond = Math.round(events / seconds);
    const row: Row = { backend, case: name, events, seconds, eventsPerSecond, p50Ms, p99Ms };
    if (notes) row.notes = notes;
    rows.push(row);
    console.log(
      `${backend.padEnd(10)} ${name.padEnd(58)} ${String(eventsPerSecond).padStart(9)} events/s  (per append: p50 ${p50Ms} ms, p99 ${p99Ms} ms)`,
    );
  };
  const batch = (size: number, offset: number) =>
    Array.from({ length: size }, (_, i) => ({ type: 'bench.user.provisioned', data: payload(offset + i) }));

  let revision = -1;
  record(
    'append 1 stream, batch 1, sequential',
    await bounded(1, 20_000, async () => {
      revision = (
        await store.append('bench-single', batch(1, 0), {
          expectedRevision: revision < 0 ? 'no_stream' : revision,
          metadata,
        })
      ).nextExpectedRevision;
      return 1;
    }),
    'expected revision checked on every append',
  );
  record(
    'append 1 stream, batch 100, sequential',
    await bounded(1, 2_000, async () => {
      revision = (await store.append('bench-single', batch(100, 0), { expectedRevision: revision, metadata }))
        .nextExpectedRevision;
      return 100;
    }),
  );
  /** Each worker cycles through ~1,000/workers streams of its own (new ones per case), checking revisions. */
  let cases = 0;
  const appendToOwnStreams = (workers: number, size: number, target = store) => {
    const tag = cases++;
    const revisions = new Map<string, number>();
    return async (worker: number, i: number) => {
      const stream = `bench-many-${tag}-${worker}-${i % Math.floor(1000 / workers)}`;
      const result = await target.append(stream, batch(size, i), {
        expectedRevision: revisions.get(stream) ?? 'no_stream',
        metadata,
      });
      revisions.set(stream, result.nextExpectedRevision);
      return size;
    };
  };
  record(
    'append 1,000 streams, batch 1, 32 concurrent',
    await bounded(32, 200_000, appendToOwnStreams(32, 1)),
    'each worker owns its streams; expected revision checked',
  );
  record(
    'append 1,000 streams, batch 1, 32 concurrent, no group commit',
    await bounded(32, 100_000, appendToOwnStreams(32, 1, ungrouped)),
    'groupCommit: false, one transaction per append',
  );
  record(
    'append 1,000 streams, batch 1, 64 concurrent',
    await bounded(64, 200_000, appendToOwnStreams(64, 1)),
  );
  record(
    'append 1,000 streams, batch 100, 8 concurrent',
    await bounded(8, 5_000, appendToOwnStreams(8, 100)),
  );
};

/** Fills the store up to `total` events with batches of 1,000 across 1,000 streams. */
const fill = async (store: PostgresEventStore, total: number) => {
  const existing = await store.connectionPool.query<{ count: string }>(
    `select count(*) from ${store.schema}.events`,
  );
  let missing = total - Number(existing.rows[0]!.count);
  let n = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (missing > 0) {
        const size = Math.min(1000, missing);
        missing -= size;
        const stream = `bench-fill-${n++ % 1000}`;
        await store.append(
          stream,
          Array.from({ length: size }, (_, i) => ({ type: 'bench.user.provisioned', data: payload(i) })),
          { expectedRevision: 'any', metadata },
        );
      }
    }),
  );
  return now() - started;
};

const catchUpRead = async (store: PostgresEventStore, pageSize: number) => {
  let after: GlobalPosition | null = null;
  let events = 0;
  const started = now();
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) break;
    events += page.length;
    after = page[page.length - 1]!.position;
  }
  return { events, seconds: now() - started };
};

/**
 * Rebuilds a read model (one row per stream: count, last revision, last type, last user) from $all:
 * read a page, fold it in memory, write the page's changes in one statement and the checkpoint with
 * them in one transaction. Reports where the time went.
 */
const rebuild = async (store: PostgresEventStore, pool: Pool, pageSize: number) => {
  const table = `${store.schema}.stream_summary`;
  await pool.query(`drop table if exists ${table}`);
  await pool.query(`create table ${table} (stream_id text primary key, event_count bigint not null,
    last_revision bigint not null, last_type text not null, last_user text)`);
  let after: GlobalPosition | null = null;
  let events = 0;
  let reading = 0;
  let folding = 0;
  let writing = 0;
  const started = now();
  for (;;) {
    let t = now();
    const page: RecordedEvent[] = await store.readAll({ after, maxCount: pageSize });
    reading += now() - t;
    if (page.length === 0) break;
    t = now();
    const changes = new Map<string, { count: number; revision: number; type: string; user: string | null }>();
    for (const event of page) {
      const previous = changes.get(event.stream);
      changes.set(event.stream, {
        count: (previous?.count ?? 0) + 1,
        revision: event.streamRevision,
        type: event.type,
        user: (event.data as { userId?: string }).userId ?? null,
      });
    }
    folding += now() - t;
    t = now();
    const streams = [...changes.keys()];
    const values = [...changes.values()];
    await pool.query(
      `insert into ${table} (stream_id, event_count, last_revision, last_type, last_user)
       select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])
       on conflict (stream_id) do update set event_count = ${table}.event_count + excluded.event_count,
         last_revision = excluded.last_revision, last_type = excluded.last_type, last_user = excluded.last_user`,
      [
        streams,
        values.map((v) => v.count),
        values.map((v) => v.revision),
        values.map((v) => v.type),
        values.map((v) => v.user),
      ],
    );
    writing += now() - t;
    events += page.length;
    after = page[page.length - 1]!.position;
  }
  const seconds = now() - started;
  const check = await pool.query<{ total: string }>(`select sum(event_count) as total from ${table}`);
  return { events, seconds, reading, folding, writing, rowsInReadModel: Number(check.rows[0]!.total) };
};

const runBackend = async (
  backend: string,
  connectionString: string,
  rows: Row[],
  details: Record<string, unknown>,
) => {
  const schema = `bench_${Date.now()}`;
  const store = await PostgresEventStore.create({ connectionString, schema, poolSize: 40 });
  const ungrouped = await PostgresEventStore.create({
    connectionString,
    schema,
    poolSize: 40,
    groupCommit: false,
  });
  const pool = new Pool({ connectionString, max: 2 });
  try {
    await appendCases(backend, store, ungrouped, rows);
    const fillSeconds = await fill(store, REBUILD_EVENTS);
    console.log(`${backend.padEnd(10)} (filled to ${REBUILD_EVENTS} events in ${fillSeconds.toFixed(1)} s)`);
    const read = await catchUpRead(store, 5_000);
    rows.push({
      backend,
      case: 'catch-up read of $all, pages of 5,000',
      ...read,
      eventsPerSecond: Math.round(read.events / read.seconds),
    });
    console.log(
      `${backend.padEnd(10)} ${'catch-up read of $all'.padEnd(58)} ${String(Math.round(read.events / read.seconds)).padStart(9)} events/s`,
    );
    const rebuilt = await rebuild(store, pool, 10_000);
    if (rebuilt.rowsInReadModel !== rebuilt.events) throw new Error('The rebuilt read model lost events');
    rows.push({
      backend,
      case: `read-model rebuild from ${rebuilt.events} events`,
      events: rebuilt.events,
      seconds: rebuilt.seconds,
      eventsPerSecond: Math.round(rebuilt.events / rebuilt.seconds),
      notes: `read ${rebuilt.reading.toFixed(1)} s, fold ${rebuilt.folding.toFixed(1)} s, write ${rebuilt.writing.toFixed(1)} s`,
    });
    details[backend] = { fillSeconds, rebuild: rebuilt };
    console.log(
      `${backend.padEnd(10)} ${`read-model rebuild (${rebuilt.events})`.padEnd(58)} ${String(Math.round(rebuilt.events / rebuilt.seconds)).padStart(9)} events/s  (read ${rebuilt.reading.toFixed(1)} s, fold ${rebuilt.folding.toFixed(1)} s, write ${rebuilt.writing.toFixed(1)} s)`,
    );
  } finally {
    await pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await pool.end();
    await Promise.all([store.close(), ungrouped.close()]);
  }
};

const main = async () => {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  if (BACKENDS.includes('pglite')) {
    const embedded = await EmbeddedPostgres.start();
    try {
      await runBackend('pglite', embedded.connectionString, rows, details);
    } finally {
      await embedded.stop();
    }
  }
  const databaseUrl = process.env['DATABASE_URL'];
  if (!BACKENDS.includes('postgres')) console.log('postgres   skipped: not in BENCH_BACKENDS');
  else if (databaseUrl) await runBackend('postgres', databaseUrl, rows, details);
  else console.log('postgres   skipped: set DATABASE_URL (deploy/local/postgres-start.sh starts one)');

  console.log(
    '\n| backend | case | events | seconds | events/s | append p50 / p99 ms | notes |\n|---|---|---:|---:|---:|---:|---|',
  );
  for (const row of rows) {
    const latency = row.p50Ms === undefined ? '' : `${row.p50Ms} / ${row.p99Ms}`;
    console.log(
      `| ${row.backend} | ${row.case} | ${row.events} | ${row.seconds.toFixed(2)} | ${row.eventsPerSecond} | ${latency} | ${row.notes ?? ''} |`,
    );
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'eventstore.json'),
    `${JSON.stringify(
      {
        benchmark: 'eventstore',
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
        settings: { rebuildEvents: REBUILD_EVENTS, secondsPerAppendCase: SECONDS },
        results: rows,
        details,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwritten to bench/results/eventstore.json`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
