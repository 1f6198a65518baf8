import { type DirectoryApp, startDirectoryApp } from './testing/directory-harness';

describe('directory management API (standalone, over HTTP)', () => {
  let app: DirectoryApp;
  let orgId: string;

  beforeAll(async () => {
    app = await startDirectoryApp();
    orgId = await app.createOrganization('Acme');
  });
  afterAll(() => app.stop());

  describe('directories', () => {
    it('creates a SCIM directory with its base URL and a bearer token shown once', async () => {
      const created = await app.call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'Okta', provider: 'okta' },
      });
      expect(created.status).toBe(201);
      const id = created.body!['id'] as string;
      expect(id).toMatch(/^dir_[0-9a-z]{26}$/);
      expect(created.body).toMatchObject({
        kind: 'scim',
        provider: 'okta',
        endpoint: `${app.url}/scim/v2/${id}`,
      });
      expect(created.body!['token']).toMatch(/^mandate_scim_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);

      const read = await app.call(`/api/v1/organizations/${orgId}/directories/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('token');
      const tokens = await app.call(`/api/v1/organizations/${orgId}/directories/${id}/tokens`);
      expect(tokens.body!['data']).toEqual([
        expect.objectContaining({ lastFour: (created.body!['token'] as string).slice(-4), revokedAt: null }),
      ]);
      expect(tokens.text).not.toContain((created.body!['token'] as string).slice(13));
    });

    it('creates an HRIS directory with its webhook URL and, when Mandate issues it, the secret once', async () => {
      const generic = await app.call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'HR', provider: 'generic_hris' },
      });
      expect(generic.status).toBe(201);
      expect(generic.body).toMatchObject({ kind: 'hris', signingSecretSet: true });
      expect(generic.body!['endpoint']).toBe(`${app.url}/hris/generic/${generic.body!['id'] as string}`);
      expect(generic.body!['signingSecret']).toMatch(/^whsec_/);

      const bamboo = await app.call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'BambooHR', provider: 'bamboohr' },
      });
      expect(bamboo.status).toBe(400);
      expect(bamboo.body).toMatchObject({ code: 'DIRECTORY_SIGNING_SECRET_REQUIRED' });
    });

    it('rotates a token (the old one is revoked) and refuses a second revocation', async () => {
      const created = await app.call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'Entra', provider: 'entra_id' },
      });
      const id = created.body!['id'] as string;
      const [first] = (await app.call(`/api/v1/organizations/${orgId}/directories/${id}/tokens`)).body![
        'data'
      ] as {
        id: string;
      }[];
      const rotated = await app.call(
        `/api/v1/organizations/${orgId}/directories/${id}/tokens/${first!.id}/rotate`,
        {
          method: 'POST',
        },
      );
      expect(rotated.status).toBe(201);
      expect(rotated.body!['token']).toMatch(/^mandate_scim_/);
      const tokens = (await app.call(`/api/v1/organizations/${orgId}/directories/${id}/tokens`)).body![
        'data'
      ] as {
        id: string;
        revokedAt: string | null;
      }[];
      expect(tokens.find((t) => t.id === first!.id)!.revokedAt).not.toBeNull();
      const again = await app.call(`/api/v1/organizations/${orgId}/directories/${id}/tokens/${first!.id}`, {
        method: 'DELETE',
      });
      expect(again.status).toBe(404);
    });

    it("hides another organization's directory behind a 404, and an org key cannot reach it", async () => {
      const other = await app.createOrganization('Globex');
      const theirs = await app.call(`/api/v1/organizations/${other}/directories`, {
        body: { name: 'Theirs', provider: 'okta' },
      });
      const id = theirs.body!['id'] as string;
      expect((await app.call(`/api/v1/organizations/${orgId}/directories/${id}`)).status).toBe(404);
      const key = await app.call(`/api/v1/organizations/${orgId}/api-keys`, { body: { name: 'ops' } });
      const orgKey = key.body!['key'] as string;
      expect(
        (await app.call(`/api/v1/organizations/${other}/directories/${id}`, { key: orgKey })).status,
      ).toBe(404);
      expect((await app.call(`/api/v1/organizations/${orgId}/directories`, { key: orgKey })).status).toBe(
        200,
      );
    });

    it('refuses an unknown provider with a clear problem', async () => {
      const refused = await app.call(`/api/v1/organizations/${orgId}/directories`, {
        body: { name: 'X', provider: 'ldap' },
      });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
    });
  });

  describe('domains', () => {
    it('are verified by their TXT record, by one organization only', async () => {
      const added = await app.call(`/api/v1/organizations/${orgId}/domains`, {
        body: { domain: 'Acme.example' },
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ domain: 'acme.example', status: 'pending' });
      const record = added.body!['verification'] as { name: string; value: string };
      expect(record.name).toBe('_mandate-verification.acme.example');

      const early = await app.call(`/api/v1/organizations/${orgId}/domains/acme.example/verify`, {
        method: 'POST',
      });
      expect(early.status).toBe(412);
      expect(early.body).toMatchObject({ code: 'DIRECTORY_DOMAIN_NOT_VERIFIED' });

      app.resolver.records.set(record.name, ['v=spf1 -all', record.value]);
      const verified = await app.call(`/api/v1/organizations/${orgId}/domains/acme.example/verify`, {
        method: 'POST',
      });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ status: 'verified' });

      const rival = await app.createOrganization('Rival');
      const theirs = await app.call(`/api/v1/organizations/${rival}/domains`, {
        body: { domain: 'acme.example' },
      });
      const theirRecord = theirs.body!['verification'] as { name: string; value: string };
      app.resolver.records.set(theirRecord.name, [record.value, theirRecord.value]);
      const stolen = await app.call(`/api/v1/organizations/${rival}/domains/acme.example/verify`, {
        method: 'POST',
      });
      expect(stolen.status).toBe(409);
      expect(stolen.body).toMatchObject({ code: 'DIRECTORY_DOMAIN_CLAIMED' });
      const still = await app.call(`/api/v1/organizations/${rival}/domains/acme.example`);
      expect(still.body).toMatchObject({ status: 'pending' });

      expect(
        (await app.call(`/api/v1/organizations/${orgId}/domains/acme.example`, { method: 'DELETE' })).status,
      ).toBe(204);
      const released = await app.call(`/api/v1/organizations/${rival}/domains/acme.example/verify`, {
        method: 'POST',
      });
      expect(released.status).toBe(200);
    });

    it('refuses what is not a domain name', async () => {
      const refused = await app.call(`/api/v1/organizations/${orgId}/domains`, {
        body: { domain: 'not a domain' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'DIRECTORY_DOMAIN_INVALID' });
    });
  });

  describe('identity events', () => {
    it('pages through the ordered stream with a stable cursor, filtered by type and organization', async () => {
      const first = await app.call(`/api/v1/events?orgId=${orgId}&types=directory.directory.*&limit=2`);
      expect(first.status).toBe(200);
      const page = first.body!['data'] as { type: string; orgId: string; cursor: string; data: object }[];
      expect(page).toHaveLength(2);
      expect(page.every((e) => e.type.startsWith('directory.directory.') && e.orgId === orgId)).toBe(true);
      expect(JSON.stringify(page)).not.toContain('secretHash');
      const next = await app.call(
        `/api/v1/events?orgId=${orgId}&types=directory.directory.*&limit=2&after=${first.body!['nextCursor'] as string}`,
      );
      const second = next.body!['data'] as { cursor: string }[];
      expect(second[0]!.cursor).not.toBe(page[1]!.cursor);
      const all = await app.call(`/api/v1/events?orgId=${orgId}&types=directory.directory.*&limit=4`);
      expect((all.body!['data'] as { cursor: string }[]).map((e) => e.cursor)).toEqual(
        [...page, ...second].map((e) => e.cursor),
      );
    });

    it('refuses a cursor it never gave out', async () => {
      expect((await app.call('/api/v1/events?after=nonsense')).status).toBe(400);
    });
  });
});
