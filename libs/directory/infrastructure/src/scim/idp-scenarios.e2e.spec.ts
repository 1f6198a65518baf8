import { type DirectoryApp, startDirectoryApp } from '../testing/directory-harness';
import { type ProvisioningTarget, runEntraProvisioning, runOktaProvisioning } from '../testing/idp-scenarios';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('Okta and Entra ID provisioning runs (standalone, over HTTP)', () => {
  let app: DirectoryApp;

  /** A new organization with one SCIM directory of `provider`, as a scenario target. */
  const directoryFor = async (provider: 'okta' | 'entra_id'): Promise<ProvisioningTarget> => {
    const orgId = await app.createOrganization(`${provider} org`);
    const directory = await app.call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: provider, provider },
    });
    expect(directory.status).toBe(201);
    return {
      scimBaseUrl: directory.body!['endpoint'] as string,
      token: directory.body!['token'] as string,
      adminUrl: app.url,
      adminKey: app.adminKey,
      orgId,
    };
  };

  beforeAll(async () => {
    app = await startDirectoryApp();
  });
  afterAll(() => app.stop());

  it('runs an Okta provisioning cycle: users, deactivation, import paging, Group Push', async () => {
    const summary = await runOktaProvisioning(await directoryFor('okta'));
    expect(summary.steps).toHaveLength(19);
    expect(summary.ids['user']).toMatch(/^usr_/);
    expect(summary.ids['group']).toMatch(/^grp_/);
  }, 120_000);

  it('runs an Entra ID provisioning cycle in both PATCH dialects', async () => {
    const summary = await runEntraProvisioning(await directoryFor('entra_id'));
    expect(summary.steps.filter((step) => step.startsWith('[default]'))).toHaveLength(16);
    expect(summary.steps.filter((step) => step.startsWith('[aadOptscim062020]'))).toHaveLength(16);
    expect(Object.keys(summary.ids)).toEqual(
      expect.arrayContaining(['default:user', 'default:group', 'aadOptscim062020:user']),
    );
  }, 120_000);

  it('names the client and the step when an answer is not what the client needs', async () => {
    const target = await directoryFor('okta');
    await expect(
      runOktaProvisioning({ ...target, token: `${target.token.slice(0, -4)}AAAA` }),
    ).rejects.toThrow(/^okta, step 1 "existence check.*answered 401, expected 200/);
  });

  it("keeps each organization's directory to itself: another tenant's token gets 404 and its own list", async () => {
    const first = await directoryFor('okta');
    const second = await directoryFor('entra_id');
    const scim = (target: ProvisioningTarget, path: string, method = 'GET', body?: unknown) =>
      fetch(`${target.scimBaseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          ...(body !== undefined && { 'content-type': 'application/scim+json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const create = async (target: ProvisioningTarget, userName: string) => {
      const response = await scim(target, '/Users', 'POST', { schemas: [USER], userName, active: true });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };
    const theirs = await create(first, 'shared.name@tenant.example');
    const mine = await create(second, 'shared.name@tenant.example');
    expect(mine).not.toBe(theirs);

    const cross = [
      await scim(second, `/Users/${theirs}`),
      await scim(second, `/Users/${theirs}`, 'PUT', { schemas: [USER], userName: 'taken@tenant.example' }),
      await scim(second, `/Users/${theirs}`, 'PATCH', {
        schemas: [PATCH],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
      await scim(second, `/Users/${theirs}`, 'DELETE'),
    ];
    expect(cross.map((response) => response.status)).toEqual([404, 404, 404, 404]);
    // The other directory's base URL is closed to this token too.
    expect((await scim({ ...first, token: second.token }, `/Users/${theirs}`)).status).toBe(404);

    const list = (await (await scim(second, '/Users?startIndex=1&count=100')).json()) as {
      totalResults: number;
      Resources: { id: string }[];
    };
    expect(list.totalResults).toBe(1);
    expect(list.Resources.map((user) => user.id)).toEqual([mine]);

    const untouched = (await (await scim(first, `/Users/${theirs}`)).json()) as Record<string, unknown>;
    expect(untouched).toMatchObject({ id: theirs, userName: 'shared.name@tenant.example', active: true });
  });
});
