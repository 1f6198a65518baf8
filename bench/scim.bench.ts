/**
 * SCIM benchmark: Mandate driven over real HTTP on loopback as an IdP drives it (SCIM 2.0 JSON,
 * `application/scim+json`, a directory's bearer token). Standalone (`dist/apps/standalone`, embedded
 * PGlite in a fresh data dir) always; distributed (`dist/apps/directory` on PostgreSQL and Kafka, its
 * own fresh database and topic prefix) when DATABASE_URL and KAFKA_BROKERS are set.
 *
 * Cases: sequential and 16-way concurrent `POST /Users`; sequential and 16-way concurrent Okta-style
 * PATCH deactivations of the users just created; an initial sync of BENCH_SYNC_USERS users and
 * BENCH_SYNC_GROUPS groups as an IdP sends it (filter lookup, create; for groups a create without
 * members and a PATCH adding 20), 8 requests in flight.
 *
 * Every loop is bounded in count and time: BENCH_SECONDS (per create / deactivate case, default 10),
 * BENCH_SYNC_SECONDS (the whole sync, default 600), BENCH_SYNC_USERS (10000), BENCH_SYNC_GROUPS (500).
 * BENCH_MODES (default `standalone,distributed`) picks the modes; BENCH_SERVER_NODE_OPTIONS passes
 * flags to the server process (`--cpu-prof --cpu-prof-dir=…` to profile it). Every answer is checked:
 * an unexpected status aborts the run with the response body. Prints a table and writes
 * bench/results/scim.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { freePort, loadAverage, processCpuSeconds, writeResults } from './bench-kit';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const SYNC_SECONDS = Number(process.env['BENCH_SYNC_SECONDS'] ?? 600);
const SYNC_USERS = Number(process.env['BENCH_SYNC_USERS'] ?? 10_000);
const SYNC_GROUPS = Number(process.env['BENCH_SYNC_GROUPS'] ?? 500);
const MODES = (process.env['BENCH_MODES'] ?? 'standalone,distributed').split(',');
const SERVER_NODE_OPTIONS = (process.env['BENCH_SERVER_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean);
const CONCURRENCY = 16;
const SYNC_CONCURRENCY = 8;
const MEMBERS_PER_GROUP = 20;
const MAX_SEQUENTIAL = 5_000;
const MAX_CONCURRENT = 50_000;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SCIM_JSON = 'application/scim+json';

const root = join(__dirname, '..', '..');
const run = randomBytes(4).toString('hex');

const TARGETS = {
  creates: { text: '≥ 1,000 creates/s (standalone)', met: (row: Row) => row.perSecond >= 1000 },
  sync: { text: `${SYNC_USERS}-user sync < 30 s`, met: (row: Row) => row.seconds < 30 },
  deactivation: { text: 'p99 < 20 ms', met: (row: Row) => row.p99Ms < 20 },
};

interface Row {
  backend: string;
  mode: string;
  case: string;
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** HTTP requests sent and checked for the case. */
  requests: number;
  failures: number;
  /** CPU of the server process (with PGlite in it, standalone) and of this client, per request. */
  serverCpuMsPerRequest?: number;
  clientCpuMsPerRequest?: number;
  target?: string;
  targetMet?: boolean;
  notes?: string;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

const percentileMs = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? 0
    : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 10_000) / 10;

// ---- HTTP ----

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: Record<string, unknown> | null;
}

class UnexpectedAnswer extends Error {}

const send = (port: number, method: string, path: string, token: string, body?: unknown) =>
  new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          accept: SCIM_JSON,
          ...(payload !== undefined && {
            'content-type': path.startsWith('/scim/') ? SCIM_JSON : 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> | null = null;
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
          } catch {
            parsed = null;
          }
          resolve({ status: response.statusCode ?? 0, text, body: parsed });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

/** Counts every request of the current case; any answer but the expected one aborts the run. */
let requests = 0;
const expectStatus = async (
  port: number,
  token: string,
  method: string,
  path: string,
  expected: readonly number[],
  body?: unknown,
): Promise<Answer> => {
  requests++;
  const answer = await send(port, method, path, token, body);
  if (!expected.includes(answer.status)) {
    throw new UnexpectedAnswer(
      `${method} ${path} answered ${answer.status}, expected ${expected.join(' or ')}: ${answer.text.slice(0, 2000)}`,
    );
  }
  return answer;
};

const fail = (what: string, answer: Answer): never => {
  throw new UnexpectedAnswer(`${what}: ${answer.text.slice(0, 2000)}`);
};

// ---- the server under test ----

interface Target {
  readonly mode: 'standalone' | 'distributed';
  readonly backend: string;
  readonly port: number;
  readonly adminKey: string;
  readonly child: ChildProcess;
  readonly stop: () => Promise<void>;
}

const spawnServer = async (script: string, env: Record<string, string>, port: number) => {
  const child = spawn(process.execPath, [...SERVER_NODE_OPTIONS, join(root, script)], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The server logs JSON lines (warn and error only, at LOG_LEVEL=warn) on stdout: passed on, the banner is not.
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) console.error(`[server] ${line}`);
  });
  const exited = new Promise<number | string>((done) =>
    child.on('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const deadline = now() + 90;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${script} exited with ${await exited} before it was ready`);
    const ready = await send(port, 'GET', '/ready', '').catch(() => null);
    if (ready?.status === 200) break;
    if (now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready after 90 s: ${ready?.text ?? 'no answer'}`);
    }
    await sleep(200);
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killed);
    }
  };
  return { child, stop };
};

const startStandalone = async (adminKey: string): Promise<Target> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-bench-scim-'));
  const port = await freePort();
  try {
    const { child, stop } = await spawnServer(
      'dist/apps/standalone/src/main.js',
      { MANDATE_DATA_DIR: dataDir, MANDATE_ADMIN_KEY: adminKey },
      port,
    );
    return {
      mode: 'standalone',
      backend: 'pglite',
      port,
      adminKey,
      child,
      stop: async () => {
        await stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
};

/** The directory service alone, on its own fresh database and topic prefix; both removed at the end. */
const startDistributed = async (adminKey: string, databaseUrl: string, brokers: string): Promise<Target> => {
  const database = `mandate_bench_scim_${run}`;
  const topicPrefix = `bench-scim-${run}.`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const cleanUp = async () => {
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
    const kafka = new Kafka({
      brokers: brokers.split(','),
      clientId: 'mandate-bench',
      logLevel: logLevel.NOTHING,
    });
    const kafkaAdmin = kafka.admin();
    try {
      await kafkaAdmin.connect();
      const topics = (await kafkaAdmin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
      if (topics.length > 0) await kafkaAdmin.deleteTopics({ topics, timeout: 10_000 });
    } catch {
      // the topics are named for this run only: left behind, they cost nothing but a listing
    } finally {
      await kafkaAdmin.disconnect().catch(() => undefined);
    }
  };
  const port = await freePort();
  try {
    const { child, stop } = await spawnServer(
      'dist/apps/directory/src/main.js',
      {
        DATABASE_URL: url.toString(),
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        MANDATE_ADMIN_KEY: adminKey,
        MANDATE_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      port,
    );
    return {
      mode: 'distributed',
      backend: 'postgres',
      port,
      adminKey,
      child,
      stop: async () => {
        await stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
};

/** A new organization with a SCIM directory (provider okta), over the management API. */
const newDirectory = async (target: Target, name: string) => {
  const org = await expectStatus(target.port, target.adminKey, 'POST', '/api/v1/organizations', [201], {
    name,
  });
  const orgId = org.body?.['id'];
  if (typeof orgId !== 'string') fail('the organization has no id', org);
  const directory = await expectStatus(
    target.port,
    target.adminKey,
    'POST',
    `/api/v1/organizations/${orgId as string}/directories`,
    [201],
    { name: 'Okta', provider: 'okta' },
  );
  const id = directory.body?.['id'];
  const token = directory.body?.['token'];
  if (typeof id !== 'string' || typeof token !== 'string')
    fail('the directory has no id or token', directory);
  const base = `/scim/v2/${id as string}`;
  const scim = (method: string, path: string, expected: readonly number[], body?: unknown) =>
    expectStatus(target.port, token as string, method, `${base}${path}`, expected, body);
  return { scim, base };
};
type Scim = Awaited<ReturnType<typeof newDirectory>>['scim'];

/** A user as Okta sends it on assignment (Okta's user ids as externalId, unique in the directory). */
let oktaIds = 0;
const oktaUser = (userName: string, i: number) => ({
  schemas: [USER],
  userName,
  name: { givenName: `Given${i}`, familyName: `Family${i}` },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: `Given${i} Family${i}`,
  locale: 'en-US',
  externalId: `00u${run}${String(oktaIds++).padStart(8, '0')}`,
  groups: [],
  password: `pw-${randomBytes(9).toString('base64url')}`,
  active: true,
});

const DEACTIVATE = { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] };

const createUser = async (scim: Scim, userName: string, i: number) => {
  const created = await scim('POST', '/Users', [201], oktaUser(userName, i));
  const id = created.body?.['id'];
  if (typeof id !== 'string' || created.body?.['userName'] !== userName)
    fail(`POST /Users for ${userName} answered 201 without the user`, created);
  return id as string;
};

// ---- measuring ----

/** Runs `workers` loops of `step` until `maxSteps` steps in all or `seconds`, whichever comes first. */
const bounded = async (
  workers: number,
  maxSteps: number,
  seconds: number,
  step: (i: number) => Promise<void>,
) => {
  const deadline = now() + seconds;
  let steps = 0;
  const latencies: number[] = [];
  const started = now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (steps < maxSteps && now() < deadline) {
        const i = steps++;
        const t = now();
        await step(i);
        latencies.push(now() - t);
      }
    }),
  );
  const elapsed = now() - started;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    seconds: elapsed,
    p50Ms: percentileMs(latencies, 0.5),
    p99Ms: percentileMs(latencies, 0.99),
    timeBound: latencies.length < maxSteps,
  };
};

type Measured = Awaited<ReturnType<typeof bounded>>;

/** The 1-minute load average at the end of each case: other work on the machine lowers the figures. */
const loads: number[] = [];

class Recorder {
  readonly rows: Row[] = [];

  constructor(private readonly target: Target) {}

  /** Measures `body` with the CPU both processes spent on it. */
  async measure<T>(body: () => Promise<T>) {
    const serverBefore = await processCpuSeconds(this.target.child.pid);
    const clientBefore = process.cpuUsage();
    const requestsBefore = requests;
    const result = await body();
    const serverAfter = await processCpuSeconds(this.target.child.pid);
    const client = process.cpuUsage(clientBefore);
    const sent = requests - requestsBefore;
    const perRequest = (cpuSeconds: number) => Math.round((cpuSeconds / Math.max(1, sent)) * 10_000) / 10;
    return {
      result,
      requests: sent,
      ...(serverBefore !== undefined &&
        serverAfter !== undefined && { serverCpuMsPerRequest: perRequest(serverAfter - serverBefore) }),
      clientCpuMsPerRequest: perRequest((client.user + client.system) / 1e6),
    };
  }

  record(
    name: string,
    measured: Measured & { requests: number; serverCpuMsPerRequest?: number; clientCpuMsPerRequest?: number },
    unit: string,
    target?: (typeof TARGETS)[keyof typeof TARGETS],
    notes: string[] = [],
  ) {
    const { count, seconds, p50Ms, p99Ms } = measured;
    const row: Row = {
      backend: this.target.backend,
      mode: this.target.mode,
      case: name,
      count,
      seconds: Math.round(seconds * 1000) / 1000,
      perSecond: Math.round(count / seconds),
      p50Ms,
      p99Ms,
      requests: measured.requests,
      failures: 0,
      ...(measured.serverCpuMsPerRequest !== undefined && {
        serverCpuMsPerRequest: measured.serverCpuMsPerRequest,
      }),
      ...(measured.clientCpuMsPerRequest !== undefined && {
        clientCpuMsPerRequest: measured.clientCpuMsPerRequest,
      }),
    };
    if (target) {
      row.target = target.text;
      row.targetMet = target.met(row);
    }
    if (measured.timeBound) notes.push('stopped at the time bound');
    notes.push(`load ${loadAverage()}`);
    loads.push(loadavg()[0]!);
    row.notes = notes.join('; ');
    this.rows.push(row);
    const verdict = row.target ? `  [target ${row.target}: ${row.targetMet ? 'met' : 'MISSED'}]` : '';
    console.log(
      `${this.target.mode.padEnd(11)} ${name.padEnd(52)} ${String(row.perSecond).padStart(6)} ${unit}/s  p50 ${p50Ms} ms  p99 ${p99Ms} ms  (${count} in ${row.seconds.toFixed(1)} s; server ${row.serverCpuMsPerRequest ?? '?'} ms CPU/request)${verdict}`,
    );
    return row;
  }
}

// ---- the cases ----

const createAndDeactivate = async (target: Target, recorder: Recorder) => {
  const { scim } = await newDirectory(target, `Bench ${run} ${target.mode}`);
  // warm-up: the first requests compile code paths and fill caches
  for (let i = 0; i < 50; i++) await createUser(scim, `warmup-${i}@bench.example`, i);

  const sequential: string[] = [];
  const sequentialCreates = await recorder.measure(() =>
    bounded(1, MAX_SEQUENTIAL, SECONDS, async (i) => {
      sequential.push(await createUser(scim, `seq-${i}@bench.example`, i));
    }),
  );
  recorder.record(
    'POST /Users, sequential',
    { ...sequentialCreates.result, ...sequentialCreates },
    'creates',
    target.mode === 'standalone' ? TARGETS.creates : undefined,
  );

  const concurrent: string[] = [];
  const concurrentCreates = await recorder.measure(() =>
    bounded(CONCURRENCY, MAX_CONCURRENT, SECONDS, async (i) => {
      concurrent.push(await createUser(scim, `par-${i}@bench.example`, i));
    }),
  );
  recorder.record(
    `POST /Users, ${CONCURRENCY} concurrent`,
    { ...concurrentCreates.result, ...concurrentCreates },
    'creates',
    target.mode === 'standalone' ? TARGETS.creates : undefined,
  );

  const deactivate = (ids: readonly string[]) => async (i: number) => {
    const answer = await scim('PATCH', `/Users/${ids[i]!}`, [200], DEACTIVATE);
    if (answer.body?.['active'] !== false) fail(`PATCH of ${ids[i]!} did not deactivate the user`, answer);
  };
  const sequentialDeactivations = await recorder.measure(() =>
    bounded(1, sequential.length, SECONDS, deactivate(sequential)),
  );
  recorder.record(
    'PATCH active=false, sequential',
    { ...sequentialDeactivations.result, ...sequentialDeactivations },
    'requests',
    TARGETS.deactivation,
    [`users created by the sequential case (${sequential.length})`],
  );
  const concurrentDeactivations = await recorder.measure(() =>
    bounded(CONCURRENCY, concurrent.length, SECONDS, deactivate(concurrent)),
  );
  recorder.record(
    `PATCH active=false, ${CONCURRENCY} concurrent`,
    { ...concurrentDeactivations.result, ...concurrentDeactivations },
    'requests',
    TARGETS.deactivation,
    [`users created by the concurrent case (${concurrent.length})`],
  );

  // the deactivations stuck: a sample read back
  for (const id of [sequential[0], concurrent[concurrentDeactivations.result.count - 1]]) {
    if (id === undefined) continue;
    const read = await scim('GET', `/Users/${id}`, [200]);
    if (read.body?.['active'] !== false) fail(`${id} reads back active after its deactivation`, read);
  }
};

const filterPath = (endpoint: string, attribute: string, value: string) =>
  `/${endpoint}?filter=${encodeURIComponent(`${attribute} eq "${value}"`)}`;

const expectNone = (answer: Answer, what: string) => {
  if (
    answer.body?.['totalResults'] !== 0 ||
    !(answer.body['schemas'] as unknown[] | undefined)?.includes(LIST)
  )
    fail(`the lookup of ${what} before creating it found something`, answer);
};

/**
 * An initial sync as Okta or Entra sends it, 8 requests in flight: every user looked up by userName
 * (none found) and created; then every group looked up by displayName, created without members and
 * given its 20 members by one PATCH. Bounded by BENCH_SYNC_SECONDS for both phases together.
 */
const initialSync = async (target: Target, recorder: Recorder, details: Record<string, unknown>) => {
  const { scim } = await newDirectory(target, `Bench ${run} ${target.mode} sync`);
  const deadline = now() + SYNC_SECONDS;
  const latencies: Record<string, number[]> = {
    'GET /Users?filter': [],
    'POST /Users': [],
    'GET /Groups?filter': [],
    'POST /Groups': [],
    'PATCH /Groups (add 20 members)': [],
  };
  const timed = async <T>(kind: string, body: () => Promise<T>) => {
    const t = now();
    const result = await body();
    latencies[kind]!.push(now() - t);
    return result;
  };
  const userIds: string[] = [];
  const groupIds: string[] = [];
  /** `workers` loops over `count` items until done or the sync's deadline. */
  const phase = async (count: number, item: (i: number) => Promise<void>) => {
    let next = 0;
    const started = now();
    await Promise.all(
      Array.from({ length: SYNC_CONCURRENCY }, async () => {
        while (next < count && now() < deadline) await item(next++);
      }),
    );
    return { seconds: now() - started, done: Math.min(next, count) };
  };

  const measured = await recorder.measure(async () => {
    const started = now();
    const users = await phase(SYNC_USERS, async (i) => {
      const userName = `sync-${i}@bench.example`;
      expectNone(
        await timed('GET /Users?filter', () => scim('GET', filterPath('Users', 'userName', userName), [200])),
        userName,
      );
      userIds[i] = await timed('POST /Users', () => createUser(scim, userName, i));
    });
    const created = userIds.filter(Boolean);
    const groups = await phase(created.length === 0 ? 0 : SYNC_GROUPS, async (g) => {
      const displayName = `Sync group ${g}`;
      expectNone(
        await timed('GET /Groups?filter', () =>
          scim('GET', filterPath('Groups', 'displayName', displayName), [200]),
        ),
        displayName,
      );
      const group = await timed('POST /Groups', () =>
        scim('POST', '/Groups', [201], { schemas: [GROUP], displayName, members: [] }),
      );
      const id = group.body?.['id'];
      if (typeof id !== 'string')
        fail(`POST /Groups for ${displayName} answered 201 without the group`, group);
      const members = Array.from({ length: MEMBERS_PER_GROUP }, (_, k) => ({
        value: created[(g * MEMBERS_PER_GROUP + k) % created.length]!,
      }));
      await timed('PATCH /Groups (add 20 members)', () =>
        scim('PATCH', `/Groups/${id as string}`, [200, 204], {
          schemas: [PATCH],
          Operations: [{ op: 'add', path: 'members', value: members }],
        }),
      );
      groupIds[g] = id as string;
    });
    return { seconds: now() - started, users, groups, created: created.length };
  });
  const { users, groups } = measured.result;

  // what the IdP pushed is what the directory holds
  const userCount = await scim('GET', '/Users?count=0', [200]);
  if (userCount.body?.['totalResults'] !== users.done)
    fail(`the sync created ${users.done} users but the directory lists a different number`, userCount);
  const groupCount = await scim('GET', '/Groups?count=0', [200]);
  if (groupCount.body?.['totalResults'] !== groups.done)
    fail(`the sync created ${groups.done} groups but the directory lists a different number`, groupCount);
  const lastGroup = groupIds[groups.done - 1];
  if (lastGroup !== undefined) {
    const read = await scim('GET', `/Groups/${lastGroup}`, [200]);
    const members = read.body?.['members'];
    if (!Array.isArray(members) || members.length !== Math.min(MEMBERS_PER_GROUP, users.done))
      fail(`group ${lastGroup} does not hold its ${MEMBERS_PER_GROUP} members`, read);
  }

  const all = Object.values(latencies)
    .flat()
    .sort((a, b) => a - b);
  const complete = users.done === SYNC_USERS && groups.done === SYNC_GROUPS;
  const notes = [
    `users phase ${users.seconds.toFixed(1)} s, groups phase ${groups.seconds.toFixed(1)} s`,
    `${SYNC_CONCURRENCY} in flight; latency over every request of the sync`,
  ];
  if (!complete) notes.push(`INCOMPLETE: stopped at BENCH_SYNC_SECONDS=${SYNC_SECONDS}`);
  const row = recorder.record(
    `initial sync: ${users.done} users + ${groups.done} groups (×${MEMBERS_PER_GROUP})`,
    {
      count: users.done,
      seconds: measured.result.seconds,
      p50Ms: percentileMs(all, 0.5),
      p99Ms: percentileMs(all, 0.99),
      timeBound: false,
      requests: measured.requests,
      ...(measured.serverCpuMsPerRequest !== undefined && {
        serverCpuMsPerRequest: measured.serverCpuMsPerRequest,
      }),
      clientCpuMsPerRequest: measured.clientCpuMsPerRequest,
    },
    'users',
    complete ? TARGETS.sync : undefined,
    notes,
  );
  if (!complete) {
    // an extrapolation, not a measurement: the target cannot be judged on a partial sync
    row.target = TARGETS.sync.text;
    row.targetMet = false;
  }
  const perKind: Record<string, unknown> = {};
  for (const [kind, values] of Object.entries(latencies)) {
    values.sort((a, b) => a - b);
    perKind[kind] = {
      count: values.length,
      p50Ms: percentileMs(values, 0.5),
      p99Ms: percentileMs(values, 0.99),
    };
    console.log(
      `${''.padEnd(11)}   ${kind.padEnd(32)} ${String(values.length).padStart(6)} requests  p50 ${percentileMs(values, 0.5)} ms  p99 ${percentileMs(values, 0.99)} ms`,
    );
  }
  details[`${target.mode} sync`] = {
    usersPhaseSeconds: users.seconds,
    groupsPhaseSeconds: groups.seconds,
    requests: perKind,
  };
};

const runTarget = async (target: Target, rows: Row[], details: Record<string, unknown>) => {
  const recorder = new Recorder(target);
  try {
    await createAndDeactivate(target, recorder);
    await initialSync(target, recorder, details);
  } finally {
    rows.push(...recorder.rows);
    await target.stop();
  }
};

const main = async () => {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const skipped: Record<string, string> = {};
  const loadAtStart = loadavg();
  const adminKey = `mandate_admin_${randomBytes(32).toString('hex')}`;
  console.log(`load average at start: ${loadAverage()} (${cpus().length} CPUs)`);

  if (MODES.includes('standalone')) await runTarget(await startStandalone(adminKey), rows, details);
  else skipped['standalone'] = 'not in BENCH_MODES';

  const databaseUrl = process.env['DATABASE_URL'];
  const brokers = process.env['KAFKA_BROKERS'];
  if (!MODES.includes('distributed')) skipped['distributed'] = 'not in BENCH_MODES';
  else if (!databaseUrl || !brokers)
    skipped['distributed'] =
      'set DATABASE_URL and KAFKA_BROKERS (deploy/local/postgres-start.sh and kafka-start.sh start them)';
  else await runTarget(await startDistributed(adminKey, databaseUrl, brokers), rows, details);
  for (const [mode, why] of Object.entries(skipped)) console.log(`${mode.padEnd(11)} skipped: ${why}`);

  console.log(
    '\n| mode | backend | case | count | seconds | per second | p50 / p99 ms | CPU ms/req server / client | target | notes |\n|---|---|---|---:|---:|---:|---:|---:|---|---|',
  );
  for (const row of rows) {
    const target = row.target ? `${row.target}: ${row.targetMet ? 'met' : '**missed**'}` : '';
    console.log(
      `| ${row.mode} | ${row.backend} | ${row.case} | ${row.count} | ${row.seconds.toFixed(2)} | ${row.perSecond} | ${row.p50Ms} / ${row.p99Ms} | ${row.serverCpuMsPerRequest ?? '?'} / ${row.clientCpuMsPerRequest ?? '?'} | ${target} | ${row.notes ?? ''} |`,
    );
  }
  await writeResults('scim', loadAtStart, {
    settings: {
      secondsPerCase: SECONDS,
      syncSeconds: SYNC_SECONDS,
      syncUsers: SYNC_USERS,
      syncGroups: SYNC_GROUPS,
      membersPerGroup: MEMBERS_PER_GROUP,
      concurrency: CONCURRENCY,
      syncConcurrency: SYNC_CONCURRENCY,
      serverNodeOptions: SERVER_NODE_OPTIONS,
      client: 'node:http, keep-alive, same machine as the server (they share the CPUs)',
    },
    targets: Object.fromEntries(Object.entries(TARGETS).map(([name, { text }]) => [name, text])),
    results: rows,
    skipped,
    details,
    notes: [
      process.env['BENCH_NOTES'],
      loads.length > 0 &&
        `1-minute load average ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} at the end of the cases (${cpus().length} CPUs); the client shares the CPUs with the server`,
    ]
      .filter(Boolean)
      .join('; '),
  });
  console.log(`\nwritten to bench/results/scim.json`);
};

main()
  .catch((error: unknown) => {
    console.error(error instanceof UnexpectedAnswer ? `aborted: ${error.message}` : error);
    process.exitCode = 1;
  })
  .finally(() => agent.destroy());
