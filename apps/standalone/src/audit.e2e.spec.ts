import {
  parseVerifierKey,
  verifyConsistency,
  verifyExportFile,
  verifyInclusion,
} from '@mandate/audit-infrastructure';
import { runStandalone } from '@mandate/runtime';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
type Record_ = {
  id: string;
  sequence: number;
  action: string;
  actor: { id: string; chain: string[] };
  context: { correlationId?: string; causationId?: string };
};

const ADMIN_KEY = `mandate_admin_${randomBytes(24).toString('base64url')}`;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const eventually = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(20);
  }
};

describe('the audit log in standalone Mandate: derived records, checkpoints, proofs, verifiable exports', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  let orgId: string;
  let userId: string;

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${init.key ?? ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    let body: Body = {};
    try {
      body = text ? (JSON.parse(text) as Body) : {};
    } catch {
      body = { text };
    }
    return { status: response.status, body, text };
  };
  const records = async (query = '') =>
    (await call(`/api/v1/organizations/${orgId}/audit/records?limit=1000${query}`)).body['data'] as Record_[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-audit-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      MANDATE_ADMIN_KEY: ADMIN_KEY,
    });
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    const directory = await call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'Okta', provider: 'okta' },
    });
    const scim = (path: string, method: string, body: unknown) =>
      fetch(`${started.url}/scim/v2/${directory.body['id'] as string}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${directory.body['token'] as string}`,
          'content-type': 'application/scim+json',
        },
        body: JSON.stringify(body),
      }).then((response) => response.json() as Promise<Body>);
    userId = (await scim('/Users', 'POST', { schemas: [USER], userName: 'ada@acme.example' }))[
      'id'
    ] as string;
    await scim(`/Users/${userId}`, 'PATCH', {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
  });
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("records every identity event in its organization's log, in order, with who did it", async () => {
    const logged = await eventually(async () => {
      const data = await records();
      return data.some((record) => record.action === 'user.deactivated') ? data : null;
    });
    expect(logged.map((record) => record.sequence)).toEqual(logged.map((_, i) => i));
    const actions = logged.map((record) => record.action);
    expect(actions).toEqual(
      expect.arrayContaining(['organization.created', 'user.provisioned', 'user.deactivated']),
    );
    expect(actions.indexOf('user.provisioned')).toBeLessThan(actions.indexOf('user.deactivated'));
    const byTheUser = await records(`&action=user.deactivated`);
    expect(byTheUser).toHaveLength(1);
  });

  it('signs checkpoints and proves a record is included', async () => {
    const checkpoint = (await call(`/api/v1/organizations/${orgId}/audit/checkpoints`, { method: 'POST' }))
      .body['checkpoint'] as { treeSize: number; rootHash: string; signed: string };
    expect(checkpoint.signed).toMatch(new RegExp(`/audit/${orgId}\\n${checkpoint.treeSize}\\n`));
    const proof = (
      await call(
        `/api/v1/organizations/${orgId}/audit/proofs/inclusion?sequence=1&treeSize=${checkpoint.treeSize}`,
      )
    ).body as { leafHash: string; proof: string[] };
    const toBytes = (value: string) => Buffer.from(value, 'base64');
    expect(
      verifyInclusion(
        toBytes(proof.leafHash),
        1,
        checkpoint.treeSize,
        proof.proof.map(toBytes),
        toBytes(checkpoint.rootHash),
      ),
    ).toBe(true);
    const consistency = await call(
      `/api/v1/organizations/${orgId}/audit/proofs/consistency?from=1&to=${checkpoint.treeSize}`,
    );
    expect(consistency.status).toBe(200);
  });

  it('proves the log only grew between two checkpoints, and proofs at the older size still verify', async () => {
    const sign = async () =>
      (await call(`/api/v1/organizations/${orgId}/audit/checkpoints`, { method: 'POST' })).body[
        'checkpoint'
      ] as {
        treeSize: number;
        rootHash: string;
      };
    const older = await sign();
    await records(); // reading is itself recorded: the log grows
    const newer = await sign();
    expect(newer.treeSize).toBeGreaterThan(older.treeSize);
    const toBytes = (value: string) => Buffer.from(value, 'base64');
    const consistency = (
      await call(
        `/api/v1/organizations/${orgId}/audit/proofs/consistency?from=${older.treeSize}&to=${newer.treeSize}`,
      )
    ).body as { proof: string[] };
    expect(
      verifyConsistency(
        older.treeSize,
        newer.treeSize,
        toBytes(older.rootHash),
        toBytes(newer.rootHash),
        consistency.proof.map(toBytes),
      ),
    ).toBe(true);
    const inclusion = (
      await call(
        `/api/v1/organizations/${orgId}/audit/proofs/inclusion?sequence=0&treeSize=${older.treeSize}`,
      )
    ).body as { leafHash: string; proof: string[] };
    expect(
      verifyInclusion(
        toBytes(inclusion.leafHash),
        0,
        older.treeSize,
        inclusion.proof.map(toBytes),
        toBytes(older.rootHash),
      ),
    ).toBe(true);
  });

  it('exports a log that verifies offline, and names the tampering of an edit, a deletion and a truncation', async () => {
    const exported = await call(`/api/v1/organizations/${orgId}/audit/export?format=jsonl`);
    expect(exported.status).toBe(200);
    const keys = ((await call('/api/v1/audit/keys')).body['data'] as { verifierKey: string }[]).map((key) =>
      parseVerifierKey(key.verifierKey),
    );
    const intact = verifyExportFile(exported.text, keys);
    expect(intact.verification).toMatchObject({ ok: true });

    const lines = exported.text.split('\n');
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"outcome":"success"', '"outcome":"failure"');
    expect(edited[2]).not.toBe(lines[2]);
    expect(verifyExportFile(edited.join('\n'), keys).verification).toMatchObject({
      ok: false,
      reason: 'edited',
    });

    const deleted = lines.filter((_, i) => i !== 2);
    expect(verifyExportFile(deleted.join('\n'), keys).verification).toMatchObject({
      ok: false,
      reason: 'deleted',
    });

    const truncated = [...lines.slice(0, -3), lines.at(-2)!];
    expect(verifyExportFile(truncated.join('\n'), keys).verification).toMatchObject({
      ok: false,
      reason: 'truncated',
    });

    const foreign = keys.map((key) => ({ name: key.name, publicKey: randomBytes(32) }));
    const foreignKeys = foreign.length > 0 ? foreign : [];
    expect(verifyExportFile(exported.text, foreignKeys).verification).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('audits reading and exporting the log', async () => {
    const reads = await records('&action=audit_log.read');
    expect(reads.length).toBeGreaterThan(0);
    expect((await records('&action=audit_log.exported')).length).toBeGreaterThan(0);
  });

  it('refuses to rewrite the log: UPDATE, DELETE and TRUNCATE fail even for the owning role', async () => {
    const dataSource = started.app.get(DataSource);
    for (const statement of [
      `update audit.records set action = 'x' where org_id = '${orgId}'`,
      `delete from audit.records where org_id = '${orgId}'`,
      'truncate audit.records',
      `update audit.checkpoints set signed = 'x' where org_id = '${orgId}'`,
    ])
      await expect(dataSource.query(statement)).rejects.toThrow(/append-only/);
    expect((await records()).length).toBeGreaterThan(3);
  });

  describe('the ingest API', () => {
    let token: string;
    let agentId: string;
    const ingest = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${started.url}/api/v1/audit/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as Body }));

    beforeAll(async () => {
      const scimDirectory = await call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'HR', provider: 'okta' },
      });
      const grace = (await (
        await fetch(`${started.url}/scim/v2/${scimDirectory.body['id'] as string}/Users`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${scimDirectory.body['token'] as string}`,
            'content-type': 'application/scim+json',
          },
          body: JSON.stringify({ schemas: [USER], userName: 'grace@acme.example' }),
        })
      ).json()) as Body;
      const role = await call(`/api/v1/organizations/${orgId}/roles`, {
        body: { key: 'approver', name: 'Approver', permissions: ['invoices:approve'] },
      });
      await call(
        `/api/v1/organizations/${orgId}/roles/${(role.body['role'] as Body)['id'] as string}/assignments`,
        {
          body: { subject: `user:${grace['id'] as string}` },
        },
      );
      agentId = (
        await call(`/api/v1/organizations/${orgId}/agents`, {
          body: { displayName: 'invoice-bot', ownerIds: [grace['id']] },
        })
      ).body['id'] as string;
      const mandate = await eventually(async () => {
        const answer = await call(`/api/v1/organizations/${orgId}/mandates`, {
          body: { userId: grace['id'], agentId, permissions: ['invoices:approve'], reason: 'bills' },
        });
        return answer.status === 201 ? answer : null;
      });
      const credentials = await call(`/api/v1/organizations/${orgId}/agents/${agentId}/credentials`, {
        body: { tokenEndpointAuthMethod: 'client_secret_basic', audiences: [`${started.url}/api/v1/audit`] },
      });
      const basic = Buffer.from(
        `${credentials.body['clientId'] as string}:${credentials.body['clientSecret'] as string}`,
      ).toString('base64');
      token = await eventually(async () => {
        const response = await fetch(`${started.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: (mandate.body['mandate'] as Body)['id'] as string,
            subject_token_type: 'urn:mandate:params:oauth:token-type:mandate',
            resource: `${started.url}/api/v1/audit`,
          }).toString(),
        });
        return response.status === 200 ? (((await response.json()) as Body)['access_token'] as string) : null;
      });
      userId = grace['id'] as string;
    });

    it("records an application's action with the actor chain from the token, never from the body", async () => {
      const answer = await ingest(
        {
          action: 'invoice.approved',
          targets: [{ type: 'invoice', id: 'inv-1' }],
          metadata: { amount: 120 },
          actor: { id: 'usr_someone_else' },
        },
        { 'idempotency-key': 'approve-inv-1' },
      );
      expect(answer.status).toBe(201);
      expect(answer.body['actor']).toMatchObject({
        id: agentId,
        chain: [userId, agentId],
        onBehalfOf: userId,
      });
      const retried = await ingest(
        {
          action: 'invoice.approved',
          targets: [{ type: 'invoice', id: 'inv-1' }],
          metadata: { amount: 120 },
        },
        { 'idempotency-key': 'approve-inv-1' },
      );
      expect(retried.body['id']).toBe(answer.body['id']);
      const done = await records(`&onBehalfOf=${userId}&action=invoice.approved`);
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({
        metadata: { actorMismatch: true, claimedActor: { id: 'usr_someone_else' } },
      });
    });

    it('refuses a body that is not an action (422 with the path) and a missing or forged token (401)', async () => {
      const invalid = await ingest({ action: 'Not An Action' });
      expect(invalid.status).toBe(422);
      expect(invalid.body).toMatchObject({ code: 'AUDIT_EVENT_INVALID', path: '/action' });
      const forged = await fetch(`${started.url}/api/v1/audit/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'invoice.approved' }),
      });
      expect(forged.status).toBe(401);
      const none = await fetch(`${started.url}/api/v1/audit/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'invoice.approved' }),
      });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });
  });

  it('streams the log to an HTTP endpoint, signed per Standard Webhooks, retrying until it takes them', async () => {
    const received = new Map<string, { sequence: number; valid: boolean }>();
    let failuresLeft = 2;
    let secret = '';
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (failuresLeft-- > 0) {
          response.writeHead(503).end();
          return;
        }
        const id = String(request.headers['webhook-id']);
        const timestamp = String(request.headers['webhook-timestamp']);
        const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
          .update(`${id}.${timestamp}.${body}`)
          .digest('base64');
        const message = JSON.parse(body) as { data: { sequence: number } };
        received.set(id, {
          sequence: message.data.sequence,
          valid: request.headers['webhook-signature'] === `v1,${expected}`,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as { port: number };
      const refused = await call(`/api/v1/organizations/${orgId}/audit/streams`, {
        body: { url: 'http://collector.example/audit' },
      });
      expect(refused.status).toBe(400);
      const stream = await call(`/api/v1/organizations/${orgId}/audit/streams`, {
        body: { url: `http://127.0.0.1:${port}/audit` },
      });
      expect(stream.status).toBe(201);
      secret = stream.body['secret'] as string;
      expect(secret).toMatch(/^whsec_/);
      const size = (await records()).length;
      const delivered = await eventually(async () => {
        const streams = (await call(`/api/v1/organizations/${orgId}/audit/streams`)).body['data'] as {
          deliveredThrough: number;
          failedAttempts: number;
        }[];
        return streams[0]!.deliveredThrough >= size - 1 ? streams[0]! : null;
      }, 20_000);
      expect(delivered.failedAttempts).toBe(0);
      const sequences = [...received.values()].map((message) => message.sequence).sort((a, b) => a - b);
      expect(sequences.slice(0, size)).toEqual(Array.from({ length: size }, (_, i) => i));
      expect([...received.values()].every((message) => message.valid)).toBe(true);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 40_000);

  it("never shows one organization's log to another's key", async () => {
    const other = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    const key = await call(`/api/v1/organizations/${other}/api-keys`, { body: { name: 'ops' } });
    const secret = (key.body['key'] ?? key.body['secret']) as string | undefined;
    if (!secret) throw new Error(`no API key in ${JSON.stringify(key.body)}`);
    const answer = await call(`/api/v1/organizations/${orgId}/audit/records`, { key: secret });
    expect(answer.status).toBe(404);
    expect(JSON.stringify(answer.body)).not.toContain('user.deactivated');
  });
});
