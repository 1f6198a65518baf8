// Distributed-mode smoke test: the four services as separate processes on PostgreSQL and Kafka, one
// organization created in directory and seen by authn, authz and audit through Kafka; then a SCIM
// directory of that organization provisioned by the scripted Okta and Entra ID runs (the build of
// libs/directory/infrastructure/src/testing/idp-scenarios.ts); then the agent stories of `npm run demo`
// (the leaver and the mover, the build of tools/demo) across the services, the invoices service following
// revocations on authn's Kafka topic.
// Needs DATABASE_URL and KAFKA_BROKERS; run `npm run build` first. Bounded: gives up after 240 s.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { DATABASE_URL, KAFKA_BROKERS } = process.env;
if (!DATABASE_URL || !KAFKA_BROKERS) throw new Error('Set DATABASE_URL and KAFKA_BROKERS');

const run = randomBytes(4).toString('hex');
const database = `mandate_smoke_${run}`;
const adminKey = `mandate_admin_${randomBytes(24).toString('base64url')}`;
const secretKey = randomBytes(32).toString('base64');
const services = { directory: 18181, authn: 18182, authz: 18183, audit: 18184 };
const deadline = Date.now() + 240_000;
const topicPrefix = `smoke-${run}.`;

const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`create database ${database}`);
const url = new URL(DATABASE_URL);
url.pathname = `/${database}`;

const spawnService = (service, port) => {
  const child = spawn(process.execPath, [join(root, 'dist/apps', service, 'src/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: url.toString(),
      MANDATE_ADMIN_KEY: adminKey,
      MANDATE_SECRET_KEY: secretKey,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (code !== null && code !== 0) console.error(`${service} exited with ${code ?? signal}`);
  });
  return child;
};
const running = Object.fromEntries(
  Object.entries(services).map(([service, port]) => [service, spawnService(service, port)]),
);
const children = () => Object.values(running);

const request = async (port, path, init = {}) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: await response.json().catch(() => null) };
};

/** The scripted IdP runs, compiled to CommonJS: their exports are the module's default export. */
const loadScenarios = async () => {
  const loaded = await import(
    pathToFileURL(join(root, 'dist/libs/directory/infrastructure/src/testing/idp-scenarios.js')).href
  );
  const scenarios = loaded.default ?? loaded;
  for (const name of ['runOktaProvisioning', 'runEntraProvisioning']) {
    if (typeof scenarios[name] !== 'function') throw new Error(`The idp-scenarios build exports no ${name}`);
  }
  return scenarios;
};

/** The agent stories, compiled to CommonJS like the scenarios. */
const loadStories = async () => {
  const loaded = await import(pathToFileURL(join(root, 'dist/tools/demo/index.js')).href);
  const stories = loaded.default ?? loaded;
  for (const name of ['runLeaverStory', 'runMoverStory']) {
    if (typeof stories[name] !== 'function') throw new Error(`The tools/demo build exports no ${name}`);
  }
  return stories;
};

/** `promise`, or a rejection once the smoke test's deadline passes. */
const beforeDeadline = (what, promise) => {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out during ${what}`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
};

const eventually = async (what, probe) => {
  for (;;) {
    const result = await probe().catch(() => null);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(200);
  }
};

/**
 * Directory → Kafka → authz: a SCIM group mapped to a role gives its member a permission, which the
 * member delegates to an agent; when the directory removes the member from the group, the mandate
 * narrows away in the authz service and the agent loses the power.
 */
/**
 * The audit service, fed over Kafka, holds the leaver's cascade as one story: the deactivation, the
 * mandate revoked because of it and the agent's grant revoked because of that, under one correlation id.
 */
const auditTellsTheLeaverStory = async ({ orgId, aliceId }) => {
  const cascade = await eventually('the audit log to hold the leaver cascade', async () => {
    const { body } = await request(services.audit, `/api/v1/organizations/${orgId}/audit/records?limit=1000`);
    const records = body?.data ?? [];
    const left = records.find((record) => record.action === 'user.deactivated');
    const revoked = records.find((record) => record.action === 'grant.revoked');
    const mandate = records.find((record) => record.action === 'mandate.revoked');
    return left && revoked && mandate ? { left, revoked, mandate, records } : null;
  });
  if (cascade.revoked.context.correlationId !== cascade.left.context.correlationId)
    throw new Error('the grant revocation does not share the deactivation correlation id');
  if (!cascade.records.some((record) => record.actor.chain.length === 2 && record.actor.chain[0] === aliceId))
    throw new Error('no record names invoice-bot acting for Alice');
  const sequences = cascade.records.map((record) => record.sequence);
  if (sequences.some((sequence, i) => sequence !== i))
    throw new Error('the audit log has gaps or duplicates');
  const checkpoint = await request(services.audit, `/api/v1/organizations/${orgId}/audit/checkpoints`, {
    method: 'POST',
  });
  if (!checkpoint.body?.checkpoint?.signed) throw new Error('the audit service signed no checkpoint');
  console.log(
    `smoke: audit holds the leaver cascade (${cascade.records.length} records, checkpoint at ${checkpoint.body.checkpoint.treeSize})`,
  );
};

/** A SIEM on loopback that takes the organization's log stream (Standard Webhooks), checking each signature. */
const startSiem = async () => {
  const received = [];
  let secret = null;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = req.headers['webhook-id'];
      const signed = `${id}.${req.headers['webhook-timestamp']}.${body}`;
      const expected = secret
        ? createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
            .update(signed)
            .digest('base64')
        : null;
      if (!expected || req.headers['webhook-signature'] !== `v1,${expected}`) {
        res.writeHead(401).end();
        return;
      }
      received.push(JSON.parse(body).data);
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/ingest`,
    received,
    useSecret: (value) => (secret = value),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

/** Kill -9 the audit service while the directory's events stream to it, then start it again. */
const killAuditMidStream = async (orgId) => {
  await eventually('the audit service to be mid-stream', async () => {
    const { body } = await request(services.audit, `/api/v1/organizations/${orgId}/audit/records?limit=1000`);
    return (body?.data ?? []).some((record) => record.action === 'user.provisioned');
  });
  const audit = running.audit;
  const exited = new Promise((done) => audit.once('exit', done));
  audit.kill('SIGKILL');
  await exited;
  running.audit = spawnService('audit', services.audit);
  await eventually(
    'the audit service to be ready again',
    async () => (await request(services.audit, '/ready')).status === 200,
  );
  console.log('smoke: audit killed with SIGKILL mid-stream and restarted');
};

const directoryEventsOf = async (orgId) => {
  const events = [];
  for (let after = ''; ;) {
    const { body } = await request(
      services.directory,
      `/api/v1/events?orgId=${orgId}&limit=500${after ? `&after=${after}` : ''}`,
    );
    events.push(...body.data);
    if (body.data.length === 0 || !body.nextCursor || body.nextCursor === after) return events;
    after = body.nextCursor;
  }
};

/**
 * After the kill -9: every directory event of the organization is in its audit log exactly once, the
 * log has no gap, and its export verifies offline against the signed checkpoints (the proofs).
 */
const auditHoldsEveryEventOnce = async (orgId) => {
  const events = await directoryEventsOf(orgId);
  const records = await eventually('the audit log to hold every directory event', async () => {
    const all = [];
    for (let after = -1; ;) {
      const { body } = await request(
        services.audit,
        `/api/v1/organizations/${orgId}/audit/records?limit=1000&after=${after}`,
      );
      all.push(...body.data);
      if (!body.nextCursor) break;
      after = body.nextCursor;
    }
    const ids = new Set(all.map((record) => record.id));
    return events.every((event) => ids.has(event.id)) ? all : null;
  });
  const ids = records.map((record) => record.id);
  if (new Set(ids).size !== ids.length) throw new Error('the audit log holds an event twice');
  // The stream to the SIEM, running across the crash: every record it was sent arrives in log order.
  const streamed = await eventually('the SIEM to receive the log through the crash', async () =>
    siem.received.length >= records.length ? siem.received : null,
  );
  const firstOfEach = new Map();
  for (const record of streamed)
    if (!firstOfEach.has(record.sequence)) firstOfEach.set(record.sequence, record);
  if ([...firstOfEach.keys()].some((sequence, i) => sequence !== i))
    throw new Error('the SIEM stream skipped or reordered records');
  if (records.some((record) => firstOfEach.get(record.sequence)?.id !== record.id))
    throw new Error('the SIEM stream disagrees with the log');
  if (records.some((record, i) => record.sequence !== i)) throw new Error('the audit log has a gap');
  const { verifyExportLines, parseVerifierKey } = await import(
    pathToFileURL(join(root, 'dist/libs/audit/infrastructure/src/cli/verify-export-file.js')).href
  ).then((loaded) => loaded.default ?? loaded);
  const keys = (await request(services.audit, '/api/v1/audit/keys')).body.data.map((key) =>
    parseVerifierKey(key.verifierKey),
  );
  const exported = await fetch(
    `http://127.0.0.1:${services.audit}/api/v1/organizations/${orgId}/audit/export`,
    {
      headers: { authorization: `Bearer ${adminKey}` },
    },
  ).then((response) => response.text());
  const { verification } = verifyExportLines(exported.split('\n'), keys);
  if (!verification.ok) throw new Error(`the audit export does not verify: ${verification.detail}`);
  console.log(
    `smoke: after the kill -9 the audit log holds all ${events.length} directory events once, ` +
      `${records.length} records without a gap; its export of ${verification.size} verifies; the SIEM stream ` +
      `delivered them in order (${streamed.length - firstOfEach.size} redelivered after the crash, deduplicated by webhook-id)`,
  );
};

const mandateAcrossServices = async ({ scimBaseUrl, token, orgId }) => {
  const begun = Date.now();
  const scim = async (path, init) => {
    const response = await fetch(`${scimBaseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const authz = (path, body) =>
    request(services.authz, path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  const user = await scim('/Users', {
    method: 'POST',
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `mover-${run}@smoke.example`,
    }),
  });
  const group = await scim('/Groups', {
    method: 'POST',
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: `Writers ${run}`,
      members: [{ value: user.body.id }],
    }),
  });
  if (user.status !== 201 || group.status !== 201)
    throw new Error('SCIM provisioning for the authz run failed');
  const role = await authz(`/api/v1/organizations/${orgId}/roles`, {
    key: 'writer',
    name: 'Writer',
    permissions: ['documents:write'],
  });
  if (role.status !== 201) throw new Error(`Creating a role in authz answered ${role.status}`);
  await authz(`/api/v1/organizations/${orgId}/role-mappings`, {
    source: { kind: 'directory_group', groupId: group.body.id },
    roleId: role.body.role.id,
  });
  const agent = await request(services.directory, `/api/v1/organizations/${orgId}/agents`, {
    method: 'POST',
    body: JSON.stringify({ displayName: 'Smoke agent', ownerIds: [user.body.id] }),
  });
  const subject = {
    orgId,
    subject: `agent:${agent.body.id}`,
    onBehalfOf: `user:${user.body.id}`,
    permission: 'documents:write',
  };
  const grant = () =>
    authz(`/api/v1/organizations/${orgId}/mandates`, {
      userId: user.body.id,
      agentId: agent.body.id,
      permissions: ['documents:write'],
      reason: 'smoke test',
    });
  const first = await eventually('authz to learn the user, the agent and the membership', async () => {
    const answer = await grant();
    return answer.status === 201 ? answer.body.mandate : null;
  });
  const allowed = await authz('/api/v1/authz/check', subject);
  if (!allowed.body?.allowed)
    throw new Error(`The agent was refused under its mandate: ${JSON.stringify(allowed.body)}`);
  await scim(`/Groups/${group.body.id}`, {
    method: 'PATCH',
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${user.body.id}"]` }],
    }),
  });
  await eventually('the mover to lose the mandate', async () => {
    const mandate = await authz(`/api/v1/organizations/${orgId}/mandates/${first.id}`);
    return mandate.body?.status === 'revoked' && mandate.body.revokedReason === 'nothing_left';
  });
  const refused = await authz('/api/v1/authz/check', subject);
  if (refused.body?.allowed !== false) throw new Error('The agent kept its power after the human moved');
  console.log(`smoke: authz narrowed the mover's mandate across Kafka (${Date.now() - begun} ms)`);
};

let failed = false;
let passed = 0;
const siem = await startSiem();
try {
  const scenarios = await loadScenarios();
  const stories = await loadStories();
  for (const [service, port] of Object.entries(services)) {
    await eventually(`${service} to be ready`, async () => (await request(port, '/ready')).status === 200);
    console.log(`smoke: ${service} ready on ${port}`);
  }
  const created = await request(services.directory, '/api/v1/organizations', {
    method: 'POST',
    body: JSON.stringify({ name: `Smoke ${run}` }),
  });
  if (created.status !== 201) throw new Error(`Creating an organization answered ${created.status}`);
  const orgId = created.body.id;
  const stream = await request(services.audit, `/api/v1/organizations/${orgId}/audit/streams`, {
    method: 'POST',
    body: JSON.stringify({ kind: 'http', url: siem.url }),
  });
  if (stream.status !== 201) throw new Error(`Creating a log stream answered ${stream.status}`);
  siem.useSecret(stream.body.secret);
  const started = Date.now();
  for (const service of ['authn', 'authz', 'audit']) {
    const seen = await eventually(`${service} to learn ${orgId}`, async () => {
      const { status, body } = await request(services[service], `/api/v1/${service}/organizations/${orgId}`);
      return status === 200 ? body : null;
    });
    if (seen.name !== `Smoke ${run}`) throw new Error(`${service} knows ${orgId} under another name`);
    console.log(`smoke: ${service} knows ${orgId} (${Date.now() - started} ms after creation)`);
  }
  passed++;

  const directory = await request(services.directory, `/api/v1/organizations/${orgId}/directories`, {
    method: 'POST',
    body: JSON.stringify({ name: `Smoke SCIM ${run}`, provider: 'okta' }),
  });
  if (directory.status !== 201) throw new Error(`Creating a SCIM directory answered ${directory.status}`);
  const target = {
    scimBaseUrl: directory.body.endpoint,
    token: directory.body.token,
    adminUrl: `http://127.0.0.1:${services.directory}`,
    adminKey,
    orgId,
  };
  for (const [client, scenario] of [
    ['okta', scenarios.runOktaProvisioning],
    ['entra', scenarios.runEntraProvisioning],
  ]) {
    const begun = Date.now();
    const crash = client === 'okta' ? killAuditMidStream(orgId) : Promise.resolve();
    const summary = await beforeDeadline(`the ${client} provisioning run`, scenario(target));
    const ranFor = Date.now() - begun;
    await crash;
    console.log(`smoke: ${client} provisioning run passed, ${summary.steps.length} steps (${ranFor} ms)`);
    passed++;
  }

  await beforeDeadline('the authz mandate run', mandateAcrossServices(target));
  passed++;

  const across = {
    urls: Object.fromEntries(
      ['directory', 'authn', 'authz'].map((service) => [service, `http://127.0.0.1:${services[service]}`]),
    ),
    adminKey,
    revocations: { over: 'kafka', brokers: KAFKA_BROKERS.split(','), topicPrefix },
    // Bounded waits for what crosses Kafka; CI shares 2 cores with the four services and the broker.
    timeoutMs: 30_000,
  };
  for (const [name, story, measured] of [
    [
      'leaver',
      stories.runLeaverStory,
      (result) =>
        `token refused ${result.refusedAfterMs.toFixed(1)} ms, inactive ${result.inactiveAfterMs.toFixed(1)} ms`,
    ],
    [
      'mover',
      stories.runMoverStory,
      (result) =>
        `mandate narrowed ${result.narrowedAfterMs.toFixed(1)} ms, wider token refused ` +
        `${result.refusedAfterMs.toFixed(1)} ms, inactive ${result.inactiveAfterMs.toFixed(1)} ms`,
    ],
  ]) {
    const begun = Date.now();
    const result = await beforeDeadline(
      `the ${name} story`,
      story({ ...across, log: (line) => console.log(`smoke: ${name} ${line.trimStart()}`) }),
    );
    console.log(
      `smoke: ${name} story passed, ${result.steps.length} steps (${Date.now() - begun} ms); ` +
        `${measured(result)} after the SCIM answer, revocations over Kafka`,
    );
    passed++;
    if (name === 'leaver') await auditTellsTheLeaverStory(result);
  }
  await auditHoldsEveryEventOnce(orgId);
  passed++;
  console.log(`smoke: ${passed} passed, 0 failed`);
} catch (error) {
  failed = true;
  console.error(`smoke: ${error.message}`);
  console.log(`smoke: ${passed} passed, 1 failed`);
} finally {
  for (const child of children()) child.kill('SIGTERM');
  await Promise.all(
    children().map(
      (child) => new Promise((done) => (child.exitCode !== null ? done() : child.on('exit', done))),
    ),
  );
  await siem.close();
  await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
  await admin.end();
}
process.exit(failed ? 1 : 0);
