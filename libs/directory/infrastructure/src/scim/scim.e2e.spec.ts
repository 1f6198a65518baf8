import { type CallOptions, type DirectoryApp, startDirectoryApp } from '../testing/directory-harness';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM 2.0 (standalone, over HTTP)', () => {
  let app: DirectoryApp;
  let orgId: string;
  let base: string;
  let token: string;

  const scim = (path: string, options: CallOptions = {}) =>
    app.call(`${base}${path}`, { key: token, contentType: 'application/scim+json', ...options });
  const newUser = (userName: string, extra: Record<string, unknown> = {}) =>
    scim('/Users', { body: { schemas: [USER], userName, active: true, ...extra } });

  beforeAll(async () => {
    app = await startDirectoryApp();
    orgId = await app.createOrganization();
    const directory = await app.call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'Okta', provider: 'okta' },
    });
    base = `/scim/v2/${directory.body!['id'] as string}`;
    token = directory.body!['token'] as string;
  });
  afterAll(() => app.stop());

  it('creates a user, and it is readable by id and by userName filter the moment the POST returns', async () => {
    const created = await newUser('grace@acme.example', {
      externalId: 'okta-1',
      name: { givenName: 'Grace', familyName: 'Hopper' },
      emails: [{ value: 'grace@acme.example', type: 'work', primary: true }],
      [ENTERPRISE]: { department: 'Navy' },
      password: 'hunter2hunter2',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toContain('application/scim+json');
    const id = created.body!['id'] as string;
    expect(created.headers.get('location')).toBe(`${app.url}${base}/Users/${id}`);
    expect(created.headers.get('etag')).toBe('W/"0"');
    expect(created.body).toMatchObject({
      userName: 'grace@acme.example',
      active: true,
      meta: { resourceType: 'User', version: 'W/"0"' },
    });
    expect(created.text).not.toContain('hunter2');

    const byId = await scim(`/Users/${id}`);
    expect(byId.status).toBe(200);
    const filtered = await scim(`/Users?filter=${encodeURIComponent('userName eq "GRACE@acme.example"')}`);
    expect(filtered.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect((filtered.body!['Resources'] as { id: string }[])[0]!.id).toBe(id);
  });

  it('a retried POST gets 409 uniqueness, and the filter still finds exactly one', async () => {
    const again = await newUser('grace@acme.example');
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      schemas: [ERROR],
      status: '409',
      scimType: 'uniqueness',
      detail: again.body!['detail'],
    });
    expect(again.body!['detail']).toMatch(/userName is unique/);
    const filtered = await scim(`/Users?filter=${encodeURIComponent('userName eq "grace@acme.example"')}`);
    expect(filtered.body!['totalResults']).toBe(1);
  });

  it('answers bad input with the standard SCIM error and changes nothing', async () => {
    const malformed = await scim('/Users', { raw: '{"schemas": [', contentType: 'application/scim+json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    const badFilter = await scim(`/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body).toMatchObject({ scimType: 'invalidFilter' });
    const unknownAttribute = await newUser('x@acme.example', { favouriteColour: 'blue' });
    expect(unknownAttribute.status).toBe(400);
    expect(unknownAttribute.body).toMatchObject({ scimType: 'invalidValue' });
    expect(
      (await scim(`/Users?filter=${encodeURIComponent('userName eq "x@acme.example"')}`)).body![
        'totalResults'
      ],
    ).toBe(0);
    const nowhere = await scim('/Nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toMatchObject({ schemas: [ERROR], status: '404' });
    const tooBig = await scim('/Users', {
      raw: JSON.stringify({ schemas: [USER], userName: 'big@acme.example', title: 'x'.repeat(1_100_000) }),
    });
    expect(tooBig.status).toBe(413);
  });

  it('refuses a missing or wrong token with 401, and another directory with 404', async () => {
    expect((await scim('/Users', { key: null })).status).toBe(401);
    expect(
      (await scim('/Users', { key: 'mandate_scim_0123456789abcdef0123_' + 'a'.repeat(43) })).status,
    ).toBe(401);
    const other = await app.call(
      `/api/v1/organizations/${await app.createOrganization('Other')}/directories`,
      {
        body: { name: 'Entra', provider: 'entra_id' },
      },
    );
    const theirs = `/scim/v2/${other.body!['id'] as string}`;
    const crossed = await app.call(`${theirs}/Users`, { key: token });
    expect(crossed.status).toBe(404);
    const mine = await newUser('linus@acme.example');
    const peek = await app.call(`${theirs}/Users/${mine.body!['id'] as string}`, {
      key: other.body!['token'] as string,
    });
    expect(peek.status).toBe(404);
  });

  it('PATCH with If-Match applies once; a stale version gets 412; a replay changes nothing', async () => {
    const created = await newUser('ada@acme.example');
    const id = created.body!['id'] as string;
    const body = { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'title', value: 'Countess' }] };
    const first = await scim(`/Users/${id}`, { method: 'PATCH', body, headers: { 'if-match': 'W/"0"' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ title: 'Countess', meta: { version: 'W/"1"' } });
    const stale = await scim(`/Users/${id}`, { method: 'PATCH', body, headers: { 'if-match': 'W/"0"' } });
    expect(stale.status).toBe(412);
    const replay = await scim(`/Users/${id}`, { method: 'PATCH', body });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('etag')).toBe('W/"1"');
  });

  it('deactivates with an Entra string boolean, and a second DELETE is a 404', async () => {
    const created = await newUser('alan@acme.example');
    const id = created.body!['id'] as string;
    const off = await scim(`/Users/${id}`, {
      method: 'PATCH',
      body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(off.status).toBe(200);
    expect(off.body!['active']).toBe(false);
    expect((await scim(`/Users/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await scim(`/Users/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await scim(`/Users/${id}`)).status).toBe(404);
  });

  it('keeps group members, and a user shows the groups it is in', async () => {
    const member = await newUser('margaret@acme.example');
    const memberId = member.body!['id'] as string;
    const group = await scim('/Groups', {
      body: { schemas: [GROUP], displayName: 'Apollo', members: [{ value: memberId }] },
    });
    expect(group.status).toBe(201);
    const groupId = group.body!['id'] as string;
    expect(group.body!['members']).toEqual([expect.objectContaining({ value: memberId, type: 'User' })]);
    const user = await scim(`/Users/${memberId}`);
    expect(user.body!['groups']).toEqual([expect.objectContaining({ value: groupId, display: 'Apollo' })]);

    const removed = await scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${memberId}"]` }] },
    });
    expect(removed.status).toBe(204);
    const read = await scim(`/Groups/${groupId}`);
    expect(read.body!['members']).toBeUndefined();
    const unknown = await scim(`/Groups/${groupId}`, {
      method: 'PATCH',
      body: {
        schemas: [PATCH],
        Operations: [{ op: 'add', path: 'members', value: [{ value: 'usr_nobody' }] }],
      },
    });
    expect(unknown.status).toBe(400);
  });

  it('concurrent PATCHes without If-Match all apply, one after the other (SCIM-9)', async () => {
    const created = await Promise.all(
      Array.from({ length: 16 }, (_, index) => newUser(`parallel${index}@acme.example`)),
    );
    const ids = created.map((user) => user.body!['id'] as string);
    const group = await scim('/Groups', { body: { schemas: [GROUP], displayName: 'Parallel' } });
    const groupId = group.body!['id'] as string;
    const adds = await Promise.all(
      ids.map((id) =>
        scim(`/Groups/${groupId}`, {
          method: 'PATCH',
          body: { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] },
        }),
      ),
    );
    expect(adds.map((answer) => answer.status)).toEqual(ids.map(() => 204));
    const members = (await scim(`/Groups/${groupId}`)).body!['members'] as { value: string }[];
    expect(members.map((member) => member.value).sort()).toEqual([...ids].sort());

    const aliases = ids.map((_, index) => `alias${index}@acme.example`);
    const patches = await Promise.all(
      aliases.map((value) =>
        scim(`/Users/${ids[0]!}`, {
          method: 'PATCH',
          body: {
            schemas: [PATCH],
            Operations: [{ op: 'add', path: 'emails', value: [{ value, type: 'other' }] }],
          },
        }),
      ),
    );
    expect(patches.map((answer) => answer.status)).toEqual(aliases.map(() => 200));
    const emails = (await scim(`/Users/${ids[0]!}`)).body!['emails'] as { value: string }[];
    expect(emails.map((email) => email.value).sort()).toEqual([...aliases].sort());
  });

  it("a group PATCH straight after a member's DELETE succeeds, and the member then leaves", async () => {
    // The member leaves its groups by a reaction to the DELETE, a moment later: a PATCH in between
    // still finds it in the group. Five rounds, so the race is almost surely met.
    for (let round = 0; round < 5; round++) {
      const kept = (await newUser(`kept${round}@acme.example`)).body!['id'] as string;
      const leaver = (await newUser(`leaver${round}@acme.example`)).body!['id'] as string;
      const group = await scim('/Groups', {
        body: {
          schemas: [GROUP],
          displayName: `Leavers ${round}`,
          members: [{ value: kept }, { value: leaver }],
        },
      });
      const groupId = group.body!['id'] as string;
      expect((await scim(`/Users/${leaver}`, { method: 'DELETE' })).status).toBe(204);
      const renamed = await scim(`/Groups/${groupId}`, {
        method: 'PATCH',
        body: {
          schemas: [PATCH],
          Operations: [{ op: 'Replace', path: 'displayName', value: `Stayers ${round}` }],
        },
      });
      expect(renamed.status).toBe(204);
      const members = await app.eventually(async () => {
        const read = await scim(`/Groups/${groupId}`);
        const values = ((read.body!['members'] ?? []) as { value: string }[]).map((member) => member.value);
        return values.includes(leaver) ? null : values;
      });
      expect(members).toEqual([kept]);
      expect((await scim(`/Groups/${groupId}`)).body!['displayName']).toBe(`Stayers ${round}`);
    }
  });
});
