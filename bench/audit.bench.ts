/**
 * Audit-log benchmark: what the tamper-evident log costs, from the append to the offline verification.
 *
 * 1. Append throughput with proofs: `appendToLog` (head locked, a sequence and a leaf hash per record,
 *    the frontier moved on, in one transaction) with batches of 1, 100 and 1,000 records, on embedded
 *    PGlite and, when DATABASE_URL is set, on a fresh database of that PostgreSQL server; the audit
 *    migrations run through a TypeORM DataSource as the infrastructure runs them. For comparison, the
 *    same rows written with one `insert … unnest` per batch (not the platform's path).
 * 2. Applications' actions through `POST /api/v1/audit/events` (BENCH_INGEST_EVENTS, default 3000, with
 *    BENCH_CONCURRENCY clients) on a standalone Mandate; and derived records end to end: a standalone Mandate in this process (embedded PGlite, fresh data dir);
 *    users provisioned over SCIM, one by one and BENCH_CONCURRENCY at a time, while the log is polled
 *    every BENCH_POLL_MS for their `user.provisioned` records: records/s, and the lag from the SCIM
 *    response to the record being queryable.
 * 3. Checkpoints of a log of BENCH_LOG_RECORDS records: `AuditLogService.checkpoint` and the POST endpoint.
 * 4. Inclusion proofs: over HTTP on that log (each proof verified against the signed checkpoint), where
 *    their time goes, and from `InMemoryTreeNodes` of the same leaves and of BENCH_EXPORT_RECORDS leaves.
 * 5. Offline verification: an export of BENCH_EXPORT_RECORDS realistic records (every derived event type
 *    of directory, authn and authz in turn) with signed checkpoints and leaf hashes, verified by
 *    `verifyExportFile` (the export in one string, up to BENCH_EXPORT_PREFIX records), by
 *    `verifyExportStream` over the file's bytes, by `verifyExportLinesAsync` over `readline`'s lines, and
 *    by `mandate audit verify` (whole process, with its peak RSS).
 *
 * BENCH_PARTS picks what runs (default `append,log,verify`): `append` is part 1, `log` parts 2–4 (one
 * standalone Mandate), `verify` part 5 — `BENCH_PARTS=verify npm run bench:audit` verifies the export
 * alone. A partial run writes bench/results/audit-<parts>.json and leaves audit.json alone.
 *
 * Every loop is bounded in count and time: BENCH_SECONDS (per append case, default 8), BENCH_USERS
 * (default 1000) and BENCH_SEQUENTIAL_USERS (default 200) within BENCH_SCIM_SECONDS (default 120 per
 * phase), BENCH_LOG_RECORDS (default 100000), BENCH_PROOF_REQUESTS (default 30, within 60 s),
 * BENCH_EXPORT_RECORDS (default 1000000), BENCH_BACKENDS (default `pglite,postgres`).
 * Prints a table and writes bench/results/audit.json.
 */
import {
  type AuditRecord,
  auditRecordFor,
  canonicalBytes,
  inclusionProof,
  InMemoryTreeNodes,
  leafHash,
  MerkleTree,
  rootHash,
  signCheckpoint,
  toJsonLine,
  verifyInclusion,
} from '@mandate/audit-domain';
import { EmbeddedPostgres } from '@mandate/eventstore';
import { runStandalone } from '@mandate/runtime';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { loadAverage, percentile, round, writeResults } from './bench-kit';
import { allContexts } from '../apps/standalone/src/contexts';
import { oneEventOfEachType, orgId as templateOrgId } from '../libs/audit/domain/src/testing/identity-events';
import {
  parseVerifierKey,
  verifyExportFile,
  verifyExportLinesAsync,
  verifyExportStream,
} from '../libs/audit/infrastructure/src/cli/verify-export-file';
import { AuditLogService } from '../libs/audit/infrastructure/src/log/audit-log.service';
import { type CheckpointKey } from '../libs/audit/infrastructure/src/log/checkpoint-keys';
import { exportHeader, verifierKey } from '../libs/audit/infrastructure/src/log/export-format';
import { appendToLog } from '../libs/audit/infrastructure/src/persistence/audit-log.store';
import { auditMigrations } from '../libs/audit/infrastructure/src/persistence/audit.migrations';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const ALL_PARTS = ['append', 'log', 'verify'];
const PARTS = (process.env['BENCH_PARTS'] ?? ALL_PARTS.join(',')).split(',').filter(Boolean);
const BACKENDS = (process.env['BENCH_BACKENDS'] ?? 'pglite,postgres').split(',');
const USERS = Number(process.env['BENCH_USERS'] ?? 1_000);
const SEQUENTIAL_USERS = Number(process.env['BENCH_SEQUENTIAL_USERS'] ?? 200);
const SCIM_SECONDS = Number(process.env['BENCH_SCIM_SECONDS'] ?? 120);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const POLL_MS = Number(process.env['BENCH_POLL_MS'] ?? 2);
const LOG_RECORDS = Number(process.env['BENCH_LOG_RECORDS'] ?? 100_000);
const PROOF_REQUESTS = Number(process.env['BENCH_PROOF_REQUESTS'] ?? 30);
const INGEST_EVENTS = Number(process.env['BENCH_INGEST_EVENTS'] ?? 3000);
const PROOF_SECONDS = 60;
const EXPORT_RECORDS = Number(process.env['BENCH_EXPORT_RECORDS'] ?? 1_000_000);
/** Checkpoints in the synthesized export: one every this many records, and one at the end. */
const EXPORT_CHECKPOINT_EVERY = 100_000;
/** The largest export `verifyExportFile` is timed on directly (its text must fit in one string). */
const EXPORT_PREFIX = Math.min(EXPORT_RECORDS, Number(process.env['BENCH_EXPORT_PREFIX'] ?? 400_000));
const CHECKPOINT_ROUNDS = 50;
const RECORD_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 300_000;

const TARGETS = {
  append: { text: '≥ 10,000 records/s', met: (row: Row) => (row.perSecond ?? 0) >= 10_000 },
  proof: { text: '< 1 ms', met: (row: Row) => (row.p99Ms ?? Infinity) < 1 },
  verify: { text: '< 10 s', met: (row: Row) => row.seconds < 10 },
};

interface Row {
  part: 'append' | 'ingest' | 'derived' | 'checkpoint' | 'inclusion' | 'verify';
  backend: string;
  case: string;
  count: number;
  seconds: number;
  /** Records (appends, derived records, verification) or operations (checkpoints, proofs) per second. */
  perSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  target?: string;
  targetMet?: boolean;
  notes?: string;
}

const root = join(__dirname, '..', '..');
const run = randomBytes(4).toString('hex');
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const notes: string[] = [];

const now = () => performance.now();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const record = (row: Row, target?: (typeof TARGETS)[keyof typeof TARGETS]) => {
  if (target) {
    row.target = target.text;
    row.targetMet = target.met(row);
  }
  rows.push(row);
  const rate = row.perSecond === undefined ? '' : `${String(row.perSecond).padStart(9)}/s`;
  const latency = row.p50Ms === undefined ? '' : `  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms`;
  console.log(
    `${row.backend.padEnd(10)} ${row.case.padEnd(70)} ${rate}${latency}  (${row.count} in ${row.seconds.toFixed(2)} s)` +
      `${row.target ? `  [target ${row.target}: ${row.targetMet ? 'met' : 'MISSED'}]` : ''}`,
  );
};

/** Latencies (ms) of `times` calls of `step`, at most `seconds`. */
const timed = async (times: number, seconds: number, step: (i: number) => Promise<unknown>) => {
  const latencies: number[] = [];
  const started = now();
  const deadline = started + seconds * 1000;
  for (let i = 0; i < times && now() < deadline; i++) {
    const t = now();
    await step(i);
    latencies.push(now() - t);
  }
  const elapsed = (now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    seconds: elapsed,
    p50Ms: round(percentile(latencies, 0.5), 3),
    p99Ms: round(percentile(latencies, 0.99), 3),
    maxMs: round(latencies.at(-1) ?? Number.NaN, 3),
  };
};

// ---- realistic records ----

/** One derived record of every identity event type, as `auditRecordFor` makes them, for one organization. */
const templatesFor = (orgId: string): AuditRecord[] =>
  oneEventOfEachType()
    .map((event) => auditRecordFor(event))
    .filter((made): made is AuditRecord => made !== null)
    .map((made) => JSON.parse(JSON.stringify(made).replaceAll(templateOrgId, orgId)) as AuditRecord);

const T0 = Date.parse('2026-03-02T09:00:00.000Z');

/** The `i`-th record of a synthetic log: every event type in turn, each with its own id and time. */
const syntheticRecord = (templates: readonly AuditRecord[], tag: string, i: number): AuditRecord => ({
  ...templates[i % templates.length]!,
  id: `01963c5e-${tag}-7000-8000-${String(i).padStart(12, '0')}`,
  occurredAt: new Date(T0 + i * 37).toISOString(),
});

// ---- 1. append throughput ----

const openAuditDatabase = async (url: string) => {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: auditMigrations,
    migrationsTableName: 'migrations',
    extra: { max: 8 },
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
};

/** The platform's append with its INSERT per record replaced by one `insert … unnest` per batch (comparison only). */
const appendWithOneInsert = async (
  manager: EntityManager,
  orgId: string,
  records: readonly AuditRecord[],
  at: Date,
) => {
  await manager.query(
    `insert into audit.logs (org_id, size, frontier, updated_at) values ($1, 0, '[]', $2) on conflict do nothing`,
    [orgId, at],
  );
  const [head] = await manager.query<{ size: string; frontier: string[] }[]>(
    'select size, frontier from audit.logs where org_id = $1 for update',
    [orgId],
  );
  const tree = MerkleTree.fromFrontier(
    Number(head!.size),
    head!.frontier.map((hash) => Buffer.from(hash, 'base64')),
  );
  const logged = records.map((candidate) => {
    const made = { ...candidate, sequence: tree.size };
    const hash = leafHash(canonicalBytes(made));
    tree.append(hash);
    return { made, hash };
  });
  const column = <T>(pick: (entry: (typeof logged)[number]) => T) => logged.map(pick);
  await manager.query(
    `insert into audit.records (org_id, sequence, record_id, source_event_id, occurred_at, recorded_at, actor_id,
       on_behalf_of, action, outcome, record, leaf_hash)
     select $1, s, id, src, occ, $2, actor, behalf, act, outc, rec, hash
       from unnest($3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::jsonb[], $12::bytea[]) as t(s, id, src, occ, actor, behalf, act, outc, rec, hash)`,
    [
      orgId,
      at,
      column((e) => e.made.sequence),
      column((e) => e.made.id),
      column((e) => e.made.id),
      column((e) => e.made.occurredAt),
      column((e) => e.made.actor.id),
      column((e) => e.made.actor.onBehalfOf ?? null),
      column((e) => e.made.action),
      column((e) => e.made.outcome),
      column((e) => JSON.stringify(e.made)),
      column((e) => Buffer.from(e.hash)),
    ],
  );
  await manager.query('update audit.logs set size = $2, frontier = $3, updated_at = $4 where org_id = $1', [
    orgId,
    tree.size,
    JSON.stringify(tree.frontier.map(b64)),
    at,
  ]);
};

/** The log's stored leaves hash to the root of its stored frontier, and a stored record to its leaf. */
const checkLog = async (dataSource: DataSource, orgId: string) => {
  const [head] = await dataSource.query<{ size: string; frontier: string[] }[]>(
    'select size, frontier from audit.logs where org_id = $1',
    [orgId],
  );
  const leaves = (
    await dataSource.query<{ leaf_hash: Buffer }[]>(
      'select leaf_hash from audit.records where org_id = $1 order by sequence',
      [orgId],
    )
  ).map((row) => row.leaf_hash);
  const frontierRoot = MerkleTree.fromFrontier(
    Number(head!.size),
    head!.frontier.map((hash) => Buffer.from(hash, 'base64')),
  ).root();
  if (leaves.length !== Number(head!.size) || b64(rootHash(leaves)) !== b64(frontierRoot))
    throw new Error(
      `the log of ${orgId} does not hash to its head (${leaves.length} leaves, size ${head!.size})`,
    );
  const [sample] = await dataSource.query<{ record: AuditRecord; leaf_hash: Buffer }[]>(
    'select record, leaf_hash from audit.records where org_id = $1 and sequence = $2',
    [orgId, Math.floor(leaves.length / 2)],
  );
  if (b64(leafHash(canonicalBytes(sample!.record))) !== b64(sample!.leaf_hash))
    throw new Error(`a stored record of ${orgId} does not hash to its leaf`);
  return leaves.length;
};

const appendCases = async (backend: string, url: string) => {
  const dataSource = await openAuditDatabase(url);
  try {
    const cases: { name: string; batch: number; workers: number; maxBatches: number; oneInsert?: boolean }[] =
      [
        { name: 'appendToLog, batch 1, sequential', batch: 1, workers: 1, maxBatches: 50_000 },
        { name: 'appendToLog, batch 100, sequential', batch: 100, workers: 1, maxBatches: 5_000 },
        { name: 'appendToLog, batch 1,000, sequential', batch: 1_000, workers: 1, maxBatches: 500 },
        {
          name: 'appendToLog, batch 100, 4 organizations at once',
          batch: 100,
          workers: 4,
          maxBatches: 5_000,
        },
        {
          name: 'comparison: one insert … unnest per batch of 1,000 (not the platform path)',
          batch: 1_000,
          workers: 1,
          maxBatches: 500,
          oneInsert: true,
        },
      ];
    const orgs: string[] = [];
    for (const [c, spec] of cases.entries()) {
      const workerOrgs = Array.from({ length: spec.workers }, (_, w) => `org_bench${run}c${c}w${w}`);
      orgs.push(...workerOrgs);
      const templates = workerOrgs.map(templatesFor);
      const deadline = now() + SECONDS * 1000;
      let batches = 0;
      let appended = 0;
      const latencies: number[] = [];
      const started = now();
      await Promise.all(
        workerOrgs.map(async (orgId, w) => {
          for (let i = 0; batches < spec.maxBatches && now() < deadline; i++) {
            batches++;
            const batch = Array.from({ length: spec.batch }, (_, k) =>
              syntheticRecord(templates[w]!, `${c}${w}`.padStart(4, '0'), i * spec.batch + k),
            );
            const t = now();
            await dataSource.transaction(async (manager) => {
              if (spec.oneInsert) await appendWithOneInsert(manager, orgId, batch, new Date());
              else
                await appendToLog(
                  manager,
                  orgId,
                  batch,
                  new Date(),
                  batch.map((made) => made.id),
                );
            });
            latencies.push(now() - t);
            appended += spec.batch;
          }
        }),
      );
      const seconds = (now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      record(
        {
          part: 'append',
          backend,
          case: spec.name,
          count: appended,
          seconds: round(seconds, 3),
          perSecond: Math.round(appended / seconds),
          p50Ms: round(percentile(latencies, 0.5), 2),
          p99Ms: round(percentile(latencies, 0.99), 2),
          notes: `records/s; latency per transaction; ${spec.oneInsert ? '4 statements per batch' : `${spec.batch} INSERTs + 4 statements per transaction`}; load ${loadAverage()}`,
        },
        spec.oneInsert ? undefined : TARGETS.append,
      );
    }
    let checked = 0;
    for (const orgId of orgs) checked += await checkLog(dataSource, orgId);
    console.log(`${backend.padEnd(10)} (checked: ${checked} stored leaves hash to their logs' heads)`);
  } finally {
    await dataSource.destroy();
  }
};

// ---- HTTP ----

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  readonly status: number;
  readonly text: string;
}

const send = (base: URL, method: string, path: string, authorization: string, body?: unknown, scim = false) =>
  new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        headers: {
          authorization,
          accept: 'application/json',
          ...(payload !== undefined && {
            'content-type': scim ? 'application/scim+json' : 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

const expect = (answer: Answer, what: string, ...statuses: number[]): Record<string, unknown> => {
  if (!statuses.includes(answer.status))
    throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 1000)}`);
  return answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
};

// ---- 2. derived records end to end ----

/** Polls the log for `user.provisioned` records, noting when each user's first became queryable. */
const watchProvisioned = (dataSource: DataSource, orgId: string) => {
  const seen = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  let after = -1;
  let stopped = false;
  let polls = 0;
  const loop = (async () => {
    while (!stopped) {
      const found = await dataSource.query<{ sequence: string; user_id: string }[]>(
        `select sequence, record->'targets'->0->>'id' as user_id from audit.records
          where org_id = $1 and sequence > $2 and action = 'user.provisioned' order by sequence limit 10000`,
        [orgId, after],
      );
      polls++;
      const t = now();
      for (const row of found) {
        after = Number(row.sequence);
        if (!seen.has(row.user_id)) seen.set(row.user_id, t);
        waiting.get(row.user_id)?.();
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    seen,
    get polls() {
      return polls;
    },
    /** Resolves once the user's record was seen, or after RECORD_TIMEOUT_MS. */
    until: (userId: string) =>
      seen.has(userId)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, RECORD_TIMEOUT_MS);
            waiting.set(userId, () => {
              clearTimeout(timer);
              waiting.delete(userId);
              resolve();
            });
          }),
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
};

const derivedRecords = async (base: URL, admin: string, dataSource: DataSource) => {
  const org = expect(
    await send(base, 'POST', '/api/v1/organizations', admin, { name: `Audit ${run}` }),
    'POST /organizations',
    201,
  );
  const orgId = org['id'] as string;
  const directory = expect(
    await send(base, 'POST', `/api/v1/organizations/${orgId}/directories`, admin, {
      name: 'Okta',
      provider: 'okta',
    }),
    'POST /directories',
    201,
  );
  const endpoint = new URL(directory['endpoint'] as string);
  const scimPath = `${endpoint.pathname.replace(/\/+$/, '')}/Users`;
  const scimAuth = `Bearer ${directory['token'] as string}`;
  const provision = async (i: number) => {
    const user = expect(
      await send(
        base,
        'POST',
        scimPath,
        scimAuth,
        {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `user-${i}@audit.example`,
          externalId: `00u${run}${String(i).padStart(7, '0')}`,
          name: { givenName: 'Audit', familyName: String(i) },
          emails: [{ value: `user-${i}@audit.example`, type: 'work', primary: true }],
          active: true,
        },
        true,
      ),
      'SCIM POST /Users',
      201,
    );
    return { userId: user['id'] as string, respondedAt: now() };
  };

  const watch = watchProvisioned(dataSource, orgId);
  try {
    let nextUser = 0;
    const phase = async (name: string, users: number, workers: number) => {
      const first = nextUser;
      nextUser += users;
      const answered: { userId: string; respondedAt: number }[] = [];
      const deadline = now() + SCIM_SECONDS * 1000;
      let started = 0;
      const begin = now();
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (started < users && now() < deadline) {
            const answer = await provision(first + started++);
            answered.push(answer);
            if (workers === 1) await watch.until(answer.userId);
          }
        }),
      );
      await Promise.all(answered.map((answer) => watch.until(answer.userId)));
      const lags = answered
        .map(({ userId, respondedAt }) => {
          const seenAt = watch.seen.get(userId);
          return seenAt === undefined ? Number.NaN : seenAt - respondedAt;
        })
        .filter((lag) => !Number.isNaN(lag))
        .sort((a, b) => a - b);
      const lastSeen = Math.max(...answered.map(({ userId }) => watch.seen.get(userId) ?? 0));
      const seconds = (lastSeen - begin) / 1000;
      const missing = answered.length - lags.length;
      record({
        part: 'derived',
        backend: 'standalone',
        case: name,
        count: lags.length,
        seconds: round(seconds, 3),
        perSecond: Math.round(lags.length / seconds),
        p50Ms: round(percentile(lags, 0.5), 1),
        p99Ms: round(percentile(lags, 0.99), 1),
        maxMs: round(lags.at(-1) ?? Number.NaN, 1),
        notes:
          `records/s from the first SCIM request to the last record queryable; lag from each SCIM 201 to its ` +
          `user.provisioned record in a poll (every ${POLL_MS} ms + the query; below 0: queryable before the 201 reached the client)` +
          `${missing ? `; ${missing} records NOT seen within ${RECORD_TIMEOUT_MS} ms` : ''}; load ${loadAverage()}`,
      });
    };
    await phase(`SCIM provisioning, one at a time, ${SEQUENTIAL_USERS} users`, SEQUENTIAL_USERS, 1);
    await phase(`SCIM provisioning, ${CONCURRENCY} clients, ${USERS} users`, USERS, CONCURRENCY);
    details['derivedPolls'] = watch.polls;
  } finally {
    await watch.stop();
  }
  return orgId;
};

// ---- 2b. applications' own actions through the ingest API ----

/**
 * `POST /api/v1/audit/events` as an application calls it: a service client's access token for the audit
 * audience, an Idempotency-Key per action, CONCURRENCY clients, INGEST_EVENTS actions within SCIM_SECONDS.
 */
const ingestThroughput = async (base: URL, admin: string) => {
  const org = expect(
    await send(base, 'POST', '/api/v1/organizations', admin, { name: `Ingest ${run}` }),
    'POST /organizations',
    201,
  );
  const orgId = org['id'] as string;
  const audience = `${base.origin}/api/v1/audit`;
  const client = expect(
    await send(base, 'POST', `/api/v1/organizations/${orgId}/clients`, admin, {
      name: 'Billing',
      kind: 'service',
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      audiences: [audience],
    }),
    'POST /clients',
    201,
  );
  const basic = Buffer.from(`${client['clientId'] as string}:${client['clientSecret'] as string}`).toString(
    'base64',
  );
  const tokenAnswer = await fetch(`${base.origin}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience }).toString(),
  });
  const token = ((await tokenAnswer.json()) as Record<string, unknown>)['access_token'];
  if (typeof token !== 'string')
    throw new Error(`no access token for the audit audience (${tokenAnswer.status})`);
  const ingest = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const payload = JSON.stringify({
        action: 'invoice.approved',
        targets: [{ type: 'invoice', id: `inv-${i}` }],
        outcome: 'success',
        metadata: { amount: i },
      });
      const request = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          method: 'POST',
          path: '/api/v1/audit/events',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            'idempotency-key': `bench-${run}-${i}`,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  const latencies: number[] = [];
  const deadline = now() + SCIM_SECONDS * 1000;
  let started = 0;
  let refused = 0;
  const begin = now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started < INGEST_EVENTS && now() < deadline) {
        const i = started++;
        const t = now();
        const status = await ingest(i);
        latencies.push(now() - t);
        if (status !== 201) refused++;
      }
    }),
  );
  const seconds = (now() - begin) / 1000;
  latencies.sort((a, b) => a - b);
  if (refused > 0) throw new Error(`${refused} ingested actions were not answered 201`);
  record({
    part: 'ingest',
    backend: 'standalone',
    case: `POST /api/v1/audit/events, ${CONCURRENCY} clients, ${latencies.length} actions`,
    count: latencies.length,
    seconds: round(seconds, 2),
    perSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 0.5), 1),
    p99Ms: round(percentile(latencies, 0.99), 1),
    notes: `token verified, actor from the token, Idempotency-Key stored, record appended with its leaf hash before the 201; load ${loadAverage()}`,
  });
};

// ---- 3 and 4. checkpoints and inclusion proofs on a large log ----

const largeLog = async (base: URL, admin: string, dataSource: DataSource, log: AuditLogService) => {
  const org = expect(
    await send(base, 'POST', '/api/v1/organizations', admin, { name: `Audit ${run} large log` }),
    'POST /organizations',
    201,
  );
  const orgId = org['id'] as string;
  const size = async () =>
    Number(
      (
        await dataSource.query<{ size: string }[]>('select size from audit.logs where org_id = $1', [orgId])
      )[0]?.size ?? 0,
    );
  // The organization's own records (organization.created …) arrive first; then the log is filled exactly.
  for (let settled = 0, last = -1, t = now(); settled < 5 && now() - t < 10_000; await sleep(100)) {
    const current = await size();
    settled = current === last && current > 0 ? settled + 1 : 0;
    last = current;
  }
  const templates = templatesFor(orgId);
  const fillStarted = now();
  let filled = 0;
  for (let existing = await size(); existing < LOG_RECORDS && now() - fillStarted < 600_000;) {
    const batch = Array.from({ length: Math.min(1_000, LOG_RECORDS - existing) }, (_, k) =>
      syntheticRecord(templates, 'f111', existing + k),
    );
    await log.append(orgId, batch);
    existing += batch.length;
    filled += batch.length;
  }
  const fillSeconds = (now() - fillStarted) / 1000;
  record({
    part: 'append',
    backend: 'standalone',
    case: 'AuditLogService.append, batch 1,000 (filling the large log)',
    count: filled,
    seconds: round(fillSeconds, 2),
    perSecond: Math.round(filled / fillSeconds),
    notes: `records/s; the standalone's PGlite, server idle otherwise; load ${loadAverage()}`,
  });

  const inProcess = await timed(CHECKPOINT_ROUNDS, 20, () => log.checkpoint(orgId));
  const checkpoint = (await log.checkpoint(orgId))!;
  const treeSize = checkpoint.treeSize;
  record({
    part: 'checkpoint',
    backend: 'standalone',
    case: `AuditLogService.checkpoint, log of ${treeSize} records`,
    ...inProcess,
    perSecond: Math.round(inProcess.count / inProcess.seconds),
    notes: `in process; the first signs and stores, later ones find the size signed (on conflict do nothing); load ${loadAverage()}`,
  });
  const overHttp = await timed(CHECKPOINT_ROUNDS, 20, async () =>
    expect(
      await send(base, 'POST', `/api/v1/organizations/${orgId}/audit/checkpoints`, admin),
      'POST /audit/checkpoints',
      200,
    ),
  );
  record({
    part: 'checkpoint',
    backend: 'standalone',
    case: `POST …/audit/checkpoints, log of ${treeSize} records`,
    ...overHttp,
    perSecond: Math.round(overHttp.count / overHttp.seconds),
    notes: `over HTTP (server in this process); reads the head (size + frontier), O(log n); load ${loadAverage()}`,
  });

  // Inclusion over HTTP: every proof checked against the signed root, from the record it returns.
  const signedRoot = Buffer.from(checkpoint.rootHash, 'base64');
  const sequences = Array.from({ length: PROOF_REQUESTS }, (_, i) =>
    Math.floor((((i * 7919 + 13) % 1009) / 1009) * treeSize),
  );
  let verified = 0;
  const proofs = await timed(PROOF_REQUESTS, PROOF_SECONDS, async (i) => {
    const sequence = sequences[i]!;
    const body = expect(
      await send(
        base,
        'GET',
        `/api/v1/organizations/${orgId}/audit/proofs/inclusion?sequence=${sequence}&treeSize=${treeSize}`,
        admin,
      ),
      'GET /audit/proofs/inclusion',
      200,
    ) as { leafHash: string; proof: string[]; record: AuditRecord };
    const leaf = leafHash(canonicalBytes(body.record));
    const proof = body.proof.map((hash) => Buffer.from(hash, 'base64'));
    if (b64(leaf) !== body.leafHash || !verifyInclusion(leaf, sequence, treeSize, proof, signedRoot))
      throw new Error(`the inclusion proof of ${sequence} in ${treeSize} does not verify`);
    verified++;
  });
  record(
    {
      part: 'inclusion',
      backend: 'standalone',
      case: `GET …/audit/proofs/inclusion, log of ${treeSize} records`,
      ...proofs,
      perSecond: round(proofs.count / proofs.seconds, 1),
      notes: `over HTTP, sequential; ${verified} proofs verified against the signed checkpoint; the service reads all ${treeSize} leaf hashes and rehashes them per proof (O(n)); load ${loadAverage()}`,
    },
    TARGETS.proof,
  );
  const service = await timed(10, 30, (i) =>
    log.inclusion(orgId, sequences[i % sequences.length]!, treeSize),
  );
  record({
    part: 'inclusion',
    backend: 'standalone',
    case: `AuditLogService.inclusion, log of ${treeSize} records`,
    ...service,
    perSecond: round(service.count / service.seconds, 1),
    notes: 'in process, no HTTP',
  });
  // Where a proof's time goes: reading the leaves, and rehashing them.
  let leaves: Buffer[] = [];
  const reading = await timed(5, 30, async () => {
    leaves = (
      await dataSource.query<{ leaf_hash: Buffer }[]>(
        'select leaf_hash from audit.records where org_id = $1 and sequence < $2 order by sequence',
        [orgId, treeSize],
      )
    ).map((row) => row.leaf_hash);
  });
  const rehashing = await timed(5, 30, (i) =>
    Promise.resolve(inclusionProof(sequences[i % sequences.length]!, treeSize, leaves)),
  );
  record({
    part: 'inclusion',
    backend: 'standalone',
    case: `  of which: reading ${treeSize} leaf hashes (the service's query)`,
    ...reading,
    notes: 'PGlite, one query, ~32 bytes + row overhead per leaf',
  });
  record({
    part: 'inclusion',
    backend: 'standalone',
    case: `  of which: inclusionProof over the ${treeSize} leaf hashes (rehashing)`,
    ...rehashing,
    notes: '≈ n node hashes: every sibling subtree is recomputed from its leaves',
  });
  return { orgId, leaves, treeSize };
};

/** Proofs from `InMemoryTreeNodes` (what a store of the interior nodes would answer): µs each. */
const inMemoryProofs = (leaves: readonly Uint8Array[], label: string) => {
  const built = now();
  const nodes = new InMemoryTreeNodes();
  for (const leaf of leaves) nodes.append(leaf);
  const buildSeconds = (now() - built) / 1000;
  const size = nodes.size;
  const root = rootHash(leaves);
  const count = 100_000;
  const indexes = Array.from({ length: count }, (_, i) => (i * 104_729) % size);
  const made: Uint8Array[][] = [];
  let t = now();
  for (let i = 0; i < count && now() - t < 5_000; i++)
    made.push(inclusionProof(indexes[i]!, size, nodes.subtreeHash));
  const proveSeconds = (now() - t) / 1000;
  t = now();
  let ok = 0;
  for (let i = 0; i < made.length && now() - t < 5_000; i++)
    if (verifyInclusion(leaves[indexes[i]!]!, indexes[i]!, size, made[i]!, root)) ok++;
  const verifySeconds = (now() - t) / 1000;
  if (ok !== made.length) throw new Error(`${made.length - ok} in-memory proofs did not verify`);
  for (const [what, n, seconds] of [
    ['inclusionProof from InMemoryTreeNodes', made.length, proveSeconds],
    ['verifyInclusion', ok, verifySeconds],
  ] as const) {
    const us = round((seconds * 1e6) / n, 2);
    record(
      {
        part: 'inclusion',
        backend: 'in-memory',
        case: `${what}, tree of ${size} leaves (${label})`,
        count: n,
        seconds: round(seconds, 3),
        perSecond: Math.round(n / seconds),
        p50Ms: round(us / 1000, 5),
        p99Ms: round(us / 1000, 5),
        notes: `${us} µs each (mean; p50/p99 columns: the mean); one core; nodes built in ${round(buildSeconds, 2)} s`,
      },
      TARGETS.proof,
    );
  }
};

const standalone = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-audit-bench-'));
  const adminKey = `mandate_admin_bench_${Date.now()}_0123456789abcdefghijklmnop`;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  const booting = now();
  const started = await runStandalone(allContexts, {
    PORT: '0',
    HOST: '127.0.0.1',
    MANDATE_DATA_DIR: dataDir,
    MANDATE_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
  }).finally(() => (process.stdout.write = write));
  console.log(`standalone booted in ${((now() - booting) / 1000).toFixed(1)} s (${dataDir})`);
  try {
    const base = new URL(started.url);
    const admin = `Bearer ${adminKey}`;
    const dataSource = started.app.get(DataSource);
    const log = started.app.get(AuditLogService);
    await ingestThroughput(base, admin);
    const derivedOrg = await derivedRecords(base, admin, dataSource);
    const derivedCheckpoint = await timed(CHECKPOINT_ROUNDS, 20, () => log.checkpoint(derivedOrg));
    const large = await largeLog(base, admin, dataSource, log);
    record({
      part: 'checkpoint',
      backend: 'standalone',
      case: `AuditLogService.checkpoint, the SCIM organization's log (small)`,
      ...derivedCheckpoint,
      perSecond: Math.round(derivedCheckpoint.count / derivedCheckpoint.seconds),
      notes: 'for comparison with the large log: the cost does not grow with the log',
    });
    return large.leaves;
  } finally {
    await started.app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

// ---- 5. verifying an export ----

const writeLines = async (out: WriteStream, text: string) => {
  if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
};

/** A JSON Lines export as Mandate writes it: header, records, then the signed checkpoints and leaf hashes. */
const synthesizeExport = async (dir: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key: CheckpointKey = { name: 'mandate-audit', privateKey, publicKey, createdAt: new Date(T0) };
  const orgId = `org_01jqk6ry4b${run}00000000000`;
  const origin = `mandate.example/audit/${orgId}`;
  const header = `${JSON.stringify(exportHeader(origin, [key]))}\n`;
  const templates = templatesFor(orgId);
  const full = createWriteStream(join(dir, 'export.jsonl'));
  const prefix = createWriteStream(join(dir, 'export-prefix.jsonl'));
  await writeLines(full, header);
  await writeLines(prefix, header);
  const tree = new MerkleTree();
  // One buffer, not a million: the verification timed next should not pay for a heap full of leaf objects.
  const leaves = Buffer.alloc(EXPORT_RECORDS * 32);
  const checkpoints: string[] = [];
  const sign = () =>
    checkpoints.push(
      signCheckpoint(
        { origin, treeSize: tree.size, rootHash: tree.root(), extensions: [] },
        { name: key.name, privateKey },
      ),
    );
  const started = now();
  let chunk: string[] = [];
  for (let i = 0; i < EXPORT_RECORDS; i++) {
    const made = { ...syntheticRecord(templates, 'e555', i), sequence: i };
    const line = toJsonLine(made);
    const leaf = leafHash(Buffer.from(line.slice(0, -1), 'utf8'));
    tree.append(leaf);
    leaves.set(leaf, i * 32);
    chunk.push(line);
    const atPrefix = tree.size === EXPORT_PREFIX;
    if (tree.size % EXPORT_CHECKPOINT_EVERY === 0 || tree.size === EXPORT_RECORDS || atPrefix) sign();
    // A chunk never straddles the prefix's end, so the prefix export gets exactly its records.
    if (chunk.length === 10_000 || atPrefix || i === EXPORT_RECORDS - 1) {
      const text = chunk.join('');
      chunk = [];
      await writeLines(full, text);
      if (i < EXPORT_PREFIX) await writeLines(prefix, text);
    }
    if (atPrefix)
      await writeLines(
        prefix,
        `${JSON.stringify({ checkpoints: [...checkpoints], leafHashes: leaves.subarray(0, tree.size * 32).toString('base64') })}\n`,
      );
  }
  await writeLines(full, `${JSON.stringify({ checkpoints, leafHashes: leaves.toString('base64') })}\n`);
  await Promise.all([full, prefix].map((out) => new Promise((resolve) => out.end(resolve))));
  const bytes = (await stat(join(dir, 'export.jsonl'))).size;
  const prefixBytes = (await stat(join(dir, 'export-prefix.jsonl'))).size;
  console.log(
    `export     synthesized ${EXPORT_RECORDS} records (${round(bytes / 2 ** 20, 1)} MiB, ${Math.round(bytes / EXPORT_RECORDS)} bytes a line, ` +
      `${checkpoints.length} checkpoints) in ${((now() - started) / 1000).toFixed(1)} s`,
  );
  details['export'] = {
    records: EXPORT_RECORDS,
    bytes,
    bytesPerLine: Math.round(bytes / EXPORT_RECORDS),
    checkpoints: checkpoints.length,
    eventTypes: templates.length,
    prefixRecords: EXPORT_PREFIX,
    prefixBytes,
  };
  return {
    file: join(dir, 'export.jsonl'),
    prefixFile: join(dir, 'export-prefix.jsonl'),
    verifier: verifierKey(key),
    leaves,
    bytes,
  };
};

/** The peak resident set (VmHWM, MiB) of a running process so far, from /proc (Linux); undefined elsewhere. */
const peakRssMiB = async (pid: number | undefined): Promise<number | undefined> => {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
};

const RSS_SAMPLE_MS = 20;

/** `mandate audit verify` as a user runs it: exit code, the line it prints, wall time, peak RSS (sampled). */
const runCli = (file: string, key: string) =>
  new Promise<{ code: number | null; output: string; seconds: number; peakRssMiB?: number }>((resolve) => {
    const started = now();
    const child = spawn(
      process.execPath,
      [join(root, 'dist/apps/cli/src/main.js'), 'audit', 'verify', file, '--key', key],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let peak: number | undefined;
    const sampler = setInterval(() => {
      void peakRssMiB(child.pid).then((rss) => (peak = rss === undefined ? peak : Math.max(peak ?? 0, rss)));
    }, RSS_SAMPLE_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(killer);
      clearInterval(sampler);
      resolve({
        code,
        output: output.trim().slice(0, 500),
        seconds: (now() - started) / 1000,
        ...(peak !== undefined && { peakRssMiB: round(peak, 0) }),
      });
    });
  });

const verifyCases = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mandate-audit-export-'));
  try {
    const made = await synthesizeExport(dir);
    const trusted = [parseVerifierKey(made.verifier)];

    // verifyExportFile takes the export as one string: read it as the CLI does.
    for (const [file, records] of [
      [made.file, EXPORT_RECORDS],
      [made.prefixFile, EXPORT_PREFIX],
    ] as const) {
      let t = now();
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        record(
          {
            part: 'verify',
            backend: 'in-process',
            case: `verifyExportFile, ${records} records: cannot run`,
            count: 0,
            seconds: Number.NaN,
            notes: `readFile(…, 'utf8') of the ${round(made.bytes / 2 ** 20)} MiB export failed: ${why} — the export does not fit in one JavaScript string (V8: at most 2^29 − 24 characters)`,
          },
          TARGETS.verify,
        );
        continue;
      }
      const readSeconds = (now() - t) / 1000;
      t = now();
      const result = verifyExportFile(text, trusted);
      const seconds = (now() - t) / 1000;
      text = '';
      if (!result.verification.ok)
        throw new Error(`the export did not verify: ${result.verification.detail}`);
      record(
        {
          part: 'verify',
          backend: 'in-process',
          case: `verifyExportFile, ${records} records`,
          count: records,
          seconds: round(seconds, 2),
          perSecond: Math.round(records / seconds),
          notes: `+ ${round(readSeconds, 2)} s reading the file; ${result.verification.checkpoints.length} checkpoints verified${records < EXPORT_RECORDS ? `; at this rate ${EXPORT_RECORDS} records would take ${round((seconds * EXPORT_RECORDS) / records, 1)} s` : ''}; load ${loadAverage()}`,
        },
        records === EXPORT_RECORDS ? TARGETS.verify : undefined,
      );
    }

    // The file's bytes streamed through the verifier, as `mandate audit verify` does: reading included.
    let t = now();
    const streamed = (
      await verifyExportStream(createReadStream(made.file, { highWaterMark: 1 << 20 }), trusted)
    ).verification;
    const streamSeconds = (now() - t) / 1000;
    if (!streamed.ok) throw new Error(`the streamed export did not verify: ${streamed.detail}`);
    record(
      {
        part: 'verify',
        backend: 'in-process',
        case: `file bytes streamed → verifyExportStream, ${streamed.size} records`,
        count: streamed.size,
        seconds: round(streamSeconds, 2),
        perSecond: Math.round(streamed.size / streamSeconds),
        notes: `reading included; each record line hashed as it lies in the read buffer (no decoding, no re-canonicalization), 32 bytes kept per record, ${streamed.checkpoints.length} checkpoints; load ${loadAverage()}`,
      },
      TARGETS.verify,
    );

    // Lines decoded to strings by readline and fed one by one: what a caller with text lines gets.
    t = now();
    const lines = createInterface({ input: createReadStream(made.file, 'utf8'), crlfDelay: Infinity });
    const fromLines = (await verifyExportLinesAsync(lines, trusted)).verification;
    const linesSeconds = (now() - t) / 1000;
    if (!fromLines.ok) throw new Error(`the export read by lines did not verify: ${fromLines.detail}`);
    record({
      part: 'verify',
      backend: 'in-process',
      case: `readline lines → verifyExportLinesAsync, ${fromLines.size} records`,
      count: fromLines.size,
      seconds: round(linesSeconds, 2),
      perSecond: Math.round(fromLines.size / linesSeconds),
      notes: `reading included; each line decoded by readline and encoded again for hashing; load ${loadAverage()}`,
    });

    for (const [file, records] of [
      [made.file, EXPORT_RECORDS],
      [made.prefixFile, EXPORT_PREFIX],
    ] as const) {
      const cli = await runCli(file, made.verifier);
      record(
        {
          part: 'verify',
          backend: 'cli',
          case: `mandate audit verify, ${records} records`,
          count: cli.code === 0 ? records : 0,
          seconds: round(cli.seconds, 2),
          ...(cli.code === 0 && { perSecond: Math.round(records / cli.seconds) }),
          notes: `exit ${cli.code}: ${cli.output}; whole process (start, read, verify); peak RSS ${cli.peakRssMiB ?? '?'} MiB (sampled every ${RSS_SAMPLE_MS} ms); load ${loadAverage()}`,
        },
        records === EXPORT_RECORDS ? TARGETS.verify : undefined,
      );
      details[`cliPeakRssMiB${records}`] = cli.peakRssMiB;
    }
    return Array.from({ length: EXPORT_RECORDS }, (_, i) => made.leaves.subarray(i * 32, (i + 1) * 32));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

// ---- main ----

/** Part 1 on every backend of BENCH_BACKENDS. */
const allAppendCases = async (skipped: string[]) => {
  if (BACKENDS.includes('pglite')) {
    const embedded = await EmbeddedPostgres.start();
    try {
      await appendCases('pglite', embedded.connectionString);
    } finally {
      await embedded.stop();
    }
  }
  const databaseUrl = process.env['DATABASE_URL'];
  if (!BACKENDS.includes('postgres')) skipped.push('postgres: not in BENCH_BACKENDS');
  else if (!databaseUrl)
    skipped.push('postgres: set DATABASE_URL (deploy/local/postgres-start.sh starts one)');
  else {
    const database = `mandate_audit_bench_${run}`;
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(databaseUrl);
    url.pathname = `/${database}`;
    try {
      await appendCases('postgres', url.toString());
    } finally {
      await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
      await admin.end();
    }
  }
};

const main = async () => {
  const loadAtStart = loadavg();
  console.log(`load average at start: ${loadAverage()} on ${cpus().length} CPUs`);
  const skipped: string[] = [];

  const unknownParts = PARTS.filter((part) => !ALL_PARTS.includes(part));
  if (unknownParts.length > 0)
    throw new Error(`BENCH_PARTS: unknown ${unknownParts.join(', ')} (parts: ${ALL_PARTS.join(', ')})`);

  if (PARTS.includes('append')) await allAppendCases(skipped);
  else skipped.push('append (part 1): not in BENCH_PARTS');
  for (const reason of skipped) console.log(`skipped    ${reason}`);

  if (PARTS.includes('log')) {
    const logLeaves = await standalone();
    inMemoryProofs(logLeaves, 'the large log');
  } else skipped.push('log (parts 2–4): not in BENCH_PARTS');
  if (PARTS.includes('verify')) {
    const exportLeaves = await verifyCases();
    inMemoryProofs(exportLeaves, 'the export');
  } else skipped.push('verify (part 5): not in BENCH_PARTS');

  console.log(
    '\n| part | backend | case | count | seconds | per second | p50 / p99 ms | target | notes |\n|---|---|---|---:|---:|---:|---:|---|---|',
  );
  for (const row of rows) {
    const latency = row.p50Ms === undefined ? '' : `${row.p50Ms} / ${row.p99Ms}`;
    const target = row.target ? `${row.target}: ${row.targetMet ? 'met' : 'missed'}` : '';
    console.log(
      `| ${row.part} | ${row.backend} | ${row.case} | ${row.count} | ${row.seconds} | ${row.perSecond ?? ''} | ${latency} | ${target} | ${row.notes ?? ''} |`,
    );
  }
  for (const note of notes) console.log(`note: ${note}`);

  const partial = ALL_PARTS.some((part) => !PARTS.includes(part));
  const written = await writeResults(partial ? `audit-${PARTS.join('-')}` : 'audit', loadAtStart, {
    settings: {
      secondsPerAppendCase: SECONDS,
      users: USERS,
      sequentialUsers: SEQUENTIAL_USERS,
      scimSecondsPerPhase: SCIM_SECONDS,
      concurrency: CONCURRENCY,
      pollMs: POLL_MS,
      logRecords: LOG_RECORDS,
      proofRequests: PROOF_REQUESTS,
      ingestEvents: INGEST_EVENTS,
      checkpointRounds: CHECKPOINT_ROUNDS,
      exportRecords: EXPORT_RECORDS,
      exportPrefixRecords: EXPORT_PREFIX,
      exportCheckpointEvery: EXPORT_CHECKPOINT_EVERY,
      standalone: 'in this process (server and client share one event loop), embedded PGlite',
      parts: PARTS,
    },
    targets: Object.fromEntries(Object.entries(TARGETS).map(([name, { text }]) => [name, text])),
    results: rows,
    skipped,
    details,
    notes: [process.env['BENCH_NOTES'], ...notes].filter(Boolean),
  });
  console.log(`\nwritten to ${written}`);
};

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => agent.destroy());
