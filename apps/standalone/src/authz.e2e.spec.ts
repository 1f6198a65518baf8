import { runStandalone } from '@mandate/runtime';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const eventually = async <T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await sleep(20);
  }
};

/**
 * Authorization over real directory events, in one standalone Mandate: roles from directory groups
 * (organization-wide and on one resource), the relationship model, and mandates that follow the human.
 */
describe('authz in standalone Mandate: RBAC, relationships and mandates driven by the directory', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  let adminKey: string;
  let orgId: string;
  let scimBase: string;
  let scimToken: string;
  const ids: Record<string, string> = {};

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${init.key ?? adminKey}`,
        'content-type': path.startsWith('/scim/') ? 'application/scim+json' : 'application/json',
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Body };
  };
  const scim = (path: string, init: { method?: string; body?: unknown } = {}) =>
    call(`${scimBase}${path}`, { ...init, key: scimToken });
  const check = async (question: Body) => {
    const answer = await call('/api/v1/authz/check', { body: { orgId, ...question } });
    expect(answer.status).toBe(200);
    return answer.body as { allowed: boolean; reason?: string; mandate?: string; delegator?: string };
  };
  const allowed = async (question: Body) => (await check(question)).allowed;
  const members = (groupId: string, op: 'add' | 'remove', userId: string) =>
    scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: {
        schemas: [PATCH],
        Operations:
          op === 'add'
            ? [{ op: 'add', path: 'members', value: [{ value: userId }] }]
            : [{ op: 'remove', path: `members[value eq "${userId}"]` }],
      },
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-authz-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, { PORT: '0', MANDATE_DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    adminKey = started.generatedAdminKey!;
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    const directory = await call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'Okta', provider: 'okta' },
    });
    scimBase = `/scim/v2/${directory.body['id'] as string}`;
    scimToken = directory.body['token'] as string;
    for (const name of ['ada', 'bob']) {
      ids[name] = (await scim('/Users', { body: { schemas: [USER], userName: `${name}@acme.example` } }))
        .body['id'] as string;
    }
    ids['eng'] = (
      await scim('/Groups', {
        body: { schemas: [GROUP], displayName: 'Engineering', members: [{ value: ids['ada'] }] },
      })
    ).body['id'] as string;
  });
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives every organization its system roles', async () => {
    const roles = await eventually(async () => {
      const answer = await call(`/api/v1/organizations/${orgId}/roles`);
      const data = answer.body['data'] as { key: string; system: boolean }[];
      return data.length >= 2 ? data : null;
    });
    expect(roles.filter((role) => role.system).map((role) => role.key)).toEqual(['admin', 'member']);
  });

  it('maps a directory group to a role: joiners gain it, movers lose it, as the directory says', async () => {
    const viewer = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'viewer', name: 'Viewer', permissions: ['documents:read'] },
    });
    const editor = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: {
        key: 'editor',
        name: 'Editor',
        permissions: ['documents:write'],
        includes: [(viewer.body['role'] as Body)['id']],
      },
    });
    expect(editor.status).toBe(201);
    ids['editor'] = (editor.body['role'] as Body)['id'] as string;
    const mapping = await call(`/api/v1/organizations/${orgId}/role-mappings`, {
      body: { source: { kind: 'directory_group', groupId: ids['eng'] }, roleId: ids['editor'] },
    });
    expect(mapping.status).toBe(201);
    const token = mapping.body['token'] as string;

    const fresh = { consistency: { atLeastAsFresh: token } };
    expect(await allowed({ subject: `user:${ids['ada']}`, permission: 'documents:read', ...fresh })).toBe(
      true,
    );
    expect(await allowed({ subject: `user:${ids['ada']}`, permission: 'documents:write' })).toBe(true);
    expect(await allowed({ subject: `user:${ids['bob']}`, permission: 'documents:read' })).toBe(false);

    expect((await members(ids['eng']!, 'add', ids['bob']!)).status).toBe(204);
    await eventually(() => allowed({ subject: `user:${ids['bob']}`, permission: 'documents:write' }));
    expect((await members(ids['eng']!, 'remove', ids['bob']!)).status).toBe(204);
    await eventually(
      async () => !(await allowed({ subject: `user:${ids['bob']}`, permission: 'documents:write' })),
    );
  });

  it('scopes a mapping to one resource', async () => {
    const approver = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'approver', name: 'Approver', permissions: ['invoices:approve'] },
    });
    const mapping = await call(`/api/v1/organizations/${orgId}/role-mappings`, {
      body: {
        source: { kind: 'directory_group', groupId: ids['eng'] },
        roleId: (approver.body['role'] as Body)['id'],
        resource: 'project:42',
      },
    });
    const fresh = { consistency: { atLeastAsFresh: mapping.body['token'] } };
    const ada = `user:${ids['ada']}`;
    expect(
      await allowed({ subject: ada, permission: 'invoices:approve', resource: 'project:42', ...fresh }),
    ).toBe(true);
    expect(await allowed({ subject: ada, permission: 'invoices:approve', resource: 'project:43' })).toBe(
      false,
    );
    expect(await allowed({ subject: ada, permission: 'invoices:approve' })).toBe(false);
  });

  it('checks relationships through a model with a folder hierarchy, and lists both ways', async () => {
    const model = {
      schemaVersion: '1.0',
      types: {
        folder: {
          relations: {
            parent: { this: ['folder'] },
            viewer: {
              union: [
                { this: ['user', 'group#member'] },
                { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
              ],
            },
          },
        },
        document: {
          relations: {
            parent: { this: ['folder'] },
            viewer: {
              union: [{ this: ['user'] }, { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } }],
            },
          },
        },
      },
    };
    const written = await call(`/api/v1/organizations/${orgId}/authz/model`, { method: 'PUT', body: model });
    expect(written.status).toBe(200);
    const tuples = await call(`/api/v1/organizations/${orgId}/authz/tuples`, {
      body: {
        writes: [
          { object: 'folder:root', relation: 'viewer', subject: `group:${ids['eng']}#member` },
          { object: 'folder:reports', relation: 'parent', subject: 'folder:root' },
          { object: 'document:q3', relation: 'parent', subject: 'folder:reports' },
        ],
      },
    });
    expect(tuples.status).toBe(200);
    const fresh = { consistency: { atLeastAsFresh: tuples.body['token'] } };
    expect(
      await allowed({ subject: `user:${ids['ada']}`, relation: 'viewer', object: 'document:q3', ...fresh }),
    ).toBe(true);
    expect(await allowed({ subject: `user:${ids['bob']}`, relation: 'viewer', object: 'document:q3' })).toBe(
      false,
    );

    const objects = await call('/api/v1/authz/list-objects', {
      body: { orgId, subject: `user:${ids['ada']}`, type: 'document', relation: 'viewer' },
    });
    expect(objects.body['objects']).toEqual(['document:q3']);
    const subjects = await call('/api/v1/authz/list-subjects', {
      body: { orgId, object: 'document:q3', relation: 'viewer', subjectType: 'user' },
    });
    expect(subjects.body['subjects']).toEqual([`user:${ids['ada']}`]);
  });

  it('refuses malformed models and tuples, naming the fault, and changes nothing', async () => {
    const cycle = await call(`/api/v1/organizations/${orgId}/authz/model`, {
      method: 'PUT',
      body: {
        schemaVersion: '1.0',
        types: { doc: { relations: { a: { computed: 'b' }, b: { computed: 'a' } } } },
      },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body).toMatchObject({ code: 'AUTHZ_MODEL_INVALID' });
    const unknown = await call(`/api/v1/organizations/${orgId}/authz/tuples`, {
      body: { writes: [{ object: 'spaceship:1', relation: 'pilot', subject: `user:${ids['ada']}` }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'AUTHZ_TUPLE_INVALID' });
    expect(await allowed({ subject: `user:${ids['ada']}`, relation: 'viewer', object: 'document:q3' })).toBe(
      true,
    );
  });

  it('lets an agent act only within its mandate and what its human holds now', async () => {
    const agent = await call(`/api/v1/organizations/${orgId}/agents`, {
      body: { displayName: 'Docs bot', ownerIds: [ids['ada']] },
    });
    ids['agent'] = agent.body['id'] as string;
    const exceeding = await call(`/api/v1/organizations/${orgId}/mandates`, {
      body: {
        userId: ids['ada'],
        agentId: ids['agent'],
        permissions: ['invoices:approve'],
        reason: 'pay bills',
      },
    });
    expect(exceeding.status).toBe(403);
    expect(exceeding.body).toMatchObject({
      code: 'AUTHZ_MANDATE_EXCEEDS_DELEGATOR',
      missing: ['invoices:approve'],
    });

    const granted = await call(`/api/v1/organizations/${orgId}/mandates`, {
      body: {
        userId: ids['ada'],
        agentId: ids['agent'],
        permissions: ['documents:read'],
        reason: 'summarise docs',
      },
    });
    expect(granted.status).toBe(201);
    ids['mandate'] = (granted.body['mandate'] as Body)['id'] as string;
    const asAgent = { subject: `agent:${ids['agent']}`, onBehalfOf: `user:${ids['ada']}` };
    expect(await check({ ...asAgent, permission: 'documents:read' })).toMatchObject({
      allowed: true,
      mandate: 'allowed',
      delegator: 'allowed',
    });
    expect(await check({ ...asAgent, permission: 'documents:write' })).toMatchObject({
      allowed: false,
      mandate: 'denied',
    });
    expect(await allowed({ subject: `agent:${ids['agent']}`, permission: 'documents:read' })).toBe(false);

    const authzen = await call('/access/v1/evaluation', {
      body: {
        subject: {
          type: 'agent',
          id: ids['agent'],
          properties: { on_behalf_of: { type: 'user', id: ids['ada'] } },
        },
        action: { name: 'documents:read' },
        resource: { type: 'document', id: 'q3' },
      },
      key: (await call(`/api/v1/organizations/${orgId}/api-keys`, { body: { name: 'app' } })).body[
        'key'
      ] as string,
    });
    expect(authzen.status).toBe(200);
    expect(authzen.body['decision']).toBe(true);
  });

  it('a mover shrinks the mandate, and a leaver revokes every mandate from them', async () => {
    const second = await call(`/api/v1/organizations/${orgId}/mandates`, {
      body: {
        userId: ids['ada'],
        agentId: ids['agent'],
        permissions: ['documents:read', 'documents:write'],
        reason: 'edit docs',
      },
    });
    const secondId = (second.body['mandate'] as Body)['id'] as string;
    expect((await members(ids['eng']!, 'remove', ids['ada']!)).status).toBe(204);
    const narrowed = await eventually(async () => {
      const mandate = (await call(`/api/v1/organizations/${orgId}/mandates/${secondId}`)).body;
      return mandate['status'] === 'revoked' ? mandate : null;
    });
    expect(narrowed).toMatchObject({ status: 'revoked', revokedReason: 'nothing_left', permissions: [] });
    expect(
      await check({
        subject: `agent:${ids['agent']}`,
        onBehalfOf: `user:${ids['ada']}`,
        permission: 'documents:read',
      }),
    ).toMatchObject({ allowed: false });

    expect((await members(ids['eng']!, 'add', ids['ada']!)).status).toBe(204);
    await eventually(() => allowed({ subject: `user:${ids['ada']}`, permission: 'documents:read' }));
    const third = await call(`/api/v1/organizations/${orgId}/mandates`, {
      body: {
        userId: ids['ada'],
        agentId: ids['agent'],
        permissions: ['documents:read'],
        reason: 'read docs',
      },
    });
    const thirdId = (third.body['mandate'] as Body)['id'] as string;
    const off = await scim(`/Users/${ids['ada']}`, {
      method: 'PATCH',
      body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(off.status).toBe(200);
    const revoked = await eventually(async () => {
      const mandate = (await call(`/api/v1/organizations/${orgId}/mandates/${thirdId}`)).body;
      return mandate['status'] === 'revoked' ? mandate : null;
    });
    expect(revoked).toMatchObject({ revokedReason: 'delegator_deactivated' });
    expect(await allowed({ subject: `user:${ids['ada']}`, permission: 'documents:read' })).toBe(false);
  });

  it('a deleted directory group takes its mapped roles away from its members', async () => {
    const ops = (
      await scim('/Groups', {
        body: { schemas: [GROUP], displayName: 'Ops', members: [{ value: ids['bob'] }] },
      })
    ).body['id'] as string;
    const reader = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'reader', name: 'Reader', permissions: ['wiki:read'] },
    });
    await call(`/api/v1/organizations/${orgId}/role-mappings`, {
      body: {
        source: { kind: 'directory_group', groupId: ops },
        roleId: (reader.body['role'] as Body)['id'],
      },
    });
    await eventually(() => allowed({ subject: `user:${ids['bob']}`, permission: 'wiki:read' }));
    expect((await scim(`/Groups/${ops}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(
      async () => !(await allowed({ subject: `user:${ids['bob']}`, permission: 'wiki:read' })),
    );
    expect((await scim(`/Users/${ids['bob']}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(async () => {
      const answer = await check({ subject: `user:${ids['bob']}`, permission: 'documents:read' });
      return answer.reason === 'subject_deleted';
    });
  });

  it("never lets one organization's key ask about another's", async () => {
    const other = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    const key = (await call(`/api/v1/organizations/${other}/api-keys`, { body: { name: 'x' } })).body[
      'key'
    ] as string;
    const crossed = await call('/api/v1/authz/check', {
      body: { orgId, subject: `user:${ids['bob']}`, permission: 'documents:read' },
      key,
    });
    expect(crossed.status).toBe(404);
    const own = await call('/api/v1/authz/check', {
      body: { subject: `user:${ids['ada']}`, relation: 'viewer', object: 'document:q3' },
      key,
    });
    expect(own.body).toMatchObject({ allowed: false });
  });
});
