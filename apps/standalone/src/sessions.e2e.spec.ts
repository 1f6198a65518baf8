import { runStandalone } from '@mandate/runtime';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
type Started = Awaited<ReturnType<typeof runStandalone>>;

const ADMIN_KEY = `mandate_admin_${randomBytes(24).toString('base64url')}`;
const API = 'https://invoices.acme.example';
const REDIRECT = 'http://127.0.0.1:7777/callback';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const eventually = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(20);
  }
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A browser on Mandate's origin: follows its redirects by hand and keeps its cookies. */
class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return response;
  }

  /** Follows redirects until one leaves Mandate's origin or a page answers. */
  async follow(url: string, init: RequestInit = {}): Promise<Response> {
    let response = await this.go(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      const next = new URL(location, url);
      if (next.origin !== this.origin) return response;
      response = await this.go(next.href);
      url = next.href;
    }
    throw new Error('too many redirects');
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** An application's back-channel logout endpoint: keeps every logout token posted to it. */
class LogoutReceiver {
  readonly tokens: string[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token');
        if (req.method === 'POST' && token) this.tokens.push(token);
        res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel-logout`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next logout token after `seen` of them. */
  next(seen: number): Promise<string> {
    return eventually(() => Promise.resolve(this.tokens[seen]));
  }
}

describe('sessions: list, revoke, the leaver, back-channel and RP-initiated logout', () => {
  let dataDir: string;
  let started: Started;
  let orgId: string;
  let otherOrgId: string;
  let app: { clientId: string; clientSecret: string };
  let scim: (path: string, method: string, body: unknown) => Promise<Body>;
  const receiver = new LogoutReceiver();

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };

  const form = async (path: string, params: Record<string, string>, authorization: string) => {
    const response = await fetch(`${started.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: new URLSearchParams(params).toString(),
    });
    return (await response.json()) as Body;
  };

  const introspect = (token: string) => form('/oauth/introspect', { token }, `Bearer ${ADMIN_KEY}`);

  const provision = async (userName: string) =>
    (await scim('/Users', 'POST', { schemas: [USER], userName }))['id'] as string;

  const ticketFor = (userId: string) =>
    eventually(async () => {
      const answer = await call(`/api/v1/organizations/${orgId}/users/${userId}/login-tickets`, { body: {} });
      return answer.status === 201 ? (answer.body['ticket'] as string) : null;
    });

  const authorizeUrl = (verifier: string) =>
    `${started.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid invoices:read',
      state: 'st4te',
      resource: API,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
    }).toString()}`;

  /** The browser signs the user in with a login ticket; the tokens the application gets. */
  const signIn = async (userId: string, browser = new Browser(new URL(started.url).origin)) => {
    const verifier = randomBytes(32).toString('base64url');
    const page = await browser.follow(authorizeUrl(verifier));
    expect(page.status).toBe(200);
    const uid = /action="\/oauth\/interaction\/([^/"]+)\/login"/.exec(await page.text())?.[1];
    if (!uid) throw new Error('no login form');
    const redirect = await browser.follow(`${started.url}/oauth/interaction/${uid}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ticket: await ticketFor(userId) }).toString(),
    });
    const code = new URL(redirect.headers.get('location')!).searchParams.get('code');
    if (!code) throw new Error(`no code: ${redirect.status} ${await redirect.text()}`);
    const tokens = await form(
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      basic(app.clientId, app.clientSecret),
    );
    return { browser, tokens };
  };

  /** Whether the browser's next authorization request goes straight back to the application. */
  const signedInStill = async (browser: Browser) => {
    const answer = await browser.follow(authorizeUrl(randomBytes(32).toString('base64url')));
    return answer.status === 303 || answer.status === 302;
  };

  const sessionsOf = async (userId: string) =>
    (await call(`/api/v1/organizations/${orgId}/users/${userId}/sessions`)).body['data'] as Body[];

  /** Checks a logout token as an application must (Back-Channel Logout §2.6), against Mandate's JWKS. */
  const verifiedLogoutToken = async (token: string): Promise<JWTPayload> => {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${started.url}/oauth/jwks`)),
      { issuer: started.url, audience: app.clientId, typ: 'logout+jwt', maxTokenAge: '2 minutes' },
    );
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload['events']).toEqual({ [BACKCHANNEL_EVENT]: {} });
    expect(payload).not.toHaveProperty('nonce');
    expect(typeof payload.jti).toBe('string');
    return payload;
  };

  const auditActions = async () =>
    (
      (await call(`/api/v1/organizations/${orgId}/audit/records?limit=1000`)).body['data'] as {
        action: string;
        reason?: string;
        targets: { type: string; id: string }[];
      }[]
    ).filter((record) => record.action === 'session.revoked');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-sessions-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      MANDATE_ADMIN_KEY: ADMIN_KEY,
    });
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    otherOrgId = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    const directory = await call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'Okta', provider: 'okta' },
    });
    scim = async (path, method, body) => {
      const response = await fetch(`${started.url}/scim/v2/${directory.body['id'] as string}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${directory.body['token'] as string}`,
          'content-type': 'application/scim+json',
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as Body;
    };
    const registered = await call(`/api/v1/organizations/${orgId}/clients`, {
      body: {
        name: 'Invoices web',
        redirectUris: [REDIRECT],
        grantTypes: ['authorization_code', 'refresh_token'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        scopes: ['invoices:read'],
        audiences: [API],
        backchannelLogoutUri: await receiver.start(),
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ backchannelLogoutSessionRequired: true });
    app = {
      clientId: registered.body['clientId'] as string,
      clientSecret: registered.body['clientSecret'] as string,
    };
  });
  afterAll(async () => {
    await started.app.close();
    await receiver.stop();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a back-channel logout URI that is plain http off loopback, or has a fragment', async () => {
    for (const backchannelLogoutUri of ['http://invoices.acme.example/logout', 'https://a.example/l#x']) {
      const refused = await call(`/api/v1/organizations/${orgId}/clients`, {
        body: {
          name: 'Bad',
          redirectUris: [REDIRECT],
          grantTypes: ['authorization_code'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          audiences: [API],
          backchannelLogoutUri,
        },
      });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID');
    }
  });

  it('lists a session without its cookie; revoking it signs the browser out, kills its tokens and tells the application', async () => {
    const userId = await provision('ada@acme.example');
    const { browser, tokens } = await signIn(userId);
    expect(await signedInStill(browser)).toBe(true);

    const [session, ...others] = await sessionsOf(userId);
    expect(others).toEqual([]);
    expect(session).toMatchObject({
      userId,
      amr: ['ticket'],
      clients: [{ clientId: app.clientId, name: 'Invoices web' }],
    });
    expect(Date.parse(session!['expiresAt'] as string)).toBeGreaterThan(Date.now());
    expect(Date.parse(session!['authenticatedAt'] as string)).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(session)).not.toMatch(/_session|jti|sid|grant/i);
    expect(await introspect(tokens['access_token'] as string)).toMatchObject({ active: true });

    const seen = receiver.tokens.length;
    const revoked = await call(
      `/api/v1/organizations/${orgId}/users/${userId}/sessions/${session!['id'] as string}`,
      { method: 'DELETE' },
    );
    expect(revoked).toEqual({
      status: 200,
      body: { logout: [{ clientId: app.clientId, outcome: 'delivered' }] },
    });

    expect(await signedInStill(browser)).toBe(false);
    expect(await sessionsOf(userId)).toEqual([]);
    expect(await introspect(tokens['access_token'] as string)).toEqual({ active: false });
    expect(await introspect(tokens['refresh_token'] as string)).toEqual({ active: false });
    const logout = await verifiedLogoutToken(await receiver.next(seen));
    expect(logout.sub).toBe(userId);
    expect(logout['sid']).toBe(decodeJwt(tokens['id_token'] as string)['sid']);
    expect(decodeProtectedHeader(await receiver.next(seen)).typ).toBe('logout+jwt');

    const again = await call(
      `/api/v1/organizations/${orgId}/users/${userId}/sessions/${session!['id'] as string}`,
      { method: 'DELETE' },
    );
    expect(again.status).toBe(404);
    const audited = await eventually(async () => {
      const records = await auditActions();
      return records.find((record) => record.targets.some((t) => t.id === session!['id'])) ?? null;
    });
    expect(audited).toMatchObject({ reason: 'admin' });
  });

  it('revokes every session of a user at once', async () => {
    const userId = await provision('grace@acme.example');
    const first = await signIn(userId);
    const second = await signIn(userId);
    expect(await sessionsOf(userId)).toHaveLength(2);

    const revoked = await call(`/api/v1/organizations/${orgId}/users/${userId}/sessions`, {
      method: 'DELETE',
    });
    expect(revoked).toEqual({ status: 200, body: { revoked: 2 } });
    expect(await signedInStill(first.browser)).toBe(false);
    expect(await signedInStill(second.browser)).toBe(false);
    expect(await introspect(second.tokens['access_token'] as string)).toEqual({ active: false });
  });

  it("a SCIM deactivation ends the leaver's session, with a logout token to the application", async () => {
    const userId = await provision('linus@acme.example');
    const { browser, tokens } = await signIn(userId);
    const seen = receiver.tokens.length;

    await scim(`/Users/${userId}`, 'PATCH', {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });

    const logout = await verifiedLogoutToken(await receiver.next(seen));
    expect(logout.sub).toBe(userId);
    expect(logout['sid']).toBe(decodeJwt(tokens['id_token'] as string)['sid']);
    await eventually(async () => ((await sessionsOf(userId)).length === 0 ? true : null));
    expect(await signedInStill(browser)).toBe(false);
    expect(await introspect(tokens['refresh_token'] as string)).toEqual({ active: false });
    const audited = await eventually(async () => {
      const records = await auditActions();
      return records.find((record) => record.targets.some((t) => t.id === userId)) ?? null;
    });
    expect(audited).toMatchObject({ reason: 'user_deactivated' });
  });

  it('RP-initiated logout ends the session, revokes its grant and sends the logout token', async () => {
    const userId = await provision('barbara@acme.example');
    const { browser, tokens } = await signIn(userId);
    const seen = receiver.tokens.length;

    const confirm = await browser.follow(
      `${started.url}/oauth/logout?${new URLSearchParams({
        id_token_hint: tokens['id_token'] as string,
      }).toString()}`,
    );
    expect(confirm.status).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await confirm.text())?.[1];
    if (!xsrf) throw new Error('no logout form');
    const done = await browser.follow(`${started.url}/oauth/logout/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    expect(done.status).toBe(200);

    const logout = await verifiedLogoutToken(await receiver.next(seen));
    expect(logout.sub).toBe(userId);
    expect(await signedInStill(browser)).toBe(false);
    expect(await sessionsOf(userId)).toEqual([]);
    expect(await introspect(tokens['refresh_token'] as string)).toEqual({ active: false });
    const audited = await eventually(async () => {
      const records = await auditActions();
      return records.find((record) => record.targets.some((t) => t.id === userId)) ?? null;
    });
    expect(audited).toMatchObject({ reason: 'logout' });
    const grantRevocations = (
      (await call(`/api/v1/organizations/${orgId}/audit/records?limit=1000`)).body['data'] as {
        action: string;
        reason?: string;
        targets: { id: string }[];
      }[]
    ).filter((record) => record.action === 'grant.revoked' && record.targets.some((t) => t.id === userId));
    expect(grantRevocations.map((record) => record.reason)).toEqual(['logout']);
  });

  it("another organization's path finds neither the user nor the session", async () => {
    const userId = await provision('margaret@acme.example');
    await signIn(userId);
    const [session] = await sessionsOf(userId);
    const base = `/api/v1/organizations/${otherOrgId}/users/${userId}/sessions`;
    expect((await call(base)).status).toBe(404);
    expect((await call(`${base}/${session!['id'] as string}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call(base, { method: 'DELETE' })).status).toBe(404);
    expect(
      (
        await call(`/api/v1/organizations/${orgId}/users/${userId}/sessions/nosuchsession`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(404);
    expect(await sessionsOf(userId)).toHaveLength(1);
  });
});
