/**
 * Authorization benchmark: a standalone Mandate (child process, fresh data dir) with 10,000 users,
 * 1,000 groups, 100,000 objects in a folder → folder → document hierarchy and ~1,000,000 tuples;
 * check throughput and latency over HTTP (16 keep-alive clients) and in process, list-objects, and
 * how long a directory group change takes to show in decisions. Then, when an OpenFGA binary is
 * found (OPENFGA_BIN, or `openfga` on PATH; nothing is downloaded), the same model, tuples and load
 * against OpenFGA on loopback. Every loop is bounded in count and time. Prints a table and writes
 * bench/results/authz.json.
 *
 * BENCH_SECONDS (per load case, default 10), BENCH_SCALE (fraction of the data set, default 1),
 * BENCH_CLIENTS (default 16), BENCH_LOG_LEVEL (the server's LOG_LEVEL, default info),
 * BENCH_PROFILE (default 1: CPU profiles of the server under check load, in .local/bench/),
 * BENCH_LOAD_SECONDS (a bound on loading the tuples, default 900), OPENFGA_BIN,
 * OPENFGA_DATASTORE_ENGINE (default `sqlite`, a file in the temp dir; `postgres` with
 * OPENFGA_DATASTORE_URI, an empty database; a comma-separated list runs each in turn). Not `memory`
 * at this size: OpenFGA's in-memory datastore scans every tuple of the store on each tuple written
 * and on each read, so loading 1,000,000 tuples into it does not finish (v1.22.1, pkg/storage/memory).
 */
import { runStandalone } from '@mandate/runtime';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allContexts } from '../apps/standalone/src/contexts';
import { DecisionService } from '../libs/authz/infrastructure/src/decisions/decision.service';
import { type CpuProfile, profileWhile } from './bench-kit';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);
const LOG_LEVEL = process.env['BENCH_LOG_LEVEL'] ?? 'info';
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
const LOAD_SECONDS = Number(process.env['BENCH_LOAD_SECONDS'] ?? 900);
/** OpenFGA's datastore: `sqlite` (a file in the temp dir, the default), `postgres` or `mysql` (OPENFGA_DATASTORE_URI), or `memory`. */
const OPENFGA_ENGINES = (process.env['OPENFGA_DATASTORE_ENGINE'] ?? 'sqlite').split(',');

const USERS = Math.round(10_000 * SCALE);
const GROUPS = Math.round(1_000 * SCALE);
const SCIM_USERS = Math.min(200, USERS);
const SCIM_GROUPS = Math.min(20, GROUPS);
const TOP_FOLDERS = Math.max(1, Math.round(100 * SCALE));
const SUBFOLDERS_PER_TOP = 9;
const DOCUMENTS = Math.round(99_000 * SCALE);
const VIEWERS_PER_DOCUMENT = 7;
const TUPLES_PER_WRITE = 1_000;
const OPENFGA_TUPLES_PER_WRITE = 100;
const BATCH = 50;
const GROUP_CHANGES = 50;

const TARGET_CHECKS_PER_SECOND = 10_000;
const TARGET_CHECK_P99_MS = 5;
const TARGET_CHANGE_P99_MS = 50;

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Tuple {
  readonly object: string;
  readonly relation: string;
  readonly subject: string;
}
interface Check {
  readonly object: string;
  readonly relation: string;
  readonly subject: string;
}

interface Row {
  /** `mandate`, or `openfga/<datastore>`. */
  system: string;
  case: string;
  requests: number;
  /** Checks (or objects listed, or changes) the requests carried. */
  items: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time over wall time, in cores (1.0 = one core busy), of the load generator and the server. */
  clientCpu?: number;
  serverCpu?: number;
  errors?: number;
  target?: string;
  met?: boolean;
  notes?: string;
}

const rows: Row[] = [];
const notes: string[] = [];
const details: Record<string, unknown> = {};

const now = () => performance.now();
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const load = () => loadavg().map((value) => round(value));

// ---- HTTP ----

interface Response {
  status: number;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request on the keep-alive agent; `body` may be a ready JSON string (the load loops pre-serialise). */
const send = (
  base: URL,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const request = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        headers: {
          ...(payload !== undefined && {
            'content-type': path.startsWith('/scim/') ? 'application/scim+json' : 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          }),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

const json = <T>(response: Response, expected: number[] = [200, 201]): T => {
  if (!expected.includes(response.status))
    throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 500)}`);
  return (response.text ? JSON.parse(response.text) : null) as T;
};

/** utime + stime of a process, in seconds (from /proc; 0 where there is none). */
const processCpuSeconds = (pid: number | undefined): number => {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

interface LoadResult {
  requests: number;
  items: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  clientCpu: number;
  serverCpu: number;
  errors: number;
  /** What the steps counted as a positive answer (allowed checks, objects listed). */
  positives: number;
}

/**
 * Runs `workers` loops of `step` until `maxRequests` requests in all or `seconds`, whichever comes
 * first, after `warmup` unmeasured requests; measures each request and the CPU of both sides.
 */
const loadTest = async (options: {
  workers: number;
  maxRequests: number;
  seconds?: number;
  warmup?: number;
  serverPid: number | undefined;
  step: (i: number) => Promise<{ items: number; positives: number; ok: boolean }>;
}): Promise<LoadResult> => {
  let next = 0;
  const run = async (maxRequests: number, deadline: number, latencies: number[] | null) => {
    let items = 0;
    let positives = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: options.workers }, async () => {
        while (next < maxRequests && now() < deadline) {
          const i = next++;
          const t = now();
          let outcome;
          try {
            outcome = await options.step(i);
          } catch {
            outcome = { items: 0, positives: 0, ok: false };
          }
          latencies?.push(now() - t);
          items += outcome.items;
          positives += outcome.positives;
          if (!outcome.ok) errors++;
        }
      }),
    );
    return { items, positives, errors };
  };
  const warmup = options.warmup ?? 2_000;
  await run(warmup, now() + 10_000, null);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const serverCpu = processCpuSeconds(options.serverPid);
  const started = now();
  const counted = await run(
    warmup + options.maxRequests,
    started + (options.seconds ?? SECONDS) * 1000,
    latencies,
  );
  const seconds = (now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    ...counted,
    seconds,
    p50Ms: round(percentile(sorted, 0.5), 3),
    p99Ms: round(percentile(sorted, 0.99), 3),
    clientCpu: round((used.user + used.system) / 1e6 / seconds),
    serverCpu: round((processCpuSeconds(options.serverPid) - serverCpu) / seconds),
  };
};

const record = (
  system: Row['system'],
  name: string,
  result: Pick<LoadResult, 'requests' | 'items' | 'seconds' | 'p50Ms' | 'p99Ms'> &
    Partial<Pick<LoadResult, 'clientCpu' | 'serverCpu' | 'errors'>>,
  extra: Partial<Row> = {},
) => {
  const row: Row = {
    system,
    case: name,
    requests: result.requests,
    items: result.items,
    seconds: round(result.seconds),
    perSecond: Math.round(result.items / result.seconds),
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    ...(result.clientCpu !== undefined && { clientCpu: result.clientCpu }),
    ...(result.serverCpu !== undefined && { serverCpu: result.serverCpu }),
    ...(result.errors !== undefined && result.errors > 0 && { errors: result.errors }),
    ...extra,
  };
  rows.push(row);
  console.log(
    `${system.padEnd(8)} ${name.padEnd(52)} ${String(row.perSecond).padStart(8)}/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms` +
      `${row.clientCpu === undefined ? '' : `  cpu client ${row.clientCpu}${row.serverCpu === undefined ? '' : ` server ${row.serverCpu}`}`}` +
      `${row.errors ? `  ${row.errors} errors` : ''}${row.target ? `  (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}`,
  );
  return row;
};

// ---- the data set ----

const prng = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const SUBJECTS = ['user', 'group#member', 'team#member'];
const hierarchy = {
  relations: {
    parent: { this: ['folder'] },
    owner: { this: SUBJECTS },
    editor: { union: [{ this: SUBJECTS }, { computed: 'owner' }] },
    viewer: {
      union: [
        { this: SUBJECTS },
        { computed: 'editor' },
        { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
      ],
    },
  },
};
/** `group` (directory groups) and `user` are system types; `team` holds the groups written as tuples. */
const MODEL = {
  schemaVersion: '1.0',
  types: {
    team: { relations: { member: { this: ['user', 'team#member'] } } },
    folder: hierarchy,
    document: hierarchy,
  },
};

type Rewrite =
  | { this: string[] }
  | { computed: string }
  | { tupleToUserset: { tupleset: string; computed: string } }
  | { union: Rewrite[] };

/** The same model in OpenFGA's JSON (schema 1.1), with Mandate's system types spelled out. */
const openFgaModel = () => {
  const types: Record<string, { relations: Record<string, Rewrite> }> = {
    group: { relations: { member: { this: ['user', 'group#member'] } } },
    ...MODEL.types,
  };
  const rewrite = (node: Rewrite): unknown => {
    if ('this' in node) return { this: {} };
    if ('computed' in node) return { computedUserset: { relation: node.computed } };
    if ('tupleToUserset' in node)
      return {
        tupleToUserset: {
          tupleset: { relation: node.tupleToUserset.tupleset },
          computedUserset: { relation: node.tupleToUserset.computed },
        },
      };
    return { union: { child: node.union.map(rewrite) } };
  };
  const direct = (node: Rewrite): string[] =>
    'this' in node ? node.this : 'union' in node ? node.union.flatMap(direct) : [];
  return {
    schema_version: '1.1',
    type_definitions: [
      { type: 'user' },
      ...Object.entries(types).map(([type, { relations }]) => ({
        type,
        relations: Object.fromEntries(Object.entries(relations).map(([name, node]) => [name, rewrite(node)])),
        metadata: {
          relations: Object.fromEntries(
            Object.entries(relations).map(([name, node]) => [
              name,
              {
                directly_related_user_types: direct(node).map((restriction) => {
                  const [subjectType, relation] = restriction.split('#');
                  return relation ? { type: subjectType, relation } : { type: subjectType };
                }),
              },
            ]),
          ),
        },
      })),
    ],
  };
};

interface DataSet {
  /** Everything written through the relationship API (and to OpenFGA). */
  tuples: Tuple[];
  /** Directory memberships, which Mandate learns from SCIM (and OpenFGA gets as tuples). */
  directoryTuples: Tuple[];
  checks: Check[];
  users: string[];
  objects: number;
}

/**
 * Users are the SCIM-provisioned ones followed by API-only ids (`user:u<n>`); groups are directory
 * groups (`group:<id>#member`) followed by teams (`team:t<n>#member`, membership written as tuples).
 * The first top folders are visible to a directory group, so directory membership decides real checks.
 */
const generate = (scimUsers: string[], scimGroups: string[], memberships: Tuple[]): DataSet => {
  const random = prng(42);
  const int = (n: number) => Math.floor(random() * n);
  const users = [...scimUsers.map((id) => `user:${id}`)];
  for (let u = users.length; u < USERS; u++) users.push(`user:u${u}`);
  const teams = GROUPS - scimGroups.length;
  const groups = [
    ...scimGroups.map((id) => `group:${id}#member`),
    ...Array.from({ length: teams }, (_, t) => `team:t${t}#member`),
  ];
  const user = () => users[int(users.length)]!;
  const group = () => groups[int(groups.length)]!;
  const tuples: Tuple[] = [];
  const add = (object: string, relation: string, subject: string) =>
    tuples.push({ object, relation, subject });

  // Teams: the first tenth are roots; every other team sits in one or two lower-numbered teams.
  const roots = Math.max(1, Math.floor(teams / 10));
  for (let t = roots; t < teams; t++) {
    add(`team:t${int(t)}`, 'member', `team:t${t}#member`);
    if (random() < 0.2) add(`team:t${int(t)}`, 'member', `team:t${t}#member`);
  }
  const seen = new Set<string>();
  users.forEach((subject, u) => {
    for (let k = 0; k < (u < scimUsers.length ? 1 : 3); k++) {
      const object = `team:t${int(teams)}`;
      if (seen.has(`${object}@${subject}`)) continue;
      seen.add(`${object}@${subject}`);
      add(object, 'member', subject);
    }
  });
  const subfolders: string[] = [];
  for (let t = 0; t < TOP_FOLDERS; t++) {
    const top = `folder:top_${t}`;
    add(top, 'owner', user());
    if (t < scimGroups.length) add(top, 'viewer', `group:${scimGroups[t]}#member`);
    for (let k = 0; k < 3; k++) add(top, 'viewer', group());
    for (let s = 0; s < SUBFOLDERS_PER_TOP; s++) {
      const sub = `folder:sub_${t}_${s}`;
      subfolders.push(sub);
      add(sub, 'parent', top);
      add(sub, 'editor', group());
      add(sub, 'viewer', user());
    }
  }
  for (let d = 0; d < DOCUMENTS; d++) {
    const doc = `document:doc_${d}`;
    add(doc, 'parent', subfolders[d % subfolders.length]!);
    add(doc, 'owner', user());
    for (let k = 0; k < VIEWERS_PER_DOCUMENT; k++) add(doc, 'viewer', user());
    if (random() < 0.3) add(doc, 'viewer', group());
    if (random() < 0.5) add(doc, 'editor', user());
  }
  // The same tuple twice is one tuple: keep the first, so both systems hold the same set.
  const unique = new Map(
    tuples.map((tuple) => [`${tuple.object}#${tuple.relation}@${tuple.subject}`, tuple]),
  );

  // Checks: 70% viewer, 20% editor, 10% owner on a random document for a random user; every third
  // one is about a direct viewer, so both outcomes are exercised.
  const relations = [
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'editor',
    'editor',
    'owner',
  ];
  const viewers = [...unique.values()].filter(
    (tuple) => tuple.relation === 'viewer' && tuple.object.startsWith('document:'),
  );
  const checks: Check[] = Array.from({ length: 200_000 }, (_, i) => {
    if (i % 3 === 0) {
      const holder = viewers[int(viewers.length)]!;
      if (holder.subject.startsWith('user:'))
        return { object: holder.object, relation: 'viewer', subject: holder.subject };
    }
    return {
      object: `document:doc_${int(DOCUMENTS)}`,
      relation: relations[int(relations.length)]!,
      subject: user(),
    };
  });
  return {
    tuples: [...unique.values()],
    directoryTuples: memberships,
    checks,
    users,
    objects: TOP_FOLDERS * (1 + SUBFOLDERS_PER_TOP) + DOCUMENTS,
  };
};

// ---- Mandate ----

interface Server {
  readonly url: URL;
  readonly child: ChildProcess;
  readonly inspector: string | null;
  stop(): Promise<void>;
}

const waitForExit = (child: ChildProcess, timeoutMs: number) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Starts the standalone app as `npm start` does, on a free port, logging to a file in its data dir. */
const startMandate = async (dataDir: string, adminKey: string): Promise<Server> => {
  const main = join(__dirname, '..', 'apps', 'standalone', 'src', 'main.js');
  const logPath = join(dataDir, 'server.log');
  const log = openSync(logPath, 'w');
  const child = spawn(process.execPath, [...(PROFILE ? ['--inspect=127.0.0.1:0'] : []), main], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      MANDATE_DATA_DIR: dataDir,
      MANDATE_ADMIN_KEY: adminKey,
      LOG_LEVEL,
    },
    stdio: ['ignore', log, 'pipe'],
  });
  closeSync(log);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = now() + 60_000;
  for (;;) {
    const listening = /"msg":"listening".*"url":"([^"]+)"/.exec(readFileSync(logPath, 'utf8'));
    if (listening) {
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1] ?? null;
      return {
        url: new URL(listening[1]!),
        child,
        inspector,
        stop: async () => {
          child.kill('SIGTERM');
          await waitForExit(child, 30_000);
        },
      };
    }
    if (child.exitCode !== null || now() > deadline)
      throw new Error(`Mandate did not start: ${stderr}\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    await sleep(100);
  }
};

const eventually = async <T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (now() > deadline) throw new Error('Timed out waiting');
    await sleep(20);
  }
};

/** A CPU profile of a process over its inspector (Chrome DevTools protocol over a WebSocket). */
/** Self time by function and by where the code lives (a package, a Mandate lib, Node itself). */
const summarise = (profile: CpuProfile) => {
  const counts = new Map<number, number>();
  for (const sample of profile.samples) counts.set(sample, (counts.get(sample) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const area = (url: string, name: string) => {
    if (!url) return name.startsWith('(') ? name : '(native)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    const lib = /dist\/(libs\/[^/]+(?:\/(?:domain|infrastructure))?|apps\/[^/]+)/.exec(url);
    if (lib) return lib[1]!;
    if (url.startsWith('node:')) return 'node';
    return url;
  };
  for (const node of profile.nodes) {
    const samples = counts.get(node.id) ?? 0;
    if (samples === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules|dist)\//, '');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + samples);
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + samples);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, samples]) => ({ name, percent: round((100 * samples) / total, 1) }));
  return { samples: total, byArea: top(byArea, 20), byFunction: top(byFunction, 30) };
};

const runMandate = async (dataDir: string, adminKey: string) => {
  let server = await startMandate(dataDir, adminKey);
  const { url } = server;
  const admin = { authorization: `Bearer ${adminKey}` };
  const api = <T>(method: string, path: string, body?: unknown, headers = admin) =>
    send(url, method, path, body, headers).then((response) => json<T>(response));

  const orgId = (await api<{ id: string }>('POST', '/api/v1/organizations', { name: 'Bench' })).id;
  const directory = await api<{ id: string; token: string }>(
    'POST',
    `/api/v1/organizations/${orgId}/directories`,
    {
      name: 'Okta',
      provider: 'okta',
    },
  );
  const scimBase = `/scim/v2/${directory.id}`;
  const scimAuth = { authorization: `Bearer ${directory.token}` };
  const scim = <T>(method: string, path: string, body?: unknown) =>
    send(url, method, `${scimBase}${path}`, body, scimAuth).then((response) =>
      json<T>(response, [200, 201, 204]),
    );

  // Directory: users and groups through SCIM, as an IdP provisions them.
  const random = prng(7);
  let started = now();
  const scimUsers: string[] = [];
  for (let u = 0; u < SCIM_USERS; u++) {
    scimUsers.push(
      (
        await scim<{ id: string }>('POST', '/Users', {
          schemas: [USER_SCHEMA],
          userName: `user${u}@bench.example`,
        })
      ).id,
    );
  }
  const scimUserSeconds = (now() - started) / 1000;
  started = now();
  const members = new Map<number, string[]>();
  scimUsers.forEach((id) => {
    const first = Math.floor(random() * SCIM_GROUPS);
    const second = (first + 1 + Math.floor(random() * (SCIM_GROUPS - 1))) % SCIM_GROUPS;
    for (const g of new Set([first, second])) members.set(g, [...(members.get(g) ?? []), id]);
  });
  const scimGroups: string[] = [];
  const memberships: Tuple[] = [];
  for (let g = 0; g < SCIM_GROUPS; g++) {
    const ids = members.get(g) ?? [];
    const id = (
      await scim<{ id: string }>('POST', '/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: `Group ${g}`,
        members: ids.map((value) => ({ value })),
      })
    ).id;
    scimGroups.push(id);
    memberships.push(
      ...ids.map((member) => ({ object: `group:${id}`, relation: 'member', subject: `user:${member}` })),
    );
  }
  const scimGroupSeconds = (now() - started) / 1000;
  console.log(
    `mandate  SCIM: ${SCIM_USERS} users in ${scimUserSeconds.toFixed(1)} s (${Math.round((1000 * scimUserSeconds) / SCIM_USERS)} ms each, ${Math.round(USERS * (scimUserSeconds / SCIM_USERS))} s for ${USERS} at that rate), ` +
      `${SCIM_GROUPS} groups with ${memberships.length} memberships in ${scimGroupSeconds.toFixed(1)} s`,
  );

  // The probes of the group-change case: a user in no group, and two groups only the probes use.
  const probeUser = (
    await scim<{ id: string }>('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'probe@bench.example' })
  ).id;
  const probeGroup = async (name: string) =>
    (
      await scim<{ id: string }>('POST', '/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: name,
        members: [],
      })
    ).id;
  const tupleGroup = await probeGroup('Probe (tuple)');
  const mappingGroup = await probeGroup('Probe (mapping)');

  started = now();
  const data = generate(scimUsers, scimGroups, memberships);
  console.log(
    `mandate  generated ${data.tuples.length} tuples over ${data.users.length} users, ${GROUPS} groups, ${data.objects} objects in ${((now() - started) / 1000).toFixed(1)} s`,
  );

  await api('PUT', `/api/v1/organizations/${orgId}/authz/model`, MODEL);
  const key = (
    await api<{ key: string }>('POST', `/api/v1/organizations/${orgId}/api-keys`, { name: 'bench' })
  ).key;
  const app = { authorization: `Bearer ${key}` };

  // The relationship tuples, 1,000 per request, a few requests at a time.
  started = now();
  let written = 0;
  let lastToken = '';
  const loadLatencies: number[] = [];
  const loadDeadline = now() + LOAD_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (written < data.tuples.length) {
        if (now() > loadDeadline)
          throw new Error(`Loading the tuples took longer than ${LOAD_SECONDS} s (BENCH_LOAD_SECONDS)`);
        const chunk = data.tuples.slice(written, written + TUPLES_PER_WRITE);
        written += chunk.length;
        const t = now();
        lastToken = (
          await api<{ token: string }>(
            'POST',
            `/api/v1/organizations/${orgId}/authz/tuples`,
            { writes: chunk },
            app,
          )
        ).token;
        loadLatencies.push(now() - t);
      }
    }),
  );
  await api('POST', `/api/v1/organizations/${orgId}/authz/tuples`, {
    writes: [{ object: 'document:probe', relation: 'viewer', subject: `group:${tupleGroup}#member` }],
  });
  const role = await api<{ role: { id: string } }>('POST', `/api/v1/organizations/${orgId}/roles`, {
    key: 'probe',
    name: 'Probe',
    permissions: ['probes:read'],
  });
  const mapping = await api<{ token: string }>('POST', `/api/v1/organizations/${orgId}/role-mappings`, {
    source: { kind: 'directory_group', groupId: mappingGroup },
    roleId: role.role.id,
  });
  json(
    await send(
      url,
      'POST',
      '/api/v1/authz/check',
      {
        subject: `user:${probeUser}`,
        permission: 'probes:read',
        consistency: { atLeastAsFresh: mapping.token },
      },
      app,
    ),
  );
  const loadSeconds = (now() - started) / 1000;
  const sortedLoad = Float64Array.from(loadLatencies).sort();
  record(
    'mandate',
    `load ${data.tuples.length} tuples (POST …/authz/tuples, ${TUPLES_PER_WRITE} each, 4 concurrent)`,
    {
      requests: loadLatencies.length,
      items: data.tuples.length,
      seconds: loadSeconds,
      p50Ms: round(percentile(sortedLoad, 0.5), 1),
      p99Ms: round(percentile(sortedLoad, 0.99), 1),
    },
    {
      notes: `+ SCIM: ${SCIM_USERS} users in ${round(scimUserSeconds, 1)} s, ${SCIM_GROUPS} groups in ${round(scimGroupSeconds, 1)} s`,
    },
  );
  details['mandateLoad'] = {
    scimUsers: SCIM_USERS,
    scimUserSeconds: round(scimUserSeconds),
    scimUserMs: round((1000 * scimUserSeconds) / SCIM_USERS, 1),
    scimGroups: SCIM_GROUPS,
    scimMemberships: memberships.length,
    scimGroupSeconds: round(scimGroupSeconds),
    tuples: data.tuples.length,
    tupleSeconds: round(loadSeconds),
    tuplesPerSecond: Math.round(data.tuples.length / loadSeconds),
    lastToken,
  };

  // Is every check answered the same way as the data says? A spot check against the grants written.
  const sample = data.tuples.find(
    (tuple) => tuple.object.startsWith('document:') && tuple.relation === 'viewer',
  )!;
  const spot = json<{ allowed: boolean }>(await send(url, 'POST', '/api/v1/authz/check', sample, app));
  if (!spot.allowed) throw new Error(`A written viewer is not a viewer: ${JSON.stringify(sample)}`);

  const checkBodies = data.checks.map((check) => JSON.stringify(check));
  const pid = server.child.pid;
  const loadAtStart = load();
  const checkLoad = (bodies: string[], headers: Record<string, string>) => (i: number) =>
    send(url, 'POST', '/api/v1/authz/check', bodies[i % bodies.length], headers).then((response) => {
      const ok = response.status === 200;
      return { items: 1, positives: ok && response.text.startsWith('{"allowed":true') ? 1 : 0, ok };
    });
  const http = await loadTest({
    workers: CLIENTS,
    maxRequests: 2_000_000,
    serverPid: pid,
    step: checkLoad(checkBodies, app),
  });
  record('mandate', `check over HTTP, ${CLIENTS} clients (organization API key)`, http, {
    target: `≥ ${TARGET_CHECKS_PER_SECOND}/s, p99 < ${TARGET_CHECK_P99_MS} ms`,
    met: http.items / http.seconds >= TARGET_CHECKS_PER_SECOND && http.p99Ms < TARGET_CHECK_P99_MS,
    notes: `${round((100 * http.positives) / Math.max(1, http.items), 1)}% allowed; load ${loadAtStart.join(' ')}`,
  });
  const adminBodies = data.checks.map((check) => JSON.stringify({ orgId, ...check }));
  const httpAdmin = await loadTest({
    workers: CLIENTS,
    maxRequests: 2_000_000,
    serverPid: pid,
    step: checkLoad(adminBodies, admin),
  });
  record('mandate', `check over HTTP, ${CLIENTS} clients (admin key, orgId in body)`, httpAdmin, {
    notes: `load ${load().join(' ')}`,
  });

  const batchBodies = Array.from({ length: Math.floor(data.checks.length / BATCH) }, (_, b) =>
    JSON.stringify({ checks: data.checks.slice(b * BATCH, (b + 1) * BATCH) }),
  );
  const batch = await loadTest({
    workers: CLIENTS,
    maxRequests: 200_000,
    warmup: 200,
    serverPid: pid,
    step: (i) =>
      send(url, 'POST', '/api/v1/authz/check/batch', batchBodies[i % batchBodies.length], app).then(
        (response) => {
          const ok = response.status === 200;
          return { items: BATCH, positives: ok ? response.text.split('"allowed":true').length - 1 : 0, ok };
        },
      ),
  });
  record('mandate', `check/batch over HTTP, ${BATCH} per request, ${CLIENTS} clients`, batch, {
    target: `≥ ${TARGET_CHECKS_PER_SECOND}/s`,
    met: batch.items / batch.seconds >= TARGET_CHECKS_PER_SECOND,
    notes: `latency per request of ${BATCH}; load ${load().join(' ')}`,
  });

  // A trivial Nest endpoint on the same server: what HTTP + Nest cost without authz.
  const health = await loadTest({
    workers: CLIENTS,
    maxRequests: 2_000_000,
    serverPid: pid,
    step: (i) =>
      send(url, 'GET', i % 2 === 0 ? '/health' : '/health').then((response) => ({
        items: 1,
        positives: 0,
        ok: response.status === 200,
      })),
  });
  record('mandate', `GET /health (a trivial Nest endpoint), ${CLIENTS} clients`, health, {
    notes: 'no auth, no body: the floor of HTTP + Express + Nest + logging',
  });

  const listUsers = data.users.filter((_, i) => i % 37 === 0);
  const list = await loadTest({
    workers: 1,
    maxRequests: 300,
    warmup: 20,
    serverPid: pid,
    step: (i) =>
      send(
        url,
        'POST',
        '/api/v1/authz/list-objects',
        { subject: listUsers[i % listUsers.length], type: 'document', relation: 'viewer' },
        app,
      ).then((response) => {
        const body = json<{ objects: string[]; truncated: boolean }>(response);
        return { items: 1, positives: body.objects.length, ok: true };
      }),
  });
  record('mandate', 'list-objects over HTTP (document#viewer of a user), sequential', list, {
    notes: `${Math.round(list.positives / Math.max(1, list.items))} objects on average (limit 1,000)`,
  });
  details['listObjectsMandate'] = { averageObjects: list.positives / Math.max(1, list.items) };

  // Directory group change → decision: SCIM PATCH, then poll check until the answer flips.
  const changes = async (groupId: string, question: Record<string, unknown>, name: string | null) => {
    const latencies: number[] = [];
    const patchLatencies: number[] = [];
    let polls = 0;
    let timeouts = 0;
    let beforeResponse = 0;
    for (let i = 0; i < GROUP_CHANGES; i++) {
      const adding = i % 2 === 0;
      const t0 = now();
      // Poll from the moment the PATCH is sent, so the figure is when the decision changed, whether
      // that is before or after the SCIM response.
      let patched = false;
      const patch = scim('PATCH', `/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA],
        Operations: adding
          ? [{ op: 'add', path: 'members', value: [{ value: probeUser }] }]
          : [{ op: 'remove', path: `members[value eq "${probeUser}"]` }],
      }).then(() => {
        patched = true;
        patchLatencies.push(now() - t0);
      });
      for (;;) {
        polls++;
        const answer = json<{ allowed: boolean }>(
          await send(url, 'POST', '/api/v1/authz/check', question, app),
        );
        if (answer.allowed === adding) break;
        if (now() - t0 > 5_000) {
          timeouts++;
          break;
        }
      }
      latencies.push(now() - t0);
      if (!patched) beforeResponse++;
      await patch;
    }
    const sorted = Float64Array.from(latencies).sort();
    const patches = Float64Array.from(patchLatencies).sort();
    if (name === null) return;
    record(
      'mandate',
      name,
      {
        requests: GROUP_CHANGES,
        items: GROUP_CHANGES,
        seconds: latencies.reduce((sum, ms) => sum + ms, 0) / 1000,
        p50Ms: round(percentile(sorted, 0.5), 1),
        p99Ms: round(percentile(sorted, 0.99), 1),
        errors: timeouts,
      },
      {
        target: `p99 < ${TARGET_CHANGE_P99_MS} ms`,
        met: percentile(sorted, 0.99) < TARGET_CHANGE_P99_MS && timeouts === 0,
        notes: `from sending the PATCH, polling check meanwhile; ${beforeResponse} of ${GROUP_CHANGES} visible before the SCIM response; the PATCH itself p50 ${round(percentile(patches, 0.5), 1)} ms, p99 ${round(percentile(patches, 0.99), 1)} ms; ${round(polls / GROUP_CHANGES, 1)} checks polled per change`,
      },
    );
  };
  await changes(
    tupleGroup,
    { subject: `user:${probeUser}`, relation: 'viewer', object: 'document:probe' },
    `group change → check flips (tuple via group#member), ${GROUP_CHANGES} changes`,
  );
  await changes(
    mappingGroup,
    { subject: `user:${probeUser}`, permission: 'probes:read' },
    `group change → check flips (group mapping → role), ${GROUP_CHANGES} changes`,
  );

  if (PROFILE && server.inspector) {
    const inspector = server.inspector;
    const profiles: Record<string, unknown> = {};
    const profileDir = join(__dirname, '..', '..', '.local', 'bench');
    await mkdir(profileDir, { recursive: true });
    for (const [name, bodies, headers] of [
      ['organization key', checkBodies, app],
      ['admin key', adminBodies, admin],
    ] as const) {
      const { result, profile } = await profileWhile(inspector, () =>
        loadTest({
          workers: CLIENTS,
          maxRequests: 2_000_000,
          seconds: Math.min(SECONDS, 8),
          serverPid: pid,
          step: checkLoad(bodies, headers),
        }),
      );
      const summary = summarise(profile);
      const file = join(profileDir, `authz-check-${name.replace(/ /g, '-')}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      profiles[name] = {
        while: `check over HTTP (${name}), ${CLIENTS} clients, ${Math.round(result.items / result.seconds)}/s under the profiler`,
        file: file.slice(file.indexOf('.local/')),
        ...summary,
      };
      console.log(`\nmandate  where the server spends its time under check load, ${name} (self time):`);
      for (const { name: area, percent } of summary.byArea.slice(0, 12))
        console.log(`  ${String(percent).padStart(5)}%  ${area}`);
      console.log('  top functions:');
      for (const { name: fn, percent } of summary.byFunction.slice(0, 15))
        console.log(`  ${String(percent).padStart(5)}%  ${fn}`);
    }
    // The group changes again, profiled: where the directory → authz path spends its time.
    const probe = { subject: `user:${probeUser}`, relation: 'viewer', object: 'document:probe' };
    const { profile } = await profileWhile(inspector, () => changes(tupleGroup, probe, null));
    const summary = summarise(profile);
    const file = join(profileDir, 'authz-group-changes.cpuprofile');
    await writeFile(file, JSON.stringify(profile));
    profiles['group changes'] = {
      while: `${GROUP_CHANGES} SCIM group changes, each polled with check until it shows`,
      file: file.slice(file.indexOf('.local/')),
      ...summary,
    };
    console.log('\nmandate  where the server spends its time during group changes (self time):');
    for (const { name: area, percent } of summary.byArea.slice(0, 12))
      console.log(`  ${String(percent).padStart(5)}%  ${area}`);
    details['profiles'] = profiles;
  }

  await server.stop();
  server = undefined as unknown as Server;
  return { orgId, data, probeUser };
};

/** The same data directory opened in this process: DecisionService without HTTP. */
const runInProcess = async (dataDir: string, adminKey: string, orgId: string, data: DataSet) => {
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
  try {
    const decisions = started.app.get(DecisionService);
    const ask = (i: number) => {
      const check = data.checks[i % data.checks.length]!;
      return {
        orgId,
        subject: check.subject,
        question: { kind: 'relation', relation: check.relation, object: check.object } as const,
      };
    };
    const booted = now();
    await decisions.check(ask(0));
    let t = now();
    const bootSeconds = (booted - booting) / 1000;
    const firstCheckSeconds = (t - booted) / 1000;
    const restartSeconds = bootSeconds + firstCheckSeconds;
    const tuples = data.tuples.length + data.directoryTuples.length;
    console.log(
      `inproc   restart: boot ${bootSeconds.toFixed(1)} s, then the first check ${firstCheckSeconds.toFixed(1)} s (the graph of ${tuples} tuples loads from authz.tuples, on first use or already during boot)`,
    );
    details['restart'] = { bootSeconds: round(bootSeconds), firstCheckSeconds: round(firstCheckSeconds) };
    rows.push({
      system: 'mandate',
      case: 'restart in process: boot + first check (loads the graph from authz.tuples)',
      requests: 1,
      items: tuples,
      seconds: round(restartSeconds),
      perSecond: Math.round(tuples / restartSeconds),
      p50Ms: round(restartSeconds * 1000, 0),
      p99Ms: round(restartSeconds * 1000, 0),
      notes: `boot ${round(bootSeconds, 1)} s, first check ${round(firstCheckSeconds, 1)} s; items/s: tuples loaded per second`,
    });

    const measure = async (name: string, perCall: number, call: (i: number) => Promise<number>) => {
      for (let i = 0; i < 20_000; i += perCall) await call(i);
      const latencies: number[] = [];
      const cpu = process.cpuUsage();
      let positives = 0;
      t = now();
      const deadline = t + SECONDS * 1000;
      for (let i = 0; i < 1_000_000 && now() < deadline; i += perCall) {
        const t0 = now();
        positives += await call(i);
        latencies.push(now() - t0);
      }
      const seconds = (now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      const sorted = Float64Array.from(latencies).sort();
      record(
        'mandate',
        name,
        {
          requests: latencies.length,
          items: latencies.length * perCall,
          seconds,
          p50Ms: round(percentile(sorted, 0.5), 4),
          p99Ms: round(percentile(sorted, 0.99), 4),
          clientCpu: round((used.user + used.system) / 1e6 / seconds),
          errors: 0,
        },
        {
          notes: `${round((100 * positives) / (latencies.length * perCall), 1)}% allowed; one core, sequential`,
        },
      );
    };
    await measure('in process: DecisionService.check', 1, async (i) =>
      (await decisions.check(ask(i))).allowed ? 1 : 0,
    );
    await measure(`in process: DecisionService.checkMany, ${BATCH} per call`, BATCH, async (i) => {
      const inputs = Array.from({ length: BATCH }, (_, k) => {
        const { orgId: _org, ...input } = ask(i + k);
        return input;
      });
      return (await decisions.checkMany(orgId, inputs)).filter((decision) => decision.allowed).length;
    });
  } finally {
    await started.app.close();
  }
};

// ---- OpenFGA ----

const findOpenFga = (): string | null => {
  const configured = process.env['OPENFGA_BIN'];
  if (configured) return existsSync(configured) ? configured : null;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'openfga'))) return join(dir, 'openfga');
  }
  return null;
};

const freePort = async () => {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
};

/** `openfga version` says `dev` when built with `go install`; the module version is in the binary. */
const openFgaVersion = (binary: string): string => {
  const said = spawnSync(binary, ['version'], { encoding: 'utf8' });
  const reported = /version .*/.exec(`${said.stdout}${said.stderr}`)?.[0] ?? 'version unknown';
  try {
    const module = /\bmod\s+github\.com\/openfga\/openfga\s+(\S+)/.exec(
      execFileSync('go', ['version', '-m', binary], { encoding: 'utf8', stdio: 'pipe' }),
    )?.[1];
    if (module) return `${module} (${reported})`;
  } catch {
    // No Go toolchain here: what the binary says is all there is.
  }
  return reported;
};

const runOpenFga = async (binary: string, engine: string, data: DataSet, dir: string) => {
  const version = openFgaVersion(binary);
  const system = `openfga/${engine}`;
  const uri = engine === 'sqlite' ? `file:${join(dir, 'openfga.db')}` : process.env['OPENFGA_DATASTORE_URI'];
  const datastore = [
    '--datastore-engine',
    engine,
    ...(engine === 'memory' || uri === undefined ? [] : ['--datastore-uri', uri]),
  ];
  if (engine !== 'memory') execFileSync(binary, ['migrate', ...datastore], { stdio: 'pipe' });
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const child = spawn(
    binary,
    [
      'run',
      ...datastore,
      '--http-addr',
      `127.0.0.1:${httpPort}`,
      '--grpc-addr',
      `127.0.0.1:${grpcPort}`,
      '--playground-enabled=false',
      '--metrics-enabled=false',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5000)));
  const url = new URL(`http://127.0.0.1:${httpPort}`);
  try {
    await eventually(async () => (await send(url, 'GET', '/healthz')).status === 200, 30_000).catch(() => {
      throw new Error(`OpenFGA did not start: ${stderr}`);
    });
    console.log(`\nopenfga  ${version} on ${url.origin}, datastore ${engine}`);
    const post = <T>(path: string, body: unknown) =>
      send(url, 'POST', path, body).then((response) => json<T>(response));
    const store = (await post<{ id: string }>('/stores', { name: 'bench' })).id;
    const model = (
      await post<{ authorization_model_id: string }>(`/stores/${store}/authorization-models`, openFgaModel())
    ).authorization_model_id;
    const tuples = [...data.directoryTuples, ...data.tuples];
    let written = 0;
    const latencies: number[] = [];
    const started = now();
    const loadDeadline = now() + LOAD_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (written < tuples.length && now() < loadDeadline) {
          const chunk = tuples.slice(written, written + OPENFGA_TUPLES_PER_WRITE);
          written += chunk.length;
          const t = now();
          await post(`/stores/${store}/write`, {
            writes: {
              tuple_keys: chunk.map(({ object, relation, subject }) => ({ object, relation, user: subject })),
            },
            authorization_model_id: model,
          });
          latencies.push(now() - t);
        }
      }),
    );
    const seconds = (now() - started) / 1000;
    if (written < tuples.length)
      throw new Error(
        `loading stopped after ${LOAD_SECONDS} s (BENCH_LOAD_SECONDS) with ${written} of ${tuples.length} tuples written ` +
          `(${Math.round(written / seconds)}/s; datastore ${engine})`,
      );
    const sortedLoad = Float64Array.from(latencies).sort();
    record(
      system,
      `load ${tuples.length} tuples (POST /write, ${OPENFGA_TUPLES_PER_WRITE} each, 4 concurrent)`,
      {
        requests: latencies.length,
        items: tuples.length,
        seconds,
        p50Ms: round(percentile(sortedLoad, 0.5), 1),
        p99Ms: round(percentile(sortedLoad, 0.99), 1),
        errors: 0,
      },
      { notes: 'directory memberships written as group tuples' },
    );

    const pid = child.pid;
    const bodies = data.checks.map(({ object, relation, subject }) =>
      JSON.stringify({ tuple_key: { object, relation, user: subject }, authorization_model_id: model }),
    );
    const http = await loadTest({
      workers: CLIENTS,
      maxRequests: 2_000_000,
      serverPid: pid,
      step: (i) =>
        send(url, 'POST', `/stores/${store}/check`, bodies[i % bodies.length]).then((response) => {
          const ok = response.status === 200;
          return { items: 1, positives: ok && response.text.includes('"allowed":true') ? 1 : 0, ok };
        }),
    });
    record(system, `check over HTTP, ${CLIENTS} clients`, http, {
      notes: `${round((100 * http.positives) / Math.max(1, http.items), 1)}% allowed; load ${load().join(' ')}`,
    });

    const batchBodies = Array.from({ length: Math.floor(data.checks.length / BATCH) }, (_, b) =>
      JSON.stringify({
        authorization_model_id: model,
        checks: data.checks.slice(b * BATCH, (b + 1) * BATCH).map(({ object, relation, subject }, k) => ({
          tuple_key: { object, relation, user: subject },
          correlation_id: String(k),
        })),
      }),
    );
    const probe = await send(url, 'POST', `/stores/${store}/batch-check`, batchBodies[0]);
    if (probe.status === 200) {
      const batch = await loadTest({
        workers: CLIENTS,
        maxRequests: 200_000,
        warmup: 200,
        serverPid: pid,
        step: (i) =>
          send(url, 'POST', `/stores/${store}/batch-check`, batchBodies[i % batchBodies.length]).then(
            (response) => {
              const ok = response.status === 200;
              return {
                items: BATCH,
                positives: ok ? response.text.split('"allowed":true').length - 1 : 0,
                ok,
              };
            },
          ),
      });
      record(system, `batch-check over HTTP, ${BATCH} per request, ${CLIENTS} clients`, batch, {
        notes: `latency per request of ${BATCH}; load ${load().join(' ')}`,
      });
    } else {
      notes.push(`OpenFGA /batch-check answered ${probe.status}: ${probe.text.slice(0, 200)}`);
    }

    const listUsers = data.users.filter((_, i) => i % 37 === 0);
    const list = await loadTest({
      workers: 1,
      maxRequests: 300,
      warmup: 20,
      seconds: Math.max(SECONDS, 30),
      serverPid: pid,
      step: (i) =>
        post<{ objects: string[] }>(`/stores/${store}/list-objects`, {
          authorization_model_id: model,
          type: 'document',
          relation: 'viewer',
          user: listUsers[i % listUsers.length],
        }).then((body) => ({ items: 1, positives: body.objects.length, ok: true })),
    });
    record(system, 'list-objects over HTTP (document#viewer of a user), sequential', list, {
      notes: `${Math.round(list.positives / Math.max(1, list.items))} objects on average (its default limit 1,000; a request reaching its 3 s deadline answers with what it found by then)`,
    });
    details[system] = { version, store, model };
  } finally {
    child.kill('SIGTERM');
    await waitForExit(child, 10_000);
  }
};

// ---- main ----

const main = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-authz-bench-'));
  const adminKey = `mandate_admin_bench_${Date.now()}_0123456789abcdefghijklmnop`;
  const loadBefore = load();
  console.log(
    `authz benchmark: ${USERS} users, ${GROUPS} groups, ~${TOP_FOLDERS * (1 + SUBFOLDERS_PER_TOP) + DOCUMENTS} objects; ` +
      `${SECONDS} s per case, ${CLIENTS} clients; load average ${loadBefore.join(' ')}; data in ${dataDir}\n`,
  );
  try {
    const { orgId, data } = await runMandate(dataDir, adminKey);
    await runInProcess(dataDir, adminKey, orgId, data);
    if (!OPENFGA_ENGINES.includes('memory'))
      notes.push(
        "OpenFGA's memory datastore is not used: it scans every tuple of the store for each tuple written and each read (v1.22.1 pkg/storage/memory), so loading 1,000,000 tuples into it had not finished after 4 minutes at one full core (stopped by hand)",
      );
    const binary = findOpenFga();
    if (!binary) {
      const reason = 'OpenFGA skipped: no binary (set OPENFGA_BIN, or put `openfga` on PATH)';
      console.log(`\n${reason}`);
      notes.push(reason);
    } else {
      for (const engine of OPENFGA_ENGINES) {
        await runOpenFga(binary, engine, data, dataDir).catch((error: unknown) => {
          const reason = `OpenFGA (${engine}) failed: ${error instanceof Error ? error.message : String(error)}`;
          console.log(`\n${reason}`);
          notes.push(reason);
        });
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  const ratio = (system: string, mandate: string, openfga: string) => {
    const a = rows.find((row) => row.system === 'mandate' && row.case.startsWith(mandate));
    const b = rows.find((row) => row.system === system && row.case.startsWith(openfga));
    return a && b
      ? {
          against: system,
          case: openfga,
          throughput: round(a.items / a.seconds / (b.items / b.seconds)),
          p50: round(a.p50Ms / b.p50Ms),
          p99: round(a.p99Ms / b.p99Ms),
        }
      : null;
  };
  const ratios = OPENFGA_ENGINES.flatMap((engine) =>
    [
      ratio(`openfga/${engine}`, 'check over HTTP', 'check over HTTP'),
      ratio(`openfga/${engine}`, 'check/batch', 'batch-check'),
      ratio(`openfga/${engine}`, 'list-objects', 'list-objects'),
      ratio(`openfga/${engine}`, 'load ', 'load '),
    ].filter((entry) => entry !== null),
  );

  console.log(
    '\n| system | case | requests | items | s | items/s | p50 ms | p99 ms | CPU client / server | target | notes |\n|---|---|---:|---:|---:|---:|---:|---:|---|---|---|',
  );
  for (const row of rows) {
    const cpu =
      row.clientCpu === undefined
        ? ''
        : `${row.clientCpu}${row.serverCpu === undefined ? '' : ` / ${row.serverCpu}`}`;
    const target = row.target ? `${row.target}: ${row.met ? 'met' : '**missed**'}` : '';
    console.log(
      `| ${row.system} | ${row.case} | ${row.requests} | ${row.items} | ${row.seconds} | ${row.perSecond} | ${row.p50Ms} | ${row.p99Ms} | ${cpu} | ${target} | ${[row.errors ? `${row.errors} errors` : '', row.notes ?? ''].filter(Boolean).join('; ')} |`,
    );
  }
  if (ratios.length > 0) {
    console.log('\nMandate / OpenFGA (throughput > 1: Mandate faster; latency < 1: Mandate faster)');
    for (const entry of ratios)
      console.log(
        `  ${entry.against.padEnd(16)} ${entry.case.padEnd(16)} throughput ×${entry.throughput}, p50 ×${entry.p50}, p99 ×${entry.p99}`,
      );
  }
  for (const note of notes) console.log(`note: ${note}`);

  const dir = join(__dirname, '..', '..', 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'authz.json'),
    `${JSON.stringify(
      {
        benchmark: 'authz',
        at: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          loadAverage: { before: loadBefore, after: load() },
        },
        settings: {
          users: USERS,
          groups: GROUPS,
          scimUsers: SCIM_USERS,
          scimGroups: SCIM_GROUPS,
          objects: TOP_FOLDERS * (1 + SUBFOLDERS_PER_TOP) + DOCUMENTS,
          secondsPerCase: SECONDS,
          clients: CLIENTS,
          batch: BATCH,
          groupChanges: GROUP_CHANGES,
          serverLogLevel: LOG_LEVEL,
          model: MODEL,
          targets: {
            checksPerSecondOverHttp: TARGET_CHECKS_PER_SECOND,
            checkP99Ms: TARGET_CHECK_P99_MS,
            groupChangeP99Ms: TARGET_CHANGE_P99_MS,
          },
        },
        results: rows,
        mandateOverOpenFga: ratios,
        notes,
        details,
      },
      null,
      2,
    )}\n`,
  );
  console.log('\nwritten to bench/results/authz.json');
};

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => agent.destroy());
