/**
 * Token benchmark: Mandate's authorization server driven over real HTTP on loopback.
 *
 * Standalone (`dist/apps/standalone`, embedded PGlite in a fresh data dir): client-credentials and
 * RFC 8693 token-exchange issuance at `/oauth/token`, sequential and BENCH_CONCURRENCY-way; SDK
 * verification (`createTokenVerifier`) of tokens Mandate issued against raw `jose.jwtVerify` on the
 * same tokens and key (EdDSA), on one core in this process; then the time to revoke.
 *
 * Time to revoke: leavers (a SCIM user holding a role, an agent of theirs with credentials and a
 * mandate) are prepared in bulk; then one by one a fresh token is exchanged, checked accepted, and the
 * user is deactivated over SCIM. From the deactivation's HTTP response, introspection and the invoices
 * service (`dist/apps/invoices`, SDK-protected, a process of its own) are polled 1 ms apart until
 * introspection says `active: false` and invoices answers 401. Standalone (invoices following the SSE
 * feed) always; distributed (directory, authn, authz and audit as processes on a fresh PostgreSQL
 * database and topic prefix, invoices following `<prefix>mandate.authn.events.v1` on Kafka) when
 * DATABASE_URL and KAFKA_BROKERS are set.
 *
 * Every loop is bounded in count and time: BENCH_SECONDS (per issuance case, default 10),
 * BENCH_LEAVERS (default 1000), BENCH_PREPARE_SECONDS (preparing the leavers, default 300 per mode),
 * BENCH_LEAVER_SECONDS (measuring them, default 600 per mode), BENCH_CONCURRENCY (default 16),
 * BENCH_MODES (default `standalone,distributed`), BENCH_PROFILE (default 1: one CPU profile of the
 * standalone server under concurrent token exchange, after the measured cases, in .local/bench/).
 * Prints a table and writes bench/results/tokens.json.
 */
import { createTokenVerifier, staticRevocations } from '@mandate/sdk';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import {
  type CpuProfile,
  freePort,
  loadAverage,
  percentile,
  processCpuSeconds,
  profileWhile,
  round,
  writeResults,
} from './bench-kit';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const LEAVERS = Number(process.env['BENCH_LEAVERS'] ?? 1_000);
const PREPARE_SECONDS = Number(process.env['BENCH_PREPARE_SECONDS'] ?? 300);
const LEAVER_SECONDS = Number(process.env['BENCH_LEAVER_SECONDS'] ?? 600);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const MODES = (process.env['BENCH_MODES'] ?? 'standalone,distributed').split(',');
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
const MAX_SEQUENTIAL = 20_000;
const MAX_CONCURRENT = 200_000;
const PREPARE_CONCURRENCY = 4;
/** How long one leaver's revocation may take to show before it counts as a timeout. */
const REVOKE_TIMEOUT_MS = 5_000;
const POLL_GAP_MS = 1;
const VERIFY_ROUNDS = 10;
const VERIFY_SLICE_MS = 300;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANDATE_TOKEN_TYPE = 'urn:mandate:params:oauth:token-type:mandate';
const SCOPES = ['invoices:read', 'invoices:approve'];

const TARGETS = {
  exchange: { text: '≥ 2,000 exchanges/s', met: (row: Row) => row.perSecond >= 2_000 },
  verify: { text: 'SDK within 2× of jose.jwtVerify', met: (row: Row) => (row.ratio ?? Infinity) <= 2 },
  revokeStandalone: { text: 'p99 < 50 ms', met: (row: Row) => row.p99Ms < 50 && !row.timeouts },
  revokeKafka: { text: 'p99 < 250 ms', met: (row: Row) => row.p99Ms < 250 && !row.timeouts },
};

interface Row {
  mode: 'standalone' | 'distributed';
  case: string;
  count: number;
  seconds: number;
  /** Operations per second (issuance, verification); for time to revoke, leavers per second measured. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs?: number;
  /** Verification: how many times faster jose alone is than the SDK. */
  ratio?: number;
  timeouts?: number;
  /** CPU of the server process(es), in ms per operation, and of this client. */
  serverCpuMsPerOp?: number;
  clientCpuMsPerOp?: number;
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

// ---- HTTP ----

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

type Body = { readonly json: unknown } | { readonly scim: unknown } | { readonly form: string };

const send = (base: URL, method: string, path: string, authorization: string, body?: Body) =>
  new Promise<Answer>((resolve, reject) => {
    let payload: string | undefined;
    let type: string | undefined;
    if (body && 'json' in body) [payload, type] = [JSON.stringify(body.json), 'application/json'];
    else if (body && 'scim' in body) [payload, type] = [JSON.stringify(body.scim), 'application/scim+json'];
    else if (body) [payload, type] = [body.form, 'application/x-www-form-urlencoded'];
    const request = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        headers: {
          ...(authorization && { authorization }),
          accept: 'application/json',
          ...(payload !== undefined && {
            'content-type': type,
            'content-length': Buffer.byteLength(payload),
          }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

class UnexpectedAnswer extends Error {}

const expect = (answer: Answer, what: string, ...statuses: number[]): Record<string, unknown> => {
  if (!statuses.includes(answer.status))
    throw new UnexpectedAnswer(`${what} answered ${answer.status}: ${answer.text.slice(0, 1000)}`);
  return answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {};
};

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** `probe` until it gives a value, at most `timeoutMs`; for what another service learns over Kafka. */
const eventually = async <T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000) => {
  const deadline = now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${last instanceof Error ? ` (last: ${last.message})` : ''}`,
      );
    await sleep(20);
  }
};

// ---- processes ----

/** This process's environment without what picks a backend: each service gets only what its mode says. */
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !['DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_TOPIC_PREFIX', 'MANDATE_DATA_DIR'].includes(name),
  ),
);

interface Service {
  readonly name: string;
  readonly url: URL;
  readonly child: ChildProcess;
  /** The inspector's WebSocket URL, when started with one. */
  readonly inspector: string | null;
  stop(): Promise<void>;
}

const spawnService = async (
  name: string,
  script: string,
  env: Record<string, string>,
  options: { readyPath?: string; inspect?: boolean } = {},
): Promise<Service> => {
  const port = env['PORT'] ?? env['INVOICES_PORT'] ?? String(await freePort());
  const child = spawn(process.execPath, [...(options.inspect ? ['--inspect=127.0.0.1:0'] : []), script], {
    env: { ...inherited, PORT: port, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  // Warnings and errors (JSON lines at LOG_LEVEL=warn) are passed on; banners are not.
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) console.error(`[${name}] ${line.slice(0, 500)}`);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = new URL(`http://127.0.0.1:${port}`);
  const deadline = now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited before it was ready: ${stderr.slice(-2000)}`);
    const ready = await send(url, 'GET', options.readyPath ?? '/ready', '').catch(() => null);
    if (ready?.status === 200) break;
    if (now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready after 90 s: ${ready?.text ?? stderr.slice(-2000)}`);
    }
    await sleep(100);
  }
  return {
    name,
    url,
    child,
    inspector: /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1] ?? null,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killed);
    },
  };
};

/** Where each API lives: one process standalone; directory, authz and authn distributed. */
interface Deployment {
  readonly mode: 'standalone' | 'distributed';
  readonly adminKey: string;
  /** Organizations, directories, SCIM, agents. */
  readonly directory: URL;
  /** Roles, assignments, mandates. */
  readonly authz: URL;
  /** Credentials, `/oauth/*`, the revocation feed; its URL is the issuer. */
  readonly authn: URL;
  readonly services: readonly Service[];
  /** How invoices follows revocations (its environment). */
  readonly invoicesEnv: Record<string, string>;
  readonly inspector: string | null;
  /** Distributed: the topic prefix and brokers, to watch the events go by. */
  readonly kafka?: { readonly brokers: string[]; readonly topicPrefix: string };
  stop(): Promise<void>;
}

const startStandalone = async (adminKey: string): Promise<Deployment> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-bench-tokens-'));
  try {
    const server = await spawnService(
      'standalone',
      join(root, 'dist/apps/standalone/src/main.js'),
      { MANDATE_DATA_DIR: dataDir, MANDATE_ADMIN_KEY: adminKey },
      { inspect: PROFILE },
    );
    return {
      mode: 'standalone',
      adminKey,
      directory: server.url,
      authz: server.url,
      authn: server.url,
      services: [server],
      invoicesEnv: { MANDATE_URL: server.url.origin, MANDATE_ADMIN_KEY: adminKey },
      inspector: server.inspector,
      stop: async () => {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
};

/** The four services as processes on their own fresh database and topic prefix; both removed at the end. */
const startDistributed = async (
  adminKey: string,
  databaseUrl: string,
  brokers: string,
): Promise<Deployment> => {
  const database = `mandate_bench_tokens_${run}`;
  const topicPrefix = `bench-tokens-${run}.`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const services: Service[] = [];
  const cleanUp = async () => {
    await Promise.all(services.map((service) => service.stop()));
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
  try {
    const env = {
      DATABASE_URL: url.toString(),
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      MANDATE_ADMIN_KEY: adminKey,
      MANDATE_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    // One at a time: each runs its migrations on the shared database as it starts.
    for (const name of ['directory', 'authn', 'authz', 'audit'])
      services.push(await spawnService(name, join(root, `dist/apps/${name}/src/main.js`), env));
    const [directory, authn, authz] = services as [Service, Service, Service, Service];
    return {
      mode: 'distributed',
      adminKey,
      directory: directory.url,
      authz: authz.url,
      authn: authn.url,
      services,
      invoicesEnv: { MANDATE_URL: authn.url.origin, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: topicPrefix },
      inspector: null,
      kafka: { brokers: brokers.split(','), topicPrefix },
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
};

const startInvoices = async (deployment: Deployment): Promise<Service> => {
  const port = String(await freePort());
  return spawnService(
    'invoices',
    join(root, 'dist/apps/invoices/src/main.js'),
    { INVOICES_PORT: port, INVOICES_HOST: '127.0.0.1', ...deployment.invoicesEnv },
    { readyPath: '/health' },
  );
};

const serversCpu = async (deployment: Deployment) =>
  (
    await Promise.all(
      deployment.services.map((service) =>
        processCpuSeconds(service.child.pid).then((seconds) => seconds ?? 0),
      ),
    )
  ).reduce((sum, seconds) => sum + seconds, 0);

// ---- the organization and its leavers ----

interface Organization {
  readonly orgId: string;
  readonly roleId: string;
  readonly scimBase: URL;
  readonly scimPath: string;
  readonly scimAuth: string;
}

const newOrganization = async (deployment: Deployment): Promise<Organization> => {
  const admin = `Bearer ${deployment.adminKey}`;
  const org = expect(
    await send(deployment.directory, 'POST', '/api/v1/organizations', admin, {
      json: { name: `Tokens ${run} ${deployment.mode}` },
    }),
    'POST /organizations',
    201,
  );
  const orgId = org['id'] as string;
  const directory = expect(
    await send(deployment.directory, 'POST', `/api/v1/organizations/${orgId}/directories`, admin, {
      json: { name: 'Okta', provider: 'okta' },
    }),
    'POST /directories',
    201,
  );
  const endpoint = new URL(directory['endpoint'] as string);
  const role = await eventually('authz to know the organization', async () => {
    const answer = await send(deployment.authz, 'POST', `/api/v1/organizations/${orgId}/roles`, admin, {
      json: { key: 'invoice-approver', name: 'Invoice approver', permissions: SCOPES },
    });
    return answer.status === 201 ? expect(answer, 'POST /roles', 201) : null;
  });
  return {
    orgId,
    roleId: (role['role'] as { id: string }).id,
    scimBase: new URL(endpoint.origin),
    scimPath: endpoint.pathname.replace(/\/+$/, ''),
    scimAuth: `Bearer ${directory['token'] as string}`,
  };
};

interface Leaver {
  readonly userId: string;
  readonly agentId: string;
  readonly mandateId: string;
  readonly clientId: string;
  readonly authorization: string;
}

/** A SCIM user with the role, their agent, a mandate for it and the agent's credentials. */
const newLeaver = async (
  deployment: Deployment,
  org: Organization,
  audience: string,
  i: number,
): Promise<Leaver> => {
  const admin = `Bearer ${deployment.adminKey}`;
  const api = `/api/v1/organizations/${org.orgId}`;
  const user = expect(
    await send(org.scimBase, 'POST', `${org.scimPath}/Users`, org.scimAuth, {
      scim: {
        schemas: [USER],
        userName: `leaver-${i}@bench.example`,
        externalId: `00u${run}${String(i).padStart(7, '0')}`,
        name: { givenName: 'Leaver', familyName: String(i) },
        emails: [{ value: `leaver-${i}@bench.example`, type: 'work', primary: true }],
        active: true,
      },
    }),
    'SCIM POST /Users',
    201,
  );
  const userId = user['id'] as string;
  await eventually('authz to accept the role assignment', async () => {
    const answer = await send(deployment.authz, 'POST', `${api}/roles/${org.roleId}/assignments`, admin, {
      json: { subject: `user:${userId}` },
    });
    return answer.status === 200 || answer.status === 201 ? true : null;
  });
  const agentId = expect(
    await send(deployment.directory, 'POST', `${api}/agents`, admin, {
      json: { displayName: `agent of leaver ${i}`, ownerIds: [userId] },
    }),
    'POST /agents',
    201,
  )['id'] as string;
  const mandate = await eventually('authz to know the user and the agent', async () => {
    const answer = await send(deployment.authz, 'POST', `${api}/mandates`, admin, {
      json: { userId, agentId, permissions: SCOPES, reason: 'bench' },
    });
    if (answer.status >= 500) expect(answer, 'POST /mandates', 201);
    return answer.status === 201 ? expect(answer, 'POST /mandates', 201) : null;
  });
  const credentials = await eventually('authn to know the agent', async () => {
    const answer = await send(deployment.authn, 'POST', `${api}/agents/${agentId}/credentials`, admin, {
      json: { tokenEndpointAuthMethod: 'client_secret_basic', audiences: [audience] },
    });
    if (answer.status >= 500) expect(answer, 'POST /credentials', 201);
    return answer.status === 201 ? expect(answer, 'POST /credentials', 201) : null;
  });
  const clientId = credentials['clientId'] as string;
  return {
    userId,
    agentId,
    mandateId: (mandate['mandate'] as { id: string }).id,
    clientId,
    authorization: basic(clientId, credentials['clientSecret'] as string),
  };
};

const exchangeForm = (leaver: Leaver, audience: string) =>
  new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    subject_token: leaver.mandateId,
    subject_token_type: MANDATE_TOKEN_TYPE,
    resource: audience,
    scope: SCOPES.join(' '),
  }).toString();

const exchange = async (deployment: Deployment, leaver: Leaver, form: string): Promise<string> => {
  const answer = await send(deployment.authn, 'POST', '/oauth/token', leaver.authorization, { form });
  return expect(answer, 'token exchange', 200)['access_token'] as string;
};

// ---- issuance ----

/** `workers` loops of `step` until `maxSteps` in all or `seconds`, whichever first; latency of each. */
const bounded = async (
  workers: number,
  maxSteps: number,
  seconds: number,
  step: (i: number) => Promise<void>,
) => {
  const deadline = now() + seconds * 1000;
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
  const elapsed = (now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, seconds: elapsed, latencies };
};

const measureIssuance = async (
  deployment: Deployment,
  name: string,
  workers: number,
  step: (i: number) => Promise<void>,
  target?: (typeof TARGETS)[keyof typeof TARGETS],
) => {
  const serverBefore = await serversCpu(deployment);
  const clientBefore = process.cpuUsage();
  const result = await bounded(workers, workers === 1 ? MAX_SEQUENTIAL : MAX_CONCURRENT, SECONDS, step);
  const serverCpu = (await serversCpu(deployment)) - serverBefore;
  const client = process.cpuUsage(clientBefore);
  const row: Row = {
    mode: deployment.mode,
    case: name,
    count: result.count,
    seconds: round(result.seconds, 3),
    perSecond: Math.round(result.count / result.seconds),
    p50Ms: round(percentile(result.latencies, 0.5), 2),
    p99Ms: round(percentile(result.latencies, 0.99), 2),
    serverCpuMsPerOp: round((serverCpu * 1000) / Math.max(1, result.count), 3),
    clientCpuMsPerOp: round((client.user + client.system) / 1000 / Math.max(1, result.count), 3),
    notes: `server ${round(serverCpu / result.seconds)} cores busy; load ${loadAverage()}`,
  };
  if (target) {
    row.target = target.text;
    row.targetMet = target.met(row);
  }
  rows.push(row);
  console.log(
    `${row.mode.padEnd(11)} ${name.padEnd(58)} ${String(row.perSecond).padStart(6)}/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  ` +
      `(${row.count} in ${row.seconds.toFixed(1)} s; server ${row.serverCpuMsPerOp} ms CPU each)` +
      `${row.target ? `  [target ${row.target}: ${row.targetMet ? 'met' : 'MISSED'}]` : ''}`,
  );
  return row;
};

// ---- verification ----

/** Operations per second of `verify` over one slice of time, 50 at a time. */
const slice = async (verify: (i: number) => Promise<unknown>): Promise<number> => {
  let operations = 0;
  const started = now();
  const deadline = started + VERIFY_SLICE_MS;
  while (now() < deadline) {
    for (let k = 0; k < 50; k++) await verify(operations + k);
    operations += 50;
  }
  return operations / ((now() - started) / 1000);
};

/** Median operations per second of each variant over interleaved slices (a busy neighbour slows all alike). */
const compareVerifiers = async (variants: readonly ((i: number) => Promise<unknown>)[]) => {
  for (const verify of variants) for (let i = 0; i < 1_000; i++) await verify(i);
  const samples = variants.map((): number[] => []);
  for (let r = 0; r < VERIFY_ROUNDS; r++)
    for (const [index, verify] of variants.entries()) samples[index]!.push(await slice(verify));
  return samples.map((values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      median: sorted[Math.floor(sorted.length / 2)]!,
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
    };
  });
};

const measureVerification = async (deployment: Deployment, tokens: readonly string[], audience: string) => {
  const issuer = deployment.authn.origin;
  const jwks = expect(await send(deployment.authn, 'GET', '/oauth/jwks', ''), 'GET /oauth/jwks', 200) as {
    keys: (JWK & { kid: string })[];
  };
  const header = JSON.parse(Buffer.from(tokens[0]!.split('.')[0]!, 'base64url').toString()) as {
    alg: string;
    kid: string;
  };
  if (header.alg !== 'EdDSA') throw new Error(`Mandate signed with ${header.alg}, not EdDSA`);
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} is not in ${issuer}/oauth/jwks`);
  const key = await importJWK(jwk, 'EdDSA');
  const sdk = createTokenVerifier({ issuer, audience });
  const withRevocations = createTokenVerifier({
    issuer,
    audience,
    revocations: staticRevocations(Array.from({ length: 10_000 }, (_, i) => `grt_revoked_${i}`)),
  });
  await sdk.warmUp();
  await withRevocations.warmUp();
  // Every token is Mandate's and verifies, by both, before anything is timed.
  for (const token of tokens) {
    await jwtVerify(token, key, { issuer, audience, algorithms: ['EdDSA'], typ: 'at+jwt' });
    const verified = await sdk.verify(token);
    if (verified.actor === null || !verified.scopes.has('invoices:read'))
      throw new Error(`A token verified without its act or scope: ${JSON.stringify(verified.claims)}`);
  }
  const pick = (i: number) => tokens[i % tokens.length]!;
  const joseOptions = { issuer, audience, algorithms: ['EdDSA'], clockTolerance: 30 };
  const joseStrict = {
    ...joseOptions,
    typ: 'at+jwt',
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'org_id', 'grant_id'],
  };
  const cpuBefore = process.cpuUsage();
  const [raw, strict, ours, guarded] = (await compareVerifiers([
    (i) => jwtVerify(pick(i), key, joseOptions),
    (i) => jwtVerify(pick(i), key, joseStrict),
    (i) => sdk.verify(pick(i)),
    (i) => withRevocations.verify(pick(i)),
  ])) as [Spread, Spread, Spread, Spread];
  const cpu = process.cpuUsage(cpuBefore);
  const ratio = round(raw.median / ours.median);
  const variants: [string, Spread, number?][] = [
    ['jose.jwtVerify (iss, aud, alg EdDSA)', raw],
    ['jose.jwtVerify (+ typ at+jwt, required claims)', strict],
    ['SDK createTokenVerifier().verify', ours, ratio],
    ['SDK verify + 10,000 revoked grants', guarded, round(raw.median / guarded.median)],
  ];
  for (const [name, spread, r] of variants) {
    const row: Row = {
      mode: deployment.mode,
      case: `verify: ${name}`,
      count: VERIFY_ROUNDS,
      seconds: round((VERIFY_ROUNDS * VERIFY_SLICE_MS) / 1000, 1),
      perSecond: Math.round(spread.median),
      p50Ms: round(1000 / spread.median, 4),
      p99Ms: round(1000 / spread.min, 4),
      ...(r !== undefined && { ratio: r, target: TARGETS.verify.text }),
      notes: `one core (this process, sequential); median of ${VERIFY_ROUNDS} interleaved ${VERIFY_SLICE_MS} ms slices (min ${Math.round(spread.min)}/s, max ${Math.round(spread.max)}/s); p50/p99: mean time per verification at the median/slowest slice; ${tokens.length} tokens Mandate issued`,
    };
    if (row.target) row.targetMet = TARGETS.verify.met(row);
    rows.push(row);
    console.log(
      `${row.mode.padEnd(11)} ${row.case.padEnd(58)} ${String(row.perSecond).padStart(6)}/s  ${row.p50Ms * 1000} µs each` +
        `${r === undefined ? '' : `  jose ÷ this ×${r}`}${row.target ? `  [target ${row.target}: ${row.targetMet ? 'met' : 'MISSED'}]` : ''}`,
    );
  }
  details['verificationCpuSeconds'] = round((cpu.user + cpu.system) / 1e6);
};
type Spread = { median: number; min: number; max: number };

// ---- time to revoke ----

/** Polls `probe` 1 ms apart until it says yes, at most REVOKE_TIMEOUT_MS from `from`; ms from `from`, or null. */
const until = async (from: number, probe: () => Promise<boolean>) => {
  let polls = 0;
  for (;;) {
    polls++;
    if (await probe()) return { ms: now() - from, polls };
    if (now() - from > REVOKE_TIMEOUT_MS) return { ms: null, polls };
    await sleep(POLL_GAP_MS);
  }
};

/**
 * A consumer of its own on the directory and authn topics: when (producer time, ms) each leaver's
 * `directory.user.deactivated` and first `authn.grant.revoked` reached Kafka, to split the time to
 * revoke into its hops.
 */
const tapKafka = async (kafka: NonNullable<Deployment['kafka']>) => {
  const client = new Kafka({
    brokers: kafka.brokers,
    clientId: 'mandate-bench-tap',
    logLevel: logLevel.NOTHING,
  });
  const consumer = client.consumer({ groupId: `${kafka.topicPrefix}bench-tap-${run}` });
  const seen = new Map<string, { deactivated?: number; revoked?: number }>();
  await consumer.connect();
  await consumer.subscribe({
    topics: [
      `${kafka.topicPrefix}mandate.directory.events.v1`,
      `${kafka.topicPrefix}mandate.authn.events.v1`,
    ],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: ({ message }) => {
      const type = message.headers?.['ce_type']?.toString();
      if (type !== 'directory.user.deactivated' && type !== 'authn.grant.revoked') return Promise.resolve();
      const text = message.value?.toString('utf8') ?? '';
      const userId = /"(?:userId|subject)":"(usr_[^"]+)"/.exec(text)?.[1];
      if (userId) {
        const entry = seen.get(userId) ?? {};
        const at = Number(message.timestamp);
        if (type === 'directory.user.deactivated') entry.deactivated ??= at;
        else entry.revoked ??= at;
        seen.set(userId, entry);
      }
      return Promise.resolve();
    },
  });
  return { seen, stop: () => consumer.disconnect() };
};

const timeToRevoke = async (deployment: Deployment, org: Organization, invoices: Service) => {
  const audience = invoices.url.origin;
  const admin = `Bearer ${deployment.adminKey}`;
  const tap = deployment.kafka ? await tapKafka(deployment.kafka) : null;
  const hops: { relay: number[]; cascade: number[]; consumer: number[] } = {
    relay: [],
    cascade: [],
    consumer: [],
  };
  const pendingHops: { userId: string; responseAt: number; refusedAfter: number }[] = [];
  // Prepared in bulk, a few at a time, bounded in count and time.
  const leavers: Leaver[] = [];
  const prepareDeadline = now() + PREPARE_SECONDS * 1000;
  let next = 0;
  const prepareStarted = now();
  await Promise.all(
    Array.from({ length: PREPARE_CONCURRENCY }, async () => {
      while (next < LEAVERS && now() < prepareDeadline) {
        const i = next++;
        leavers.push(await newLeaver(deployment, org, audience, i));
      }
    }),
  );
  const prepareSeconds = (now() - prepareStarted) / 1000;
  console.log(
    `${deployment.mode.padEnd(11)} prepared ${leavers.length} leavers (SCIM user, role, agent, mandate, credentials) in ${prepareSeconds.toFixed(1)} s`,
  );

  const introspection: number[] = [];
  const refusal: number[] = [];
  const patches: number[] = [];
  let timeouts = 0;
  let polls = 0;
  let measured = 0;
  const deadline = now() + LEAVER_SECONDS * 1000;
  const started = now();
  for (const leaver of leavers) {
    if (now() > deadline) break;
    // A fresh token (tokens live 5 minutes), accepted by both before the leaver leaves.
    const form = exchangeForm(leaver, audience);
    const token = await eventually('authn to exchange the mandate', () =>
      exchange(deployment, leaver, form).catch((error: unknown) => {
        if (error instanceof UnexpectedAnswer && /answered 4\d\d/.test(error.message)) return null;
        throw error;
      }),
    );
    const bearer = `Bearer ${token}`;
    const introspect = `token=${encodeURIComponent(token)}`;
    const accepted = await send(invoices.url, 'GET', '/invoices', bearer);
    expect(accepted, 'GET /invoices before the deactivation', 200);
    const active = expect(
      await send(deployment.authn, 'POST', '/oauth/introspect', admin, { form: introspect }),
      'introspection before the deactivation',
      200,
    );
    if (active['active'] !== true)
      throw new Error(`A fresh token introspects inactive: ${JSON.stringify(active)}`);

    const sent = now();
    const answer = await send(org.scimBase, 'PATCH', `${org.scimPath}/Users/${leaver.userId}`, org.scimAuth, {
      scim: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    const t0 = now();
    const responseAt = Date.now();
    expect(answer, 'SCIM PATCH active=false', 200, 204);
    patches.push(t0 - sent);
    const [inactive, refused] = await Promise.all([
      until(t0, async () => {
        const body = expect(
          await send(deployment.authn, 'POST', '/oauth/introspect', admin, { form: introspect }),
          'introspection',
          200,
        );
        return body['active'] === false;
      }),
      until(t0, async () => {
        const response = await send(invoices.url, 'GET', '/invoices', bearer);
        if (response.status === 200) return false;
        if (response.status === 401 && /revoked/i.test(response.text)) return true;
        throw new UnexpectedAnswer(
          `invoices answered ${response.status} instead of a revocation: ${response.text.slice(0, 300)}`,
        );
      }),
    ]);
    polls += inactive.polls + refused.polls;
    if (inactive.ms === null || refused.ms === null) timeouts++;
    if (inactive.ms !== null) introspection.push(inactive.ms);
    if (refused.ms !== null) refusal.push(refused.ms);
    if (refused.ms !== null)
      pendingHops.push({ userId: leaver.userId, responseAt, refusedAfter: refused.ms });
    measured++;
  }
  if (tap) {
    await sleep(1_000);
    for (const { userId, responseAt, refusedAfter } of pendingHops) {
      const seen = tap.seen.get(userId);
      if (seen?.deactivated === undefined || seen.revoked === undefined) continue;
      hops.relay.push(seen.deactivated - responseAt);
      hops.cascade.push(seen.revoked - seen.deactivated);
      hops.consumer.push(responseAt + refusedAfter - seen.revoked);
    }
    await tap.stop();
    const summary = Object.fromEntries(
      Object.entries(hops).map(([hop, values]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return [
          hop,
          {
            count: values.length,
            p50Ms: round(percentile(sorted, 0.5), 1),
            p99Ms: round(percentile(sorted, 0.99), 1),
          },
        ];
      }),
    );
    details[`${deployment.mode} hops`] = {
      what:
        'per leaver, from Kafka producer timestamps (ms resolution, same clock): relay = SCIM response → directory.user.deactivated on Kafka ' +
        '(negative: published before the response reached the client); cascade = that → authn.grant.revoked on Kafka (authn consumes, revokes, its relay publishes); ' +
        'consumer = that → invoices refuses (the SDK consumer in invoices, plus up to one poll gap)',
      ...summary,
    };
    console.log(
      `${deployment.mode.padEnd(11)} hops (p50 / p99 ms): ${Object.entries(summary)
        .map(([hop, { p50Ms, p99Ms }]) => `${hop} ${p50Ms} / ${p99Ms}`)
        .join(', ')}`,
    );
  }
  const seconds = (now() - started) / 1000;
  const sortedPatches = [...patches].sort((a, b) => a - b);
  const fitted =
    measured < LEAVERS
      ? `${measured} of ${LEAVERS} leavers (bounded by BENCH_PREPARE_SECONDS=${PREPARE_SECONDS} / BENCH_LEAVER_SECONDS=${LEAVER_SECONDS})`
      : `${measured} leavers`;
  const target = deployment.mode === 'standalone' ? TARGETS.revokeStandalone : TARGETS.revokeKafka;
  const over =
    deployment.mode === 'standalone'
      ? 'invoices on the SSE feed'
      : 'invoices on Kafka `mandate.authn.events.v1`';
  for (const [name, values] of [
    ['time to revoke: SCIM deactivation → introspection active:false', introspection],
    [`time to revoke: SCIM deactivation → invoices refuses (${over})`, refusal],
  ] as const) {
    const sorted = [...values].sort((a, b) => a - b);
    const row: Row = {
      mode: deployment.mode,
      case: name,
      count: values.length,
      seconds: round(seconds, 1),
      perSecond: round(measured / seconds, 1),
      p50Ms: round(percentile(sorted, 0.5), 2),
      p99Ms: round(percentile(sorted, 0.99), 2),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
      timeouts,
      target: target.text,
      notes:
        `${fitted}; from the SCIM PATCH's response, polled ${POLL_GAP_MS} ms apart (${round(polls / Math.max(1, measured), 1)} polls per leaver, both probes); ` +
        `the PATCH itself p50 ${round(percentile(sortedPatches, 0.5), 1)} ms, p99 ${round(percentile(sortedPatches, 0.99), 1)} ms; ` +
        `leavers prepared in ${round(prepareSeconds, 1)} s; load ${loadAverage()}`,
    };
    row.targetMet = target.met(row);
    rows.push(row);
    console.log(
      `${row.mode.padEnd(11)} ${name.padEnd(58)} p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  max ${row.maxMs} ms  ` +
        `(${values.length} leavers${timeouts ? `, ${timeouts} timeouts` : ''})  [target ${row.target}: ${row.targetMet ? 'met' : 'MISSED'}]`,
    );
  }
  details[`${deployment.mode} leavers`] = {
    requested: LEAVERS,
    prepared: leavers.length,
    measured,
    prepareSeconds: round(prepareSeconds, 1),
    measureSeconds: round(seconds, 1),
    patchP50Ms: round(percentile(sortedPatches, 0.5), 2),
    patchP99Ms: round(percentile(sortedPatches, 0.99), 2),
  };
};

// ---- profiling (the standalone server, over its inspector) ----

/** Self time by where the code lives, and inclusive time of the functions that matter most. */
const summarise = (profile: CpuProfile) => {
  const counts = new Map<number, number>();
  for (const sample of profile.samples) counts.set(sample, (counts.get(sample) ?? 0) + 1);
  const total = profile.samples.length;
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const area = (url: string, name: string) => {
    if (!url) return name.startsWith('(') ? name : '(native)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1]!;
    const lib = /dist\/(libs\/[^/]+(?:\/(?:domain|infrastructure))?|apps\/[^/]+)/.exec(url);
    if (lib) return lib[1]!;
    return url.startsWith('node:') ? 'node' : url;
  };
  const key = (node: CpuProfile['nodes'][number]) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`;
  };
  const byArea = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [nodeId, samples] of counts) {
    const node = byId.get(nodeId)!;
    const where = area(node.callFrame.url, node.callFrame.functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + samples);
    self.set(key(node), (self.get(key(node)) ?? 0) + samples);
    const seen = new Set<string>();
    for (let at: number | undefined = nodeId; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      if (!frame.callFrame.url.includes('/dist/libs/')) continue;
      const name = key(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + samples);
    }
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, samples]) => ({ name, percent: round((100 * samples) / total, 1) }));
  return {
    samples: total,
    selfByArea: top(byArea, 15),
    selfByFunction: top(self, 20),
    inclusiveMandateFunctions: top(inclusive, 25),
  };
};

// ---- the modes ----

const runStandalone = async (adminKey: string) => {
  const deployment = await startStandalone(adminKey);
  let invoices: Service | null = null;
  try {
    const org = await newOrganization(deployment);
    invoices = await startInvoices(deployment);
    const audience = invoices.url.origin;
    // One agent's credentials for the issuance cases.
    const leaver = await newLeaver(deployment, org, audience, -1);
    const ccForm = new URLSearchParams({ grant_type: 'client_credentials', resource: audience }).toString();
    const clientCredentials = async () => {
      const body = expect(
        await send(deployment.authn, 'POST', '/oauth/token', leaver.authorization, { form: ccForm }),
        'client_credentials',
        200,
      );
      if (typeof body['access_token'] !== 'string')
        throw new Error('client_credentials gave no access_token');
    };
    const form = exchangeForm(leaver, audience);
    const tokens: string[] = [];
    const exchangeOnce = async () => {
      const token = await exchange(deployment, leaver, form);
      if (tokens.length < 2_000) tokens.push(token);
    };
    await eventually('the first exchange', () => exchange(deployment, leaver, form).catch(() => null));
    for (let i = 0; i < 200; i++) await clientCredentials();
    for (let i = 0; i < 200; i++) await exchangeOnce();

    await measureIssuance(
      deployment,
      'client_credentials (client_secret_basic), sequential',
      1,
      clientCredentials,
    );
    await measureIssuance(
      deployment,
      `client_credentials (client_secret_basic), ${CONCURRENCY} concurrent`,
      CONCURRENCY,
      clientCredentials,
    );
    tokens.length = 0;
    await measureIssuance(
      deployment,
      'token exchange (mandate → access token), sequential',
      1,
      exchangeOnce,
      TARGETS.exchange,
    );
    await measureIssuance(
      deployment,
      `token exchange (mandate → access token), ${CONCURRENCY} concurrent`,
      CONCURRENCY,
      exchangeOnce,
      TARGETS.exchange,
    );
    await measureVerification(deployment, tokens.slice(-1_000), audience);

    if (PROFILE && deployment.inspector) {
      const profileDir = join(root, '.local', 'bench');
      await mkdir(profileDir, { recursive: true });
      const { result, profile } = await profileWhile(deployment.inspector, () =>
        bounded(CONCURRENCY, MAX_CONCURRENT, Math.min(SECONDS, 8), exchangeOnce),
      );
      const file = join(profileDir, 'tokens-exchange.cpuprofile');
      await writeFile(file, JSON.stringify(profile));
      const summary = summarise(profile);
      details['profile'] = {
        while: `token exchange, ${CONCURRENCY} concurrent, ${Math.round(result.count / result.seconds)}/s under the profiler`,
        file: file.slice(file.indexOf('.local/')),
        ...summary,
      };
      console.log('\nstandalone  where the server spends its time under token exchange:');
      console.log('  self time by area:');
      for (const { name, percent } of summary.selfByArea.slice(0, 10))
        console.log(`  ${String(percent).padStart(5)}%  ${name}`);
      console.log('  inclusive time, Mandate functions:');
      for (const { name, percent } of summary.inclusiveMandateFunctions.slice(0, 15))
        console.log(`  ${String(percent).padStart(5)}%  ${name}`);
      console.log('');
    }

    await timeToRevoke(deployment, org, invoices);
  } finally {
    await invoices?.stop();
    await deployment.stop();
  }
};

const runDistributed = async (adminKey: string, databaseUrl: string, brokers: string) => {
  const deployment = await startDistributed(adminKey, databaseUrl, brokers);
  let invoices: Service | null = null;
  try {
    const org = await newOrganization(deployment);
    invoices = await startInvoices(deployment);
    await timeToRevoke(deployment, org, invoices);
  } finally {
    await invoices?.stop();
    await deployment.stop();
  }
};

const main = async () => {
  const loadAtStart = loadavg();
  const adminKey = `mandate_admin_${randomBytes(32).toString('hex')}`;
  const skipped: Record<string, string> = {};
  console.log(`tokens benchmark; load average at start: ${loadAverage()} (${cpus().length} CPUs)\n`);

  if (MODES.includes('standalone')) await runStandalone(adminKey);
  else skipped['standalone'] = 'not in BENCH_MODES';
  const databaseUrl = process.env['DATABASE_URL'];
  const brokers = process.env['KAFKA_BROKERS'];
  if (!MODES.includes('distributed')) skipped['distributed'] = 'not in BENCH_MODES';
  else if (!databaseUrl || !brokers)
    skipped['distributed'] =
      'set DATABASE_URL and KAFKA_BROKERS (deploy/local/postgres-start.sh and kafka-start.sh start them)';
  else await runDistributed(adminKey, databaseUrl, brokers);
  for (const [mode, why] of Object.entries(skipped)) console.log(`${mode.padEnd(11)} skipped: ${why}`);

  console.log(
    '\n| mode | case | count | s | per second | p50 / p99 ms | server CPU ms/op | target | notes |\n|---|---|---:|---:|---:|---:|---:|---|---|',
  );
  for (const row of rows) {
    const target = row.target ? `${row.target}: ${row.targetMet ? 'met' : '**missed**'}` : '';
    console.log(
      `| ${row.mode} | ${row.case} | ${row.count} | ${row.seconds} | ${row.perSecond} | ${row.p50Ms} / ${row.p99Ms} | ${row.serverCpuMsPerOp ?? ''} | ${target} | ${row.notes ?? ''} |`,
    );
  }
  for (const note of notes) console.log(`note: ${note}`);

  await writeResults('tokens', loadAtStart, {
    settings: {
      secondsPerIssuanceCase: SECONDS,
      concurrency: CONCURRENCY,
      leavers: LEAVERS,
      prepareSeconds: PREPARE_SECONDS,
      leaverSeconds: LEAVER_SECONDS,
      revokeTimeoutMs: REVOKE_TIMEOUT_MS,
      pollGapMs: POLL_GAP_MS,
      verifyRounds: VERIFY_ROUNDS,
      verifySliceMs: VERIFY_SLICE_MS,
      client: 'node:http, keep-alive, same machine as the servers (they share the CPUs)',
    },
    targets: Object.fromEntries(Object.entries(TARGETS).map(([name, { text }]) => [name, text])),
    results: rows,
    skipped,
    details,
    notes: [process.env['BENCH_NOTES'], ...notes].filter(Boolean),
  });
  console.log('\nwritten to bench/results/tokens.json');
};

main()
  .catch((error: unknown) => {
    console.error(error instanceof UnexpectedAnswer ? `aborted: ${error.message}` : error);
    process.exitCode = 1;
  })
  .finally(() => agent.destroy());
