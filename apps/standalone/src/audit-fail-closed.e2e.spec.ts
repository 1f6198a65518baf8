import { runStandalone } from '@mandate/runtime';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;

const ADMIN_KEY = `mandate_admin_${randomBytes(24).toString('base64url')}`;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const eventually = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(25);
  }
};

/**
 * AUD-8: a privileged action happens only if its audit record is durable. The audit record is derived
 * from the action's event, which is written in the same transaction as the change itself — so when the
 * event cannot be made durable (here: the event store refuses that event type), the action is refused
 * with nothing changed, and nothing is audited; once the store accepts it, the retry succeeds and is audited.
 */
describe('fail closed: a privileged action whose audit record cannot be made durable does not happen', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  let db: DataSource;
  let orgId: string;
  let scimToken: string;
  let directoryId: string;

  const call = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${init.token ?? ADMIN_KEY}`,
        'content-type': path.startsWith('/scim/') ? 'application/scim+json' : 'application/json',
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };
  const scim = (path: string, init: { method?: string; body?: unknown } = {}) =>
    call(`/scim/v2/${directoryId}${path}`, { ...init, token: scimToken });
  const audited = async (action: string) =>
    (
      (await call(`/api/v1/organizations/${orgId}/audit/records?action=${action}&limit=1000`)).body[
        'data'
      ] as Body[]
    ).length;

  /** The event store of `context` refuses events of `type` from now on, as a full disk or a lost primary would. */
  const refuseDurably = async (context: string, type: string) => {
    await db.query(`
      create or replace function ${context}_events.refuse_for_test() returns trigger language plpgsql as $$
      begin raise exception 'the event store cannot make % durable', new.event_type; end $$`);
    await db.query(
      `create trigger refuse_for_test before insert on ${context}_events.events
         for each row when (new.event_type = '${type}') execute function ${context}_events.refuse_for_test()`,
    );
  };
  const acceptAgain = (context: string) =>
    db.query(`drop trigger if exists refuse_for_test on ${context}_events.events`);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-fail-closed-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'fatal',
      MANDATE_ADMIN_KEY: ADMIN_KEY,
    });
    db = started.app.get(DataSource);
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    const directory = await call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'Okta', provider: 'okta' },
    });
    directoryId = directory.body['id'] as string;
    scimToken = directory.body['token'] as string;
  }, 60_000);
  afterAll(async () => {
    await started?.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('SCIM deprovisioning: the user stays active, no record, then the retry deactivates and is audited', async () => {
    const user = await scim('/Users', { body: { schemas: [USER], userName: 'ada@acme.example' } });
    const userId = user.body['id'] as string;
    const deactivate = () =>
      scim(`/Users/${userId}`, {
        method: 'PATCH',
        body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
      });
    await refuseDurably('directory', 'directory.user.deactivated');
    const refused = await deactivate();
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(refused.body['schemas']).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    const unchanged = await scim(`/Users/${userId}`);
    expect(unchanged.body['active']).not.toBe(false);
    expect(unchanged.body['meta']).toEqual(user.body['meta']);
    await acceptAgain('directory');
    expect((await deactivate()).status).toBe(200);
    expect((await scim(`/Users/${userId}`)).body['active']).toBe(false);
    await eventually(async () => ((await audited('user.deactivated')) === 1 ? true : null));
  }, 60_000);

  it('a role grant: no assignment, no record, then the retry assigns and is audited', async () => {
    const user = await scim('/Users', { body: { schemas: [USER], userName: 'bob@acme.example' } });
    const subject = `user:${user.body['id'] as string}`;
    const role = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'approver', name: 'Approver', permissions: ['invoices:approve'] },
    });
    const roleId = (role.body['role'] as Body)['id'] as string;
    const assign = () =>
      call(`/api/v1/organizations/${orgId}/roles/${roleId}/assignments`, { body: { subject } });
    await refuseDurably('authz', 'authz.role.assigned');
    // authz learns of the user from the directory's event; until then the grant is refused as unknown.
    const refused = await eventually(async () => {
      const answer = await assign();
      return answer.status >= 500 ? answer : null;
    });
    expect(refused.body['type']).toEqual(expect.any(String));
    const listed = await call(`/api/v1/organizations/${orgId}/roles/${roleId}/assignments`);
    expect(listed.body['data']).toEqual([]);
    expect(await audited('role.assigned')).toBe(0);
    await acceptAgain('authz');
    expect((await assign()).status).toBe(201);
    await eventually(async () => ((await audited('role.assigned')) === 1 ? true : null));
  }, 60_000);

  it('a key rotation: the old secret keeps working, no record, then the retry rotates and is audited', async () => {
    const client = await call(`/api/v1/organizations/${orgId}/clients`, {
      body: {
        name: 'Billing service',
        kind: 'service',
        grantTypes: ['client_credentials'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        audiences: ['https://billing.acme.example/api'],
      },
    });
    const clientId = client.body['clientId'] as string;
    const secret = client.body['clientSecret'] as string;
    const token = (clientSecret: string) =>
      fetch(`${started.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }).then((response) => response.status);
    const rotate = () =>
      call(`/api/v1/organizations/${orgId}/clients/${clientId}/rotate-credentials`, { body: {} });
    await refuseDurably('authn', 'authn.client.credentials_rotated');
    expect((await rotate()).status).toBeGreaterThanOrEqual(500);
    expect(await token(secret)).toBe(200);
    expect(await audited('client.credentials_rotated')).toBe(0);
    await acceptAgain('authn');
    const rotated = await rotate();
    expect(rotated.status).toBe(200);
    expect(await token(rotated.body['clientSecret'] as string)).toBe(200);
    await eventually(async () => ((await audited('client.credentials_rotated')) === 1 ? true : null));
  }, 60_000);

  it('a mandate: no grant, no record, then the retry grants and is audited', async () => {
    const owner = await scim('/Users', { body: { schemas: [USER], userName: 'cleo@acme.example' } });
    const userId = owner.body['id'] as string;
    const role = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'clerk', name: 'Clerk', permissions: ['invoices:read'] },
    });
    await eventually(async () => {
      const answer = await call(
        `/api/v1/organizations/${orgId}/roles/${role.body['id'] as string}/assignments`,
        {
          body: { subject: `user:${userId}` },
        },
      );
      return answer.status === 201 ? true : null;
    });
    const agent = await call(`/api/v1/organizations/${orgId}/agents`, {
      body: { displayName: 'invoice-bot', ownerIds: [userId] },
    });
    const grant = () =>
      call(`/api/v1/organizations/${orgId}/mandates`, {
        body: { userId, agentId: agent.body['id'], permissions: ['invoices:read'], reason: 'month end' },
      });
    await refuseDurably('authz', 'authz.mandate.granted');
    await eventually(async () => {
      const answer = await grant();
      process.stderr.write(`DEBUG mandate ${JSON.stringify(answer)}\n`);
      return answer.status >= 500 ? true : null;
    });
    const mandates = await call(
      `/api/v1/organizations/${orgId}/mandates?agentId=${agent.body['id'] as string}`,
    );
    expect(mandates.body['data'] ?? []).toEqual([]);
    expect(await audited('mandate.granted')).toBe(0);
    await acceptAgain('authz');
    expect((await grant()).status).toBe(201);
    await eventually(async () => ((await audited('mandate.granted')) === 1 ? true : null));
  }, 60_000);
});
