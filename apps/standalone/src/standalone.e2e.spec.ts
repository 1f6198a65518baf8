import { runStandalone } from '@mandate/runtime';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allContexts } from './contexts';

type Started = Awaited<ReturnType<typeof runStandalone>>;

const eventually = async <T>(probe: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(25);
  }
};

describe('standalone Mandate (embedded PostgreSQL, in-process transport)', () => {
  let dataDir: string;
  let started: Started;
  let adminKey: string;

  const start = () =>
    runStandalone(allContexts, { PORT: '0', MANDATE_DATA_DIR: dataDir, LOG_LEVEL: 'error' });
  const call = async (path: string, init: RequestInit & { key?: string } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.key ?? adminKey}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-standalone-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await start();
    adminKey = started.generatedAdminKey!;
  });
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates an admin key on first start and keeps only its hash', async () => {
    expect(adminKey).toMatch(/^mandate_admin_[A-Za-z0-9_-]{43}$/);
    const stored = await readFile(join(dataDir, 'admin-key.sha256'), 'utf8');
    expect(stored.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(adminKey);
  });

  it('is live and ready', async () => {
    expect((await fetch(`${started.url}/health`)).status).toBe(200);
    const ready = await fetch(`${started.url}/ready`);
    expect(ready.status).toBe(200);
  });

  it('creates an organization that every context learns about', async () => {
    const created = await call('/api/v1/organizations', {
      method: 'POST',
      body: JSON.stringify({ name: 'Acme' }),
    });
    expect(created.status).toBe(201);
    const orgId = created.body!['id'] as string;
    expect(orgId).toMatch(/^org_[0-9a-z]{26}$/);

    const read = await call(`/api/v1/organizations/${orgId}`);
    expect(read.body).toMatchObject({ id: orgId, name: 'Acme', status: 'active' });
    for (const context of ['directory', 'authn', 'authz', 'audit']) {
      const known = await eventually(async () => {
        const response = await call(`/api/v1/${context}/organizations/${orgId}`);
        return response.status === 200 ? response.body : null;
      });
      expect(known).toMatchObject({ orgId, name: 'Acme', status: 'active' });
    }
  });

  it('replays a retried POST with the same Idempotency-Key instead of creating twice', async () => {
    const headers = { 'idempotency-key': 'create-globex-1' };
    const body = JSON.stringify({ name: 'Globex' });
    const first = await call('/api/v1/organizations', { method: 'POST', body, headers });
    const retry = await call('/api/v1/organizations', { method: 'POST', body, headers });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    const reused = await call('/api/v1/organizations', {
      method: 'POST',
      body: JSON.stringify({ name: 'Other' }),
      headers,
    });
    expect(reused.status).toBe(422);
  });

  it('issues organization API keys that work at once, only in their organization, until revoked', async () => {
    const own = (
      await call('/api/v1/organizations', { method: 'POST', body: JSON.stringify({ name: 'Initech' }) })
    ).body!['id'] as string;
    const other = (
      await call('/api/v1/organizations', { method: 'POST', body: JSON.stringify({ name: 'Hooli' }) })
    ).body!['id'] as string;
    const issued = await call(`/api/v1/organizations/${own}/api-keys`, {
      method: 'POST',
      body: JSON.stringify({ name: 'ci' }),
    });
    expect(issued.status).toBe(201);
    const key = issued.body!['key'] as string;
    expect(key).toMatch(/^mandate_sk_[0-9a-f]{20}_/);

    expect((await call(`/api/v1/organizations/${own}`, { key })).status).toBe(200);
    expect((await call(`/api/v1/organizations/${other}`, { key })).status).toBe(404);
    expect((await call('/api/v1/organizations', { key })).status).toBe(403);

    const listed = await call(`/api/v1/organizations/${own}/api-keys`);
    const secret = key.slice('mandate_sk_'.length + (issued.body!['id'] as string).length + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    expect(
      (
        await call(`/api/v1/organizations/${own}/api-keys/${issued.body!['id'] as string}`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(204);
    const refused = await call(`/api/v1/organizations/${own}`, { key });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'PLATFORM_API_KEY_REVOKED' });
  });

  it('answers bad input with problem details and changes nothing', async () => {
    const invalid = await call('/api/v1/organizations', {
      method: 'POST',
      body: JSON.stringify({ name: '', extra: 1 }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toContain('application/problem+json');
    expect(invalid.body).toMatchObject({ code: 'PLATFORM_VALIDATION_FAILED' });
    const missing = await call('/api/v1/organizations/org_00000000000000000000000000');
    expect(missing.body).toMatchObject({ status: 404, code: 'DIRECTORY_ORGANIZATION_NOT_FOUND' });
    const unauthenticated = await fetch(`${started.url}/api/v1/organizations`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('keeps its data and its admin key across a restart', async () => {
    const created = await call('/api/v1/organizations', {
      method: 'POST',
      body: JSON.stringify({ name: 'Durable' }),
    });
    const orgId = created.body!['id'] as string;
    await started.app.close();

    started = await start();
    expect(started.generatedAdminKey).toBeUndefined();
    expect((await call(`/api/v1/organizations/${orgId}`)).body).toMatchObject({ id: orgId, name: 'Durable' });
    const page = await call('/api/v1/organizations?limit=100');
    expect((page.body!['data'] as unknown[]).length).toBeGreaterThanOrEqual(5);
  });
});
