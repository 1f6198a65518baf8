import { type CallOptions, type DirectoryApp, startDirectoryApp } from '../testing/directory-harness';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const AGENT = 'urn:ietf:params:scim:schemas:core:2.0:Agent';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const CUSTOM = 'urn:acme:params:scim:schemas:extension:hr:2.0:User';

interface Listed {
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: { id: string; userName?: string; [key: string]: unknown }[];
}

describe('SCIM 2.0 protocol features (standalone, over HTTP)', () => {
  let app: DirectoryApp;
  let orgId: string;
  let directoryId: string;
  let base: string;
  let token: string;

  const scim = (path: string, options: CallOptions = {}) =>
    app.call(`${base}${path}`, { key: token, contentType: 'application/scim+json', ...options });
  const listed = async (path: string, options: CallOptions = {}) => {
    const answer = await scim(path, options);
    expect(answer.status).toBe(200);
    return answer.body as unknown as Listed;
  };
  const newUser = async (userName: string, extra: Record<string, unknown> = {}) => {
    const answer = await scim('/Users', { body: { schemas: [USER], userName, ...extra } });
    expect(answer.status).toBe(201);
    return answer.body!['id'] as string;
  };

  beforeAll(async () => {
    app = await startDirectoryApp();
    orgId = await app.createOrganization();
    const directory = await app.call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'IdP', provider: 'generic_scim' },
    });
    directoryId = directory.body!['id'] as string;
    base = `/scim/v2/${directoryId}`;
    token = directory.body!['token'] as string;
  });
  afterAll(() => app.stop());

  it('advertises Users, Groups and Agents, the filter limit, bulk limits and ETags', async () => {
    const config = await scim('/ServiceProviderConfig');
    expect(config.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1_048_576 },
      filter: { supported: true, maxResults: 200 },
      etag: { supported: true },
      sort: { supported: true },
    });
    const types = await listed('/ResourceTypes');
    expect(types.Resources.map((type) => type['name'])).toEqual(['User', 'Group', 'Agent']);
    const agent = await scim(`/Schemas/${AGENT}`);
    expect(agent.status).toBe(200);
    expect((agent.body!['attributes'] as { name: string }[]).map((a) => a.name)).toEqual(
      expect.arrayContaining(['displayName', 'description', 'active', 'owners']),
    );
    expect((await scim('/Schemas?filter=id eq "x"')).status).toBe(403);
    expect((await scim('/ServiceProviderConfig', { method: 'DELETE' })).status).toBe(405);
    expect((await scim('/Me')).status).toBe(501);
  });

  it('serves custom attributes a directory declares, in /Schemas and in filters', async () => {
    const declared = await app.call(`/api/v1/organizations/${orgId}/directories/${directoryId}/schemas`, {
      method: 'PUT',
      body: { resourceType: 'User', schemaUrn: CUSTOM, attributes: [{ name: 'badge', caseExact: true }] },
    });
    expect(declared.status).toBe(200);
    const clash = await app.call(`/api/v1/organizations/${orgId}/directories/${directoryId}/schemas`, {
      method: 'PUT',
      body: { resourceType: 'User', schemaUrn: CUSTOM, attributes: [{ name: 'userName' }] },
    });
    expect(clash.status).toBe(400);
    expect(clash.body).toMatchObject({ code: 'DIRECTORY_SCHEMA_INVALID' });
    const schema = await scim(`/Schemas/${CUSTOM}`);
    expect(schema.status).toBe(200);
    await newUser('badge.holder@acme.example', { schemas: [USER, CUSTOM], [CUSTOM]: { badge: 'AB-7' } });
    const exact = await listed(`/Users?filter=${encodeURIComponent(`${CUSTOM}:badge eq "AB-7"`)}`);
    expect(exact.totalResults).toBe(1);
    const otherCase = await listed(`/Users?filter=${encodeURIComponent(`${CUSTOM}:badge eq "ab-7"`)}`);
    expect(otherCase.totalResults).toBe(0);
  });

  it('pages in a stable order: every user exactly once, with integer counts', async () => {
    for (let i = 0; i < 25; i++) await newUser(`page.${String(i).padStart(2, '0')}@acme.example`);
    const filter = encodeURIComponent('userName sw "page."');
    const seen: string[] = [];
    for (let startIndex = 1; startIndex <= 25; startIndex += 10) {
      const page = await listed(`/Users?filter=${filter}&startIndex=${startIndex}&count=10`);
      expect(page).toMatchObject({ totalResults: 25, startIndex });
      seen.push(...page.Resources.map((user) => user.id));
    }
    expect(new Set(seen).size).toBe(25);
    const zero = await listed(`/Users?filter=${filter}&count=0`);
    expect(zero).toMatchObject({ totalResults: 25, itemsPerPage: 0, Resources: [] });
    const sorted = await listed(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending&count=3`);
    expect(sorted.Resources.map((user) => user.userName)).toEqual([
      'page.24@acme.example',
      'page.23@acme.example',
      'page.22@acme.example',
    ]);
    const tooMany = await listed(`/Users?count=5000`);
    expect(tooMany.itemsPerPage).toBeLessThanOrEqual(200);
  });

  it('searches with POST /.search, and projects attributes', async () => {
    const search = await listed('/Users/.search', {
      body: { schemas: [SEARCH], filter: 'userName eq "page.03@acme.example"', attributes: ['userName'] },
    });
    expect(search.totalResults).toBe(1);
    expect(Object.keys(search.Resources[0]!).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const excluded = await scim(`/Users/${search.Resources[0]!.id}?excludedAttributes=meta,userName`);
    expect(excluded.body).not.toHaveProperty('userName');
    expect(excluded.body).toHaveProperty('id');
    const everywhere = await listed('/.search', {
      body: { schemas: [SEARCH], filter: 'displayName eq "Nobody at all"' },
    });
    expect(everywhere.totalResults).toBe(0);
  });

  it('runs a Bulk request with bulkId references, and reports each operation', async () => {
    const answer = await scim('/Bulk', {
      body: {
        schemas: [BULK],
        Operations: [
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'team',
            data: { schemas: [GROUP], displayName: 'Bulk team', members: [{ value: 'bulkId:alice' }] },
          },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'alice',
            data: { schemas: [USER], userName: 'alice@bulk.example' },
          },
          {
            method: 'POST',
            path: '/Users',
            bulkId: 'dup',
            data: { schemas: [USER], userName: 'alice@bulk.example' },
          },
        ],
      },
    });
    expect(answer.status).toBe(200);
    const operations = answer.body!['Operations'] as { bulkId: string; status: string; location?: string }[];
    const byId = Object.fromEntries(operations.map((operation) => [operation.bulkId, operation]));
    expect(byId['alice']!.status).toBe('201');
    expect(byId['team']!.status).toBe('201');
    expect(byId['dup']!.status).toBe('409');
    const group = await scim(byId['team']!.location!.replace(`${app.url}${base}`, ''));
    const aliceId = byId['alice']!.location!.split('/').pop();
    expect(group.body!['members']).toEqual([expect.objectContaining({ value: aliceId })]);
    const tooMany = await scim('/Bulk', {
      body: {
        schemas: [BULK],
        Operations: Array.from({ length: 1001 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          data: { schemas: [USER], userName: `n${i}@bulk.example` },
        })),
      },
    });
    expect(tooMany.status).toBe(413);
  });

  it('concurrent PATCHes with one If-Match: one wins, the other gets 412; without If-Match both apply', async () => {
    const id = await newUser('race@acme.example');
    const patch = (path: string, value: string, ifMatch?: string) =>
      scim(`/Users/${id}`, {
        method: 'PATCH',
        body: { schemas: [PATCH], Operations: [{ op: 'replace', path, value }] },
        ...(ifMatch && { headers: { 'if-match': ifMatch } }),
      });
    const statuses = (await Promise.all([patch('title', 'A', 'W/"0"'), patch('title', 'B', 'W/"0"')]))
      .map((answer) => answer.status)
      .sort();
    expect(statuses).toEqual([200, 412]);
    await Promise.all([patch('nickName', 'Nick'), patch('profileUrl', 'https://acme.example/race')]);
    const user = await scim(`/Users/${id}`);
    expect(user.body).toMatchObject({ nickName: 'Nick', profileUrl: 'https://acme.example/race' });
    expect(user.headers.get('etag')).toBe('W/"3"');
  });

  it('answers If-None-Match with 304 when the version is current', async () => {
    const id = await newUser('cached@acme.example');
    const fresh = await scim(`/Users/${id}`, { headers: { 'if-none-match': 'W/"0"' } });
    expect(fresh.status).toBe(304);
    const stale = await scim(`/Users/${id}`, { headers: { 'if-none-match': 'W/"9"' } });
    expect(stale.status).toBe(200);
  });

  it('provisions agents owned by users of the organization, and suspends them with active false', async () => {
    const owner = await newUser('owner@acme.example');
    const created = await scim('/Agents', {
      body: {
        schemas: [AGENT],
        displayName: 'Expense agent',
        owners: [{ value: owner }],
        externalId: 'agent-1',
      },
    });
    expect(created.status).toBe(201);
    const agentId = created.body!['id'] as string;
    expect(created.body).toMatchObject({ displayName: 'Expense agent', owners: [{ value: owner }] });
    const registry = await app.call(`/api/v1/organizations/${orgId}/agents/${agentId}`);
    expect(registry.body).toMatchObject({ status: 'active', directoryId, ownerIds: [owner] });

    const orphan = await scim('/Agents', {
      body: {
        schemas: [AGENT],
        displayName: 'Orphan',
        owners: [{ value: 'usr_00000000000000000000000000' }],
      },
    });
    expect(orphan.status).toBe(400);

    const off = await scim(`/Agents/${agentId}`, {
      method: 'PATCH',
      body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
    expect(off.status).toBe(200);
    expect(off.body!['active']).toBe(false);
    expect((await app.call(`/api/v1/organizations/${orgId}/agents/${agentId}`)).body).toMatchObject({
      status: 'suspended',
    });
    expect((await scim(`/Agents/${agentId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await scim(`/Agents/${agentId}`)).status).toBe(404);
  });
});
