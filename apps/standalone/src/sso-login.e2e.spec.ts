import { directoryContext, DirectoryModule } from '@mandate/directory-infrastructure';
import { runStandalone } from '@mandate/runtime';
import {
  Browser,
  generateTestKeyPair,
  type OidcTestIdp,
  type Page,
  parseForms,
  SamlAttackFixtures,
  SoftwareWebauthnAuthenticator,
  type SamlAttackId,
  startOidcTestIdp,
  TestIdentityProvider,
  type TestKeyPair,
  type TestSamlUser,
} from '@mandate/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate as totpCode } from 'otplib';
import { DataSource } from 'typeorm';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
type Started = Awaited<ReturnType<typeof runStandalone>>;

const APP_REDIRECT = 'http://127.0.0.1:7777/callback';
const API = 'https://invoices.example';
const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const SKEW_MS = 60_000;

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

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The auto-submitting page an IdP answers with (HTTP-POST binding), as the browser would post it. */
const postBindingPage = (acsUrl: string, fields: Record<string, string | undefined>): Page => ({
  url: new URL(acsUrl),
  status: 200,
  headers: new Headers(),
  location: null,
  body: `<form method="post" action="${escapeAttribute(acsUrl)}">${Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeAttribute(value!)}">`)
    .join('')}</form>`,
});

/** The TOTP secret of the otpauth URI an enrolment page shows. */
const secretOf = (page: Page): string => {
  const uri = /href="(otpauth:\/\/[^"]+)"/.exec(page.body)?.[1]?.replace(/&#38;/g, '&');
  if (!uri) throw new Error(`no otpauth URI on the page (status ${page.status})`);
  return new URL(uri).searchParams.get('secret')!;
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

interface App {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
}

/** DNS for domain verification, as a table the test fills. */
const txt = new Map<string, string[]>();

/**
 * Sign-in through Mandate's authorization server with each organization's SSO connection, in one
 * standalone Mandate: SAML against samlify's IdP (signed AuthnRequests; IdP-initiated allowed and
 * refused), OIDC against oidc-provider in its own process; home-realm discovery with SSO and
 * non-SSO users side by side; JIT on and off; identities keyed by connection and subject, never by
 * email; the MFA step; tokens with the organization, roles, permissions, amr and acr; one person in
 * two organizations; and hostile answers refused with `authn.login.failed` audited and no session.
 */
describe('SSO sign-in through Mandate', () => {
  let dataDir: string;
  let started: Started;
  let issuer: string;
  let adminKey: string;
  let oidcIdp: OidcTestIdp;
  let samlKeys: { idp: TestKeyPair; otherIdp: TestKeyPair; attacker: TestKeyPair };
  let samlIdp: TestIdentityProvider;
  const orgs: Record<'acme' | 'globex', string> = { acme: '', globex: '' };
  const connections: Record<'saml' | 'oidc', string> = { saml: '', oidc: '' };
  const apps: Record<'acme' | 'globex', App> = {} as Record<'acme' | 'globex', App>;
  const scimUsers: Record<string, string> = {};
  let spMetadata: string;
  let acsUrl: string;

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${issuer}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };

  const verifyDomain = async (orgId: string, domain: string) => {
    const added = await call(`/api/v1/organizations/${orgId}/domains`, { body: { domain } });
    expect(added.status).toBe(201);
    const record = added.body['verification'] as { name: string; value: string };
    txt.set(record.name, [record.value]);
    expect((await call(`/api/v1/organizations/${orgId}/domains/${domain}/verify`, { body: {} })).status).toBe(
      200,
    );
  };

  const provisionScimUser = async (orgId: string, userName: string) => {
    const directory = await call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: `Okta ${userName}`, provider: 'okta' },
    });
    const response = await fetch(`${issuer}/scim/v2/${directory.body['id'] as string}/Users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${directory.body['token'] as string}`,
        'content-type': 'application/scim+json',
      },
      body: JSON.stringify({ schemas: [SCIM_USER], userName, emails: [{ value: userName, primary: true }] }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as Body)['id'] as string;
  };

  const registerApp = async (orgId: string): Promise<App> => {
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
    return {
      clientId: registered.body['clientId'] as string,
      clientSecret: registered.body['clientSecret'] as string,
      orgId,
    };
  };

  const createConnection = async (orgId: string, body: Body): Promise<string> => {
    const created = await eventually(async () => {
      const answer = await call(`/api/v1/organizations/${orgId}/connections`, { body });
      return answer.status === 404 ? null : answer;
    });
    expect(created.status).toBe(201);
    return created.body['id'] as string;
  };

  const testAndEnable = async (orgId: string, connectionId: string) => {
    const path = `/api/v1/organizations/${orgId}/connections/${connectionId}`;
    const tested = await call(`${path}/test`, { body: {} });
    expect([tested.status, tested.body['lastTest']]).toEqual([200, expect.objectContaining({ ok: true })]);
    const enabled = await eventually(async () => {
      const answer = await call(`${path}/enable`, { body: {} });
      return answer.status === 200 ? answer : null;
    });
    expect(enabled.body['status']).toBe('enabled');
  };

  const auditRecords = async (orgId: string, query: Record<string, string>) =>
    (await call(`/api/v1/organizations/${orgId}/audit/records?${new URLSearchParams(query).toString()}`))
      .body['data'] as Body[];

  /** Waits for the audit record of a refused sign-in with this reason (the audit log follows the events). */
  const failureAudited = (orgId: string, reason: string, since: string) =>
    eventually(async () => {
      const records = await auditRecords(orgId, { action: 'login.failed', outcome: 'failure', from: since });
      return records.find((record) => record['reason'] === reason);
    });

  /** Starts an authorization request of `app` in `browser`: the page it stops at, and the PKCE verifier. */
  const authorize = async (browser: Browser, app: App, params: Record<string, string> = {}) => {
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
      ...params,
    });
    const page = await browser.follow(
      await browser.get(`${issuer}/oauth/authorize?${query.toString()}`),
      (url) => url.origin !== new URL(issuer).origin,
    );
    return { page, verifier };
  };

  const isApp = (url: URL) => url.href.startsWith(APP_REDIRECT);

  /**
   * Follows redirects to the app as a browser would, including the page that auto-submits the end
   * of the previous session when another account signs in (oidc-provider's logout confirmation).
   */
  const followToApp = async (browser: Browser, page: Page): Promise<Page> => {
    const reached = await browser.follow(page, isApp);
    if (reached.location === null && reached.body.includes('/oauth/logout/confirm'))
      return browser.follow(await browser.submitForm(reached), isApp);
    return reached;
  };

  /** Redeems the code the app got: the token response (ID and access token decoded and verified). */
  const redeem = async (app: App, redirect: Page, verifier: string) => {
    expect(redirect.location && isApp(redirect.location)).toBe(true);
    const code = redirect.location!.searchParams.get('code');
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
    const tokens = (await response.json()) as Body;
    expect(response.status).toBe(200);
    const keys = createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`));
    const idToken = (await jwtVerify(tokens['id_token'] as string, keys, { issuer, audience: app.clientId }))
      .payload;
    const accessToken = (await jwtVerify(tokens['access_token'] as string, keys, { issuer, audience: API }))
      .payload;
    return { idToken, accessToken };
  };

  /**
   * The SAML IdP answers the AuthnRequest the browser was sent with, and the browser posts it to the
   * ACS — a cross-site POST, so without Mandate's (SameSite=Lax) cookies — then follows the redirect.
   */
  const answerAtIdp = async (browser: Browser, toIdp: Page, user: TestSamlUser) => {
    expect(toIdp.location?.host).toBe('idp.acme.test');
    const form = await samlIdp.respondToRedirect(spMetadata, toIdp.location!.href, user);
    const posted = await new Browser().submitForm(
      postBindingPage(acsUrl, { SAMLResponse: form.SAMLResponse }),
    );
    return posted.location ? browser.get(posted.location) : posted;
  };

  /** A whole SAML sign-in from the app's authorization request: the tokens, or the page it stopped at. */
  const samlSignIn = async (browser: Browser, user: TestSamlUser, params: Record<string, string> = {}) => {
    const { page, verifier } = await authorize(browser, apps.acme, { login_hint: user.nameId, ...params });
    const back = await answerAtIdp(browser, page, user);
    const end = await followToApp(browser, back);
    return { end, verifier };
  };

  /** An OIDC sign-in up to the first page that is not a redirect (the IdP's login form is filled in). */
  const oidcSignIn = async (browser: Browser, sub: string, params: Record<string, string> = {}) => {
    const { page, verifier } = await authorize(browser, apps.globex, params);
    let current = page;
    if (current.location === null)
      current = await browser.submitForm(current, { email: `${sub}@globex.example` });
    const atIdp = await browser.follow(current);
    expect(atIdp.url.origin).toBe(oidcIdp.issuer);
    const end = await followToApp(browser, await browser.submitForm(atIdp, { login: sub }));
    return { end, verifier };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-sso-login-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    samlKeys = {
      idp: generateTestKeyPair('idp.acme.test'),
      otherIdp: generateTestKeyPair('idp.other.test'),
      attacker: generateTestKeyPair('attacker.test'),
    };
    samlIdp = new TestIdentityProvider({
      entityId: 'https://idp.acme.test/saml',
      ssoUrl: 'https://idp.acme.test/sso',
      signing: samlKeys.idp,
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
    orgs.acme = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    orgs.globex = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    await verifyDomain(orgs.acme, 'acme.example');
    await verifyDomain(orgs.acme, 'partners.acme.example');
    await verifyDomain(orgs.globex, 'globex.example');
    apps.acme = await registerApp(orgs.acme);
    apps.globex = await registerApp(orgs.globex);

    // Acme: SAML from the IdP's metadata, signed AuthnRequests, IdP-initiated allowed to start an authorization.
    connections.saml = await createConnection(orgs.acme, {
      kind: 'saml',
      name: 'Okta',
      saml: {
        metadataXml: samlIdp.metadata(),
        allowIdpInitiated: true,
        relayStateAllowList: ['/oauth/authorize'],
      },
      groupRoleMappings: [{ group: 'Finance', role: 'approver' }],
      jit: { enabled: true, defaultRoles: ['member'], linkByEmail: true },
      domains: ['acme.example'],
    });
    acsUrl = `${issuer}/sso/saml/${connections.saml}/acs`;

    // Globex: OIDC; the IdP learns the redirect URI, so its port is chosen first.
    const port = await freePort();
    connections.oidc = await createConnection(orgs.globex, {
      kind: 'oidc',
      name: 'Entra',
      oidc: {
        issuer: `http://127.0.0.1:${port}`,
        clientId: 'mandate-globex',
        clientAuth: 'client_secret_basic',
        clientSecret: 'the-globex-client-secret',
        scopes: ['openid', 'email', 'profile', 'groups'],
      },
      groupRoleMappings: [{ group: 'Engineering', role: 'engineer' }],
      jit: { enabled: true, defaultRoles: [] },
      mfa: { required: true },
      domains: ['globex.example'],
    });
    oidcIdp = await startOidcTestIdp({
      port,
      clients: [
        {
          client_id: 'mandate-globex',
          client_secret: 'the-globex-client-secret',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: [`${issuer}/sso/oidc/${connections.oidc}/callback`],
        },
      ],
      users: [
        { sub: 'grace', email: 'grace@globex.example', name: 'Grace Hopper', groups: ['Engineering'] },
        { sub: 'mfa-at-idp', email: 'ken@globex.example', amr: ['pwd', 'otp'], acr: 'phr' },
        { sub: 'impostor', email: 'linda@globex.example', groups: [] },
        { sub: 'wendy', email: 'wendy@globex.example' },
      ],
    });
    await testAndEnable(orgs.acme, connections.saml);
    await testAndEnable(orgs.globex, connections.oidc);
    spMetadata = await (await fetch(`${issuer}/sso/saml/${connections.saml}/metadata`)).text();

    scimUsers['sam'] = await provisionScimUser(orgs.acme, 'sam@acme.example');
    scimUsers['pat'] = await provisionScimUser(orgs.acme, 'pat@partners.acme.example');
    scimUsers['linda'] = await provisionScimUser(orgs.globex, 'linda@globex.example');
    const clerk = await call(`/api/v1/organizations/${orgs.acme}/roles`, {
      body: { key: 'clerk', name: 'Clerk', permissions: ['invoices:read', 'invoices:approve'] },
    });
    await call(
      `/api/v1/organizations/${orgs.acme}/roles/${(clerk.body['role'] as Body)['id'] as string}/assignments`,
      {
        body: { subject: `user:${scimUsers['sam']}` },
      },
    );
  });

  afterAll(async () => {
    await started?.app.close();
    await oidcIdp?.stop();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('SAML', () => {
    it('serves SP metadata with the ACS and the signing certificate, and the connection passed its test', () => {
      expect(spMetadata).toContain(`entityID="${issuer}/sso/saml/${connections.saml}"`);
      expect(spMetadata).toContain(`Location="${acsUrl}"`);
      expect(spMetadata).toMatch(/AuthnRequestsSigned="true"/);
      expect(spMetadata).toContain('<ds:X509Certificate>');
    });

    it('signs a new person in SP-initiated (signed AuthnRequest), creating them just in time', async () => {
      const browser = new Browser();
      const user = {
        nameId: 'ada@acme.example',
        nameIdFormat: EMAIL_FORMAT,
        attributes: { firstName: ['Ada'], lastName: ['Lovelace'], groups: ['Finance', 'Eng'] },
      };
      const { end, verifier } = await samlSignIn(browser, user);
      const { idToken, accessToken } = await redeem(apps.acme, end, verifier);
      expect(idToken).toMatchObject({
        org_id: orgs.acme,
        roles: ['approver', 'member'],
        permissions: [],
        acr: 'urn:mandate:acr:sso',
        amr: ['pwd'],
      });
      expect(accessToken).toMatchObject({
        sub: idToken.sub,
        org_id: orgs.acme,
        roles: ['approver', 'member'],
      });
      // The directory created the person (JIT) under the connection's just-in-time directory.
      const user_ = await call(`/api/v1/organizations/${orgs.acme}/users/${idToken.sub!}`);
      expect(user_.status).toBe(200);
      expect(JSON.stringify(user_.body)).toContain('ada@acme.example');
      // The same person again: the same account, through the identity link.
      const again = await samlSignIn(new Browser(), user);
      expect((await redeem(apps.acme, again.end, again.verifier)).idToken.sub).toBe(idToken.sub);
      const succeeded = await eventually(async () =>
        (await auditRecords(orgs.acme, { action: 'login.succeeded', target: `user:${idToken.sub!}` })).at(0),
      );
      expect(succeeded).toMatchObject({ outcome: 'success', metadata: { method: 'saml', amr: ['pwd'] } });
    });

    it('links a SCIM user by email where the connection trusts it, carrying their authz permissions', async () => {
      const { end, verifier } = await samlSignIn(new Browser(), {
        nameId: 'sam@acme.example',
        nameIdFormat: EMAIL_FORMAT,
      });
      const { idToken } = await redeem(apps.acme, end, verifier);
      expect(idToken.sub).toBe(scimUsers['sam']);
      expect(idToken['permissions']).toEqual(expect.arrayContaining(['invoices:read', 'invoices:approve']));
    });

    it('refuses a first login when just-in-time provisioning is off, creating nobody', async () => {
      const path = `/api/v1/organizations/${orgs.acme}/connections/${connections.saml}`;
      const since = new Date().toISOString();
      expect((await call(path, { method: 'PATCH', body: { jit: { enabled: false } } })).body).toMatchObject({
        status: 'enabled',
        jit: { enabled: false },
      });
      try {
        const browser = new Browser();
        const { page } = await authorize(browser, apps.acme, { login_hint: 'newbie@acme.example' });
        const refused = await answerAtIdp(browser, page, {
          nameId: 'newbie@acme.example',
          nameIdFormat: EMAIL_FORMAT,
        });
        expect(refused.status).toBe(400);
        expect(refused.body).toContain('sso_user_not_provisioned');
        expect(browser.cookiesFor(`${issuer}/oauth/authorize`).has('_session')).toBe(false);
        await failureAudited(orgs.acme, 'sso_user_not_provisioned', since);
      } finally {
        await call(path, { method: 'PATCH', body: { jit: { enabled: true } } });
      }
    });

    it('IdP-initiated: starts an authorization at the allow-listed application; refused when not allowed', async () => {
      const browser = new Browser();
      const verifier = randomBytes(32).toString('base64url');
      const start = new URLSearchParams({
        client_id: apps.acme.clientId,
        response_type: 'code',
        redirect_uri: APP_REDIRECT,
        scope: 'openid',
        resource: API,
        code_challenge: s256(verifier),
        code_challenge_method: 'S256',
      });
      const relayState = `/oauth/authorize?${start.toString()}`;
      const form = await samlIdp.issueUnsolicited(
        spMetadata,
        { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT },
        { relayState },
      );
      const posted = await browser.submitForm(postBindingPage(acsUrl, { ...form }));
      expect(posted.location?.href).toBe(`${issuer}${relayState}`);
      const end = await browser.follow(posted, isApp);
      expect((await redeem(apps.acme, end, verifier)).idToken).toMatchObject({ org_id: orgs.acme });

      const since = new Date().toISOString();
      const evil = await samlIdp.issueUnsolicited(
        spMetadata,
        { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT },
        {
          relayState: 'https://evil.example/phish',
        },
      );
      const refused = await new Browser().submitForm(postBindingPage(acsUrl, { ...evil }));
      expect(refused.status).toBe(400);
      await failureAudited(orgs.acme, 'saml_relay_state_forbidden', since);

      const path = `/api/v1/organizations/${orgs.acme}/connections/${connections.saml}`;
      expect(
        (await call(path, { method: 'PATCH', body: { saml: { allowIdpInitiated: false } } })).status,
      ).toBe(200);
      try {
        await testAndEnable(orgs.acme, connections.saml);
        const unsolicited = await samlIdp.issueUnsolicited(
          spMetadata,
          { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT },
          { relayState },
        );
        const notAllowed = await new Browser().submitForm(postBindingPage(acsUrl, { ...unsolicited }));
        expect(notAllowed.status).toBe(400);
        await failureAudited(orgs.acme, 'saml_unsolicited_response', since);
      } finally {
        await call(path, { method: 'PATCH', body: { saml: { allowIdpInitiated: true } } });
        await testAndEnable(orgs.acme, connections.saml);
      }
    });
  });

  it('refuses an answer that comes back to another browser than the one that started the sign-in', async () => {
    const since = new Date().toISOString();
    const { page } = await authorize(new Browser(), apps.acme, { login_hint: 'ada@acme.example' });
    const elsewhere = await answerAtIdp(new Browser(), page, {
      nameId: 'ada@acme.example',
      nameIdFormat: EMAIL_FORMAT,
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toContain('sso_attempt_other_browser');
    await failureAudited(orgs.acme, 'sso_attempt_other_browser', since);
  });

  describe('home-realm discovery', () => {
    it('routes a work email to its connection; an email of a domain without SSO signs in with a ticket', async () => {
      const browser = new Browser();
      const { page } = await authorize(browser, apps.acme);
      expect(page.status).toBe(200);
      const toIdp = await browser.submitForm(page, { email: 'Ada@ACME.example' });
      expect(toIdp.location?.host).toBe('idp.acme.test');

      const other = new Browser();
      const { page: form, verifier } = await authorize(other, apps.acme);
      const fallback = await other.submitForm(form, { email: 'pat@partners.acme.example' });
      expect(fallback.status).toBe(200);
      expect(fallback.body).toContain('login ticket');
      const ticket = await eventually(async () => {
        const answer = await call(
          `/api/v1/organizations/${orgs.acme}/users/${scimUsers['pat']}/login-tickets`,
          {
            body: {},
          },
        );
        return answer.status === 201 ? (answer.body['ticket'] as string) : null;
      });
      const signedIn = await other.submitForm(
        fallback,
        { ticket },
        { action: (url) => url.pathname.endsWith('/login') },
      );
      const { idToken } = await redeem(apps.acme, await other.follow(signedIn, isApp), verifier);
      expect(idToken).toMatchObject({ sub: scimUsers['pat'], amr: ['ticket'] });
    });

    it('honours an organization hint, and refuses one for another organization', async () => {
      const browser = new Browser();
      const { page } = await authorize(browser, apps.acme, { organization: orgs.acme });
      expect(page.location?.host).toBe('idp.acme.test');
      const { page: refused } = await authorize(new Browser(), apps.acme, { organization: orgs.globex });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('sso_organization_mismatch');
    });
  });

  describe('OIDC and the MFA step', () => {
    let graceSecret = '';

    it('asks a person with no second factor to enrol TOTP, then signs them in with amr/acr saying so', async () => {
      const browser = new Browser();
      const { end: enrolStart, verifier } = await oidcSignIn(browser, 'grace');
      expect(enrolStart.status).toBe(200);
      expect(enrolStart.body).toContain('Set up an authenticator app');
      const first = await browser.submitForm(enrolStart);
      expect(secretOf(first)).toEqual(expect.any(String));
      // A wrong code starts the enrolment over (the pending app is replaced).
      const wrong = await browser.submitForm(first, { code: '000000' });
      expect(wrong.status).toBe(400);
      const second = await browser.submitForm(wrong);
      graceSecret = secretOf(second);
      const enrolled = await browser.submitForm(second, { code: await totpCode({ secret: graceSecret }) });
      const { idToken, accessToken } = await redeem(
        apps.globex,
        await browser.follow(enrolled, isApp),
        verifier,
      );
      expect(idToken).toMatchObject({
        org_id: orgs.globex,
        roles: ['engineer'],
        acr: 'urn:mandate:acr:mfa',
        amr: ['pwd', 'otp', 'mfa'],
      });
      expect(accessToken).toMatchObject({ org_id: orgs.globex, roles: ['engineer'] });
    });

    it('asks for the code at the next sign-in; a wrong code is refused and audited', async () => {
      const browser = new Browser();
      const since = new Date().toISOString();
      const { end: mfa, verifier } = await oidcSignIn(browser, 'grace');
      expect(mfa.body).toContain('Code from your authenticator app');
      const wrong = await browser.submitForm(mfa, { code: '000000' });
      expect(wrong.status).toBe(400);
      await failureAudited(orgs.globex, 'sso_mfa_failed', since);
      const next = await totpCode({ secret: graceSecret, epoch: Math.floor(Date.now() / 1000) + 30 });
      const verified = await browser.submitForm(wrong, { code: next });
      const { idToken } = await redeem(apps.globex, await browser.follow(verified, isApp), verifier);
      expect(idToken).toMatchObject({ acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
    });

    it('verifies a security key (WebAuthn) at the step', async () => {
      // The first sign-in creates Wendy (JIT) and asks her to enrol: she has no factor yet.
      expect((await oidcSignIn(new Browser(), 'wendy')).end.body).toContain('Set up an authenticator app');
      const [identity] = await started.app
        .get(DataSource)
        .query<{ user_id: string }[]>(
          'select user_id from authn.sso_identities where connection_id = $1 and subject = $2',
          [connections.oidc, 'wendy'],
        );
      const mfaApi = `/api/v1/organizations/${orgs.globex}/users/${identity!.user_id}/mfa/webauthn`;
      const origin = new URL(issuer).origin;
      const authenticator = SoftwareWebauthnAuthenticator.create();
      const creation = await call(`${mfaApi}/registration-options`, {
        body: { rpId: new URL(issuer).hostname, rpName: 'Mandate', origin },
      });
      const registration = authenticator.register(creation.body as never, { origin });
      expect(
        (await call(`${mfaApi}/registrations`, { body: { name: 'Key', response: registration } })).status,
      ).toBe(201);

      const browser = new Browser();
      const { end: mfa, verifier } = await oidcSignIn(browser, 'wendy');
      const keyForm = parseForms(mfa).find((form) => form.action.pathname.endsWith('/mfa/webauthn'));
      expect(keyForm).toBeDefined();
      const optionsPath = /data-webauthn-options="([^"]+)"/.exec(mfa.body)![1]!;
      const options = await browser.submitForm(postBindingPage(`${issuer}${optionsPath}`, {}));
      expect(options.status).toBe(200);
      const assertion = authenticator.authenticate(JSON.parse(options.body) as never, { origin });
      const verified = await browser.submitForm(
        mfa,
        { credential: JSON.stringify(assertion) },
        { action: (url) => url.pathname.endsWith('/mfa/webauthn') },
      );
      const { idToken } = await redeem(apps.globex, await browser.follow(verified, isApp), verifier);
      expect(idToken).toMatchObject({ acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'hwk', 'user', 'mfa'] });
    });

    it('skips the step when the IdP asserted MFA', async () => {
      const { end, verifier } = await oidcSignIn(new Browser(), 'mfa-at-idp');
      const { idToken } = await redeem(apps.globex, end, verifier);
      expect(idToken).toMatchObject({ acr: 'urn:mandate:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
    });

    it("an IdP asserting an existing user's email creates a new identity, never signs in as them", async () => {
      const browser = new Browser();
      const { end } = await oidcSignIn(browser, 'impostor');
      // The new identity has no factor yet: enrolment, not the SCIM user's session.
      expect(end.body).toContain('Set up an authenticator app');
      const [identity] = await started.app
        .get(DataSource)
        .query<{ user_id: string }[]>(
          'select user_id from authn.sso_identities where connection_id = $1 and subject = $2',
          [connections.oidc, 'impostor'],
        );
      expect(identity?.user_id).toMatch(/^usr_/);
      expect(identity?.user_id).not.toBe(scimUsers['linda']);
    });

    it('refuses a callback with a wrong state, and a replayed callback', async () => {
      const since = new Date().toISOString();
      const wrong = await new Browser().get(
        `${issuer}/sso/oidc/${connections.oidc}/callback?code=x&state=forged`,
      );
      expect(wrong.status).toBe(400);
      await failureAudited(orgs.globex, 'sso_attempt_unknown', since);

      const browser = new Browser();
      const { page } = await authorize(browser, apps.globex, { login_hint: 'mfa-at-idp@globex.example' });
      const atIdp = await browser.follow(page);
      const toMandate = await browser.follow(
        await browser.submitForm(atIdp, { login: 'mfa-at-idp' }),
        (url) => url.pathname.endsWith('/callback'),
      );
      const callback = toMandate.location!;
      const first = await browser.get(callback);
      expect(first.status).toBe(303);
      const replayed = await browser.get(callback);
      expect(replayed.status).toBe(400);
      await failureAudited(orgs.globex, 'sso_attempt_replayed', since);
    });
  });

  it('one person signs in to two organizations in the same browser and switches between them', async () => {
    const browser = new Browser();
    const acme = await samlSignIn(browser, { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT });
    const inAcme = (await redeem(apps.acme, acme.end, acme.verifier)).idToken;
    const globex = await oidcSignIn(browser, 'mfa-at-idp');
    const inGlobex = (await redeem(apps.globex, globex.end, globex.verifier)).idToken;
    expect([inAcme.org_id, inGlobex.org_id]).toEqual([orgs.acme, orgs.globex]);
    expect(inAcme.sub).not.toBe(inGlobex.sub);
    // Back to Acme's app: the session is Globex's, so Acme's IdP is asked again.
    const back = await samlSignIn(browser, { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT });
    expect((await redeem(apps.acme, back.end, back.verifier)).idToken.sub).toBe(inAcme.sub);
  });

  describe('hostile SAML responses at the real ACS', () => {
    const SAMPLE: readonly [SamlAttackId, string][] = [
      ['XSW-1', 'saml_invalid_signature'],
      ['XSW-3', 'saml_'],
      ['XSW-9', 'saml_multiple_assertions'],
      ['SIG-4', 'saml_invalid_signature'],
      ['SAML-G1-other-acs', 'saml_destination_mismatch'],
      ['SAML-T1-expired', 'saml_expired'],
      ['SAML-X1-xxe', 'saml_doctype_forbidden'],
      ['SAML-X4-oversize', 'saml_message_too_large'],
    ];

    it.each(SAMPLE)('%s is refused with authn.login.failed audited and no session', async (id, reason) => {
      const valid = await samlIdp.issueUnsolicited(spMetadata, {
        nameId: 'ada@acme.example',
        nameIdFormat: EMAIL_FORMAT,
      });
      const fixtures = new SamlAttackFixtures({
        validResponse: valid.SAMLResponse,
        idp: samlKeys.idp,
        otherIdp: { keys: samlKeys.otherIdp, entityId: 'https://idp.other.test/saml' },
        attacker: samlKeys.attacker,
        otherAcsUrl: `${issuer}/sso/saml/con_00000000000000000000000000/acs`,
        otherSpEntityId: `${issuer}/sso/saml/con_00000000000000000000000000`,
        clockSkewMs: SKEW_MS,
      });
      const attack = fixtures.attacks().find((variant) => variant.id === id)!;
      const since = new Date(Date.now() - 1000).toISOString();
      const browser = new Browser();
      const answer = await browser.submitForm(
        postBindingPage(acsUrl, { SAMLResponse: attack.SAMLResponse, RelayState: '/oauth/authorize' }),
      );
      expect(answer.status).toBe(reason === 'saml_message_too_large' ? 413 : 400);
      expect(answer.location).toBeNull();
      const record = await eventually(async () =>
        (await auditRecords(orgs.acme, { action: 'login.failed', from: since })).find((candidate) =>
          String(candidate['reason']).startsWith(reason),
        ),
      );
      expect(record).toMatchObject({
        outcome: 'failure',
        targets: [{ type: 'connection', id: connections.saml }],
      });
      expect(browser.cookiesFor(`${issuer}/oauth/authorize`).has('_session')).toBe(false);
    });

    it('a replayed response is refused the second time', async () => {
      const since = new Date().toISOString();
      const form = await samlIdp.issueUnsolicited(
        spMetadata,
        { nameId: 'ada@acme.example', nameIdFormat: EMAIL_FORMAT },
        {
          relayState: '/oauth/authorize',
        },
      );
      expect((await new Browser().submitForm(postBindingPage(acsUrl, { ...form }))).status).toBe(303);
      const replay = await new Browser().submitForm(postBindingPage(acsUrl, { ...form }));
      expect(replay.status).toBe(400);
      await failureAudited(orgs.acme, 'saml_replay', since);
    });
  });
});
