import { directoryContext, DirectoryModule } from '@mandate/directory-infrastructure';
import { runStandalone } from '@mandate/runtime';
import {
  Browser,
  generateTestKeyPair,
  type Page,
  TestIdentityProvider,
  type TestSamlUser,
} from '@mandate/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
type Started = Awaited<ReturnType<typeof runStandalone>>;

const APP_REDIRECT = 'http://127.0.0.1:7777/callback';
const API = 'https://invoices.example';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

jest.setTimeout(60_000);

const eventually = async <T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await sleep(25);
  }
};

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The auto-submitting page an IdP answers with (HTTP-POST binding), as the browser would post it. */
const postBindingPage = (acsUrl: string, fields: Record<string, string>): Page => ({
  url: new URL(acsUrl),
  status: 200,
  headers: new Headers(),
  location: null,
  body: `<form method="post" action="${escapeAttribute(acsUrl)}">${Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeAttribute(value)}">`)
    .join('')}</form>`,
});

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** DNS for domain verification, as a table the test fills. */
const txt = new Map<string, string[]>();

/**
 * The roles an enterprise IdP asserts reach authorization: a SAML sign-in through samlify whose
 * assertion carries a group the connection maps to a role grants that role's permissions (checks and
 * the next token say so); a later sign-in without the group takes them away again (and narrows the
 * mandates the human gave an agent), while what an admin assigned stays.
 */
describe('roles asserted at SSO sign-in reach authz', () => {
  let dataDir: string;
  let started: Started;
  let issuer: string;
  let adminKey: string;
  let samlIdp: TestIdentityProvider;
  let orgId: string;
  let app: { clientId: string; clientSecret: string };
  let spMetadata: string;
  let acsUrl: string;
  let connectionId: string;
  const roles: Record<'approver' | 'clerk', string> = { approver: '', clerk: '' };
  const ids: Record<string, string> = {};

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${issuer}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };

  const check = async (question: Body) => {
    const answer = await call('/api/v1/authz/check', { body: { orgId, ...question } });
    expect(answer.status).toBe(200);
    return answer.body as { allowed: boolean; mandate?: string; delegator?: string };
  };
  const allowed = async (userId: string, permission: string) =>
    (await check({ subject: `user:${userId}`, permission })).allowed;

  /** Where Ada's approver assignments come from (an admin: null; the IdP: `sso:<connectionId>`). */
  const approversOf = async (userId: string) =>
    (
      (
        await call(
          `/api/v1/organizations/${orgId}/roles/${roles.approver}/assignments?subject=user:${userId}`,
        )
      ).body['data'] as { source: string | null }[]
    )
      .map(({ source }) => ({ source }))
      .sort((a, b) => String(a.source).localeCompare(String(b.source)));

  const ada = (groups: string[]): TestSamlUser => ({
    nameId: 'ada@acme.example',
    nameIdFormat: EMAIL_FORMAT,
    attributes: { firstName: ['Ada'], lastName: ['Lovelace'], groups },
  });

  /** A whole SP-initiated SAML sign-in from the app's authorization request to its redeemed tokens. */
  const signIn = async (user: TestSamlUser) => {
    const browser = new Browser();
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: APP_REDIRECT,
      scope: 'openid email profile invoices:read',
      resource: API,
      state: randomBytes(8).toString('hex'),
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      login_hint: user.nameId,
    });
    const toIdp = await browser.follow(
      await browser.get(`${issuer}/oauth/authorize?${query.toString()}`),
      (url) => url.origin !== new URL(issuer).origin,
    );
    expect(toIdp.location?.host).toBe('idp.acme.test');
    const form = await samlIdp.respondToRedirect(spMetadata, toIdp.location!.href, user);
    const posted = await new Browser().submitForm(
      postBindingPage(acsUrl, { SAMLResponse: form.SAMLResponse }),
    );
    const back = posted.location ? await browser.get(posted.location) : posted;
    const redirect = await browser.follow(back, (url) => url.href.startsWith(APP_REDIRECT));
    const code = redirect.location?.searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    const response = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(app.clientId, app.clientSecret),
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code!,
        redirect_uri: APP_REDIRECT,
        code_verifier: verifier,
      }).toString(),
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as Body;
    const keys = createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`));
    return (await jwtVerify(tokens['id_token'] as string, keys, { issuer, audience: app.clientId })).payload;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-sso-roles-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    samlIdp = new TestIdentityProvider({
      entityId: 'https://idp.acme.test/saml',
      ssoUrl: 'https://idp.acme.test/sso',
      signing: generateTestKeyPair('idp.acme.test'),
      requireSignedRequests: true,
    });
    const contexts = allContexts.map((registration) =>
      registration === directoryContext
        ? {
            ...directoryContext,
            module: (
              eventStore: Parameters<typeof directoryContext.module>[0],
              runtime: { secretKey: Buffer },
            ) =>
              DirectoryModule.forRoot({
                eventStore,
                secretKey: runtime.secretKey,
                domainResolver: { txtRecords: (name) => Promise.resolve(txt.get(name) ?? []) },
              }),
          }
        : registration,
    );
    started = await runStandalone(contexts, { PORT: '0', MANDATE_DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    issuer = started.url;
    adminKey = started.generatedAdminKey!;
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;

    const added = await call(`/api/v1/organizations/${orgId}/domains`, { body: { domain: 'acme.example' } });
    const record = added.body['verification'] as { name: string; value: string };
    txt.set(record.name, [record.value]);
    expect(
      (await call(`/api/v1/organizations/${orgId}/domains/acme.example/verify`, { body: {} })).status,
    ).toBe(200);

    const registered = await call(`/api/v1/organizations/${orgId}/clients`, {
      body: {
        name: 'Invoices',
        redirectUris: [APP_REDIRECT],
        grantTypes: ['authorization_code'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        scopes: ['invoices:read'],
        audiences: [API],
      },
    });
    expect(registered.status).toBe(201);
    app = {
      clientId: registered.body['clientId'] as string,
      clientSecret: registered.body['clientSecret'] as string,
    };

    for (const [key, permissions] of [
      ['approver', ['invoices:approve']],
      ['clerk', ['invoices:read']],
    ] as const) {
      const created = await eventually(async () => {
        const answer = await call(`/api/v1/organizations/${orgId}/roles`, {
          body: { key, name: key, permissions },
        });
        return answer.status === 404 ? null : answer;
      });
      expect(created.status).toBe(201);
      roles[key] = (created.body['role'] as Body)['id'] as string;
    }

    const connection = await eventually(async () => {
      const answer = await call(`/api/v1/organizations/${orgId}/connections`, {
        body: {
          kind: 'saml',
          name: 'Okta',
          saml: { metadataXml: samlIdp.metadata() },
          // `auditors` names no role of the organization: skipped, the sign-in still succeeds.
          groupRoleMappings: [
            { group: 'Finance', role: 'approver' },
            { group: 'Audit', role: 'auditors' },
          ],
          jit: { enabled: true, defaultRoles: ['member'] },
          domains: ['acme.example'],
        },
      });
      return answer.status === 404 ? null : answer;
    });
    expect(connection.status).toBe(201);
    connectionId = connection.body['id'] as string;
    const path = `/api/v1/organizations/${orgId}/connections/${connectionId}`;
    expect((await call(`${path}/test`, { body: {} })).status).toBe(200);
    await eventually(async () => (await call(`${path}/enable`, { body: {} })).status === 200);
    acsUrl = `${issuer}/sso/saml/${connectionId}/acs`;
    spMetadata = await (await fetch(`${issuer}/sso/saml/${connectionId}/metadata`)).text();
  });

  afterAll(async () => {
    await started?.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a group the IdP asserts grants its mapped role: checks allow it and the next token carries it', async () => {
    const first = await signIn(ada(['Finance', 'Audit']));
    expect(first['roles']).toEqual(['approver', 'auditors', 'member']);
    ids['ada'] = first.sub!;
    await eventually(() => allowed(ids['ada']!, 'invoices:approve'));
    expect(await approversOf(ids['ada'])).toEqual([{ source: `sso:${connectionId}` }]);

    const next = await eventually(async () => {
      const token = await signIn(ada(['Finance']));
      return (token['permissions'] as string[]).includes('invoices:approve') ? token : null;
    });
    expect(next.sub).toBe(ids['ada']);
  });

  it('a later sign-in without the group takes the role away, narrowing mandates; admin assignments stay', async () => {
    // An admin gives Ada the clerk role, and the approver role she also holds from the IdP.
    for (const roleId of [roles.clerk, roles.approver]) {
      const assigned = await call(`/api/v1/organizations/${orgId}/roles/${roleId}/assignments`, {
        body: { subject: `user:${ids['ada']}` },
      });
      expect(assigned.status).toBe(201);
    }
    const agent = await call(`/api/v1/organizations/${orgId}/agents`, {
      body: { displayName: 'Invoice bot', ownerIds: [ids['ada']] },
    });
    expect(agent.status).toBe(201);
    ids['agent'] = agent.body['id'] as string;
    const asAgent = { subject: `agent:${ids['agent']}`, onBehalfOf: `user:${ids['ada']}` };

    // The admin's approver assignment keeps the role when the IdP stops asserting it.
    await signIn(ada([]));
    await eventually(async () => (await approversOf(ids['ada']!)).length === 1);
    expect(await approversOf(ids['ada']!)).toEqual([{ source: null }]);
    expect(await allowed(ids['ada']!, 'invoices:approve')).toBe(true);
    const unassigned = await call(
      `/api/v1/organizations/${orgId}/roles/${roles.approver}/assignments?subject=user:${ids['ada']}`,
      { method: 'DELETE' },
    );
    expect(unassigned.status).toBe(200);
    await eventually(async () => !(await allowed(ids['ada']!, 'invoices:approve')));

    // Back in Finance, Ada delegates approving to her agent; then the IdP moves her out again.
    await signIn(ada(['Finance']));
    await eventually(() => allowed(ids['ada']!, 'invoices:approve'));
    const granted = await eventually(async () => {
      const answer = await call(`/api/v1/organizations/${orgId}/mandates`, {
        body: {
          userId: ids['ada'],
          agentId: ids['agent'],
          permissions: ['invoices:approve', 'invoices:read'],
          reason: 'pay bills',
        },
      });
      return answer.status === 201 ? answer : null;
    });
    const mandateId = (granted.body['mandate'] as Body)['id'] as string;
    expect(await check({ ...asAgent, permission: 'invoices:approve' })).toMatchObject({ allowed: true });

    const last = await signIn(ada(['Audit']));
    expect(last['roles']).toEqual(expect.arrayContaining(['auditors']));
    expect(last['roles']).not.toContain('approver');
    await eventually(async () => !(await allowed(ids['ada']!, 'invoices:approve')));
    expect(await allowed(ids['ada']!, 'invoices:read')).toBe(true);
    expect(await check({ ...asAgent, permission: 'invoices:approve' })).toMatchObject({ allowed: false });
    expect(await check({ ...asAgent, permission: 'invoices:read' })).toMatchObject({ allowed: true });
    const narrowed = await eventually(async () => {
      const mandate = (await call(`/api/v1/organizations/${orgId}/mandates/${mandateId}`)).body;
      return (mandate['permissions'] as string[]).includes('invoices:approve') ? null : mandate;
    });
    expect(narrowed).toMatchObject({ status: 'active', permissions: ['invoices:read'] });
    const token = await eventually(async () => {
      const next = await signIn(ada([]));
      return (next['permissions'] as string[]).includes('invoices:approve') ? null : next;
    });
    expect(token['permissions']).toEqual(['invoices:read']);
  });
});
