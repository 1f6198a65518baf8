import {
  ACCESS_TOKEN_TTL_SECONDS,
  AUTHN_EVENT_STORE,
  AuthorizationServerHost,
  KeyRing,
  MANDATE_TOKEN_TYPE,
} from '@mandate/authn-infrastructure';
import { type EventStore } from '@mandate/eventstore';
import { SecretBox } from '@mandate/platform';
import { runStandalone } from '@mandate/runtime';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { DataSource } from 'typeorm';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
type Started = Awaited<ReturnType<typeof runStandalone>>;

const ADMIN_KEY = `mandate_admin_${randomBytes(24).toString('base64url')}`;
const API = 'https://invoices.acme.example';
const REDIRECT = 'http://127.0.0.1:7777/callback';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const eventually = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(10);
  }
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A browser: follows redirects on Mandate's origin by hand, keeping its cookies. */
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

  /** Follows redirects until one leaves Mandate's origin (the client's redirect URI) or a page answers. */
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

describe('the authorization server (OAuth 2.1 / OIDC on oidc-provider, RFC 8693 exchange)', () => {
  let dataDir: string;
  let started: Started;
  let issuer: string;
  let orgId: string;
  let otherOrgId: string;
  const ids: Record<string, string> = {};
  let app: { clientId: string; clientSecret: string };

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${init.key ?? ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };

  const form = async (path: string, params: Record<string, string>, authorization?: string) => {
    const response = await fetch(`${started.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization && { authorization }),
      },
      body: new URLSearchParams(params).toString(),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : {}) as Body,
    };
  };

  const introspect = async (token: string) =>
    (await form('/oauth/introspect', { token }, `Bearer ${ADMIN_KEY}`)).body;

  const provision = async (organization: string, userName: string) => {
    const directory = await call(`/api/v1/organizations/${organization}/directories`, {
      body: { name: `Okta ${userName}`, provider: 'okta' },
    });
    const response = await fetch(`${started.url}/scim/v2/${directory.body['id'] as string}/Users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${directory.body['token'] as string}`,
        'content-type': 'application/scim+json',
      },
      body: JSON.stringify({ schemas: [USER], userName }),
    });
    return ((await response.json()) as Body)['id'] as string;
  };

  const ticketFor = async (userId: string, organization = orgId) =>
    eventually(async () => {
      const answer = await call(`/api/v1/organizations/${organization}/users/${userId}/login-tickets`, {
        body: {},
      });
      return answer.status === 201 ? (answer.body['ticket'] as string) : null;
    });

  /** Signs Ada in through the authorization endpoint; the redirect back to the client. */
  const authorize = async (params: Record<string, string>, ticket?: string) => {
    const browser = new Browser(new URL(started.url).origin);
    const query = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid invoices:read',
      state: 'st4te',
      resource: API,
      ...params,
    });
    const page = await browser.follow(`${started.url}/oauth/authorize?${query.toString()}`);
    if (page.status !== 200 || !ticket) return page;
    const uid = /action="\/oauth\/interaction\/([^/"]+)\/login"/.exec(await page.text())?.[1];
    if (!uid) throw new Error('no login form');
    return browser.follow(`${started.url}/oauth/interaction/${uid}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ticket }).toString(),
    });
  };

  /** A complete code flow for Ada: the token response and the verifier used. */
  const signInAda = async () => {
    const verifier = randomBytes(32).toString('base64url');
    const redirect = await authorize(
      { code_challenge: s256(verifier), code_challenge_method: 'S256' },
      await ticketFor(ids['ada']!),
    );
    const location = new URL(redirect.headers.get('location')!);
    const code = location.searchParams.get('code')!;
    const tokens = await form(
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      basic(app.clientId, app.clientSecret),
    );
    return { tokens, code, verifier, location };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-as-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      MANDATE_ADMIN_KEY: ADMIN_KEY,
    });
    issuer = started.url;
    orgId = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    otherOrgId = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    ids['ada'] = await provision(orgId, 'ada@acme.example');
    ids['eve'] = await provision(otherOrgId, 'eve@globex.example');
    const role = await call(`/api/v1/organizations/${orgId}/roles`, {
      body: { key: 'clerk', name: 'Clerk', permissions: ['invoices:read', 'invoices:approve'] },
    });
    await call(
      `/api/v1/organizations/${orgId}/roles/${(role.body['role'] as Body)['id'] as string}/assignments`,
      {
        body: { subject: `user:${ids['ada']}` },
      },
    );
    const registered = await call(`/api/v1/organizations/${orgId}/clients`, {
      body: {
        name: 'Invoices web',
        redirectUris: [REDIRECT],
        grantTypes: ['authorization_code', 'refresh_token'],
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
  });
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('discovery and keys', () => {
    it('publishes OpenID and RFC 8414 metadata for the issuer, PKCE S256 only, RFC 9207 iss', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const metadata = (await (await fetch(`${issuer}${path}`)).json()) as Body;
        expect(metadata).toMatchObject({
          issuer,
          token_endpoint: `${issuer}/oauth/token`,
          jwks_uri: `${issuer}/oauth/jwks`,
          introspection_endpoint: `${issuer}/oauth/introspect`,
          revocation_endpoint: `${issuer}/oauth/revoke`,
          code_challenge_methods_supported: ['S256'],
          authorization_response_iss_parameter_supported: true,
          response_types_supported: ['code'],
        });
        expect(metadata['grant_types_supported']).toEqual(
          expect.arrayContaining([EXCHANGE, 'client_credentials']),
        );
        expect(metadata['grant_types_supported']).not.toContain('implicit');
      }
    });

    it('keeps the client secret only as a hash', async () => {
      const rows = await started.app
        .get(DataSource)
        .query<{ secret_hash: string }[]>('select secret_hash from authn.clients where client_id = $1', [
          app.clientId,
        ]);
      expect(rows[0]!.secret_hash).toBe(createHash('sha256').update(app.clientSecret).digest('hex'));
    });
  });

  describe('authorization code + PKCE', () => {
    it('signs a member in and issues RFC 9068 access tokens with the organization context', async () => {
      const { tokens, location } = await signInAda();
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('iss')).toBe(issuer);
      expect(location.searchParams.get('state')).toBe('st4te');
      expect(tokens.status).toBe(200);
      const accessToken = tokens.body['access_token'] as string;
      expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' });
      const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`)), {
        issuer,
        audience: API,
        typ: 'at+jwt',
      });
      expect(payload).toMatchObject({
        sub: ids['ada'],
        org_id: orgId,
        client_id: app.clientId,
        scope: 'invoices:read',
      });
      expect(typeof payload['grant_id']).toBe('string');
      expect(typeof payload.jti).toBe('string');
      expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL_SECONDS);
      expect(tokens.body['refresh_token']).toEqual(expect.any(String));
      expect(await introspect(accessToken)).toMatchObject({ active: true, sub: ids['ada'], org_id: orgId });
    });

    it('refuses authorization requests without PKCE or with the plain method', async () => {
      for (const params of [{}, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }] as Record<
        string,
        string
      >[]) {
        const answer = await authorize(params);
        const location = answer.headers.get('location');
        expect(location).not.toBeNull();
        const error = new URL(location!).searchParams.get('error');
        expect(['invalid_request']).toContain(error);
      }
    });

    it('redirects only to the exact registered URI', async () => {
      const verifier = randomBytes(32).toString('base64url');
      for (const redirect of [
        `${REDIRECT}/`,
        `${REDIRECT}?x=1`,
        REDIRECT.replace('127.0.0.1', 'localhost'),
        REDIRECT.replace('callback', 'Callback'),
        'https://attacker.example/callback',
      ]) {
        const answer = await authorize({
          redirect_uri: redirect,
          code_challenge: s256(verifier),
          code_challenge_method: 'S256',
        });
        expect(answer.status).toBe(400);
        expect(answer.headers.get('location')).toBeNull();
      }
    });

    it('refuses a wrong code verifier, and a code reused revokes the tokens of its first use', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const redirect = await authorize(
        { code_challenge: s256(verifier), code_challenge_method: 'S256' },
        await ticketFor(ids['ada']!),
      );
      const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
      const exchange = (codeVerifier: string) =>
        form(
          '/oauth/token',
          { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: codeVerifier },
          basic(app.clientId, app.clientSecret),
        );
      expect((await exchange(randomBytes(32).toString('base64url'))).body).toMatchObject({
        error: 'invalid_grant',
      });
      const first = await exchange(verifier);
      expect(first.status).toBe(200);
      const reused = await exchange(verifier);
      expect(reused.status).toBe(400);
      expect(reused.body).toMatchObject({ error: 'invalid_grant' });
      expect(await introspect(first.body['access_token'] as string)).toEqual({ active: false });
    });

    it('binds the code to its client', async () => {
      const other = await call(`/api/v1/organizations/${orgId}/clients`, {
        body: {
          name: 'Other app',
          redirectUris: [REDIRECT],
          grantTypes: ['authorization_code'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          audiences: [API],
        },
      });
      const verifier = randomBytes(32).toString('base64url');
      const redirect = await authorize(
        { code_challenge: s256(verifier), code_challenge_method: 'S256' },
        await ticketFor(ids['ada']!),
      );
      const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
      const stolen = await form(
        '/oauth/token',
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
        basic(other.body['clientId'] as string, other.body['clientSecret'] as string),
      );
      expect(stolen.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('signs in only members of the client organization', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const answer = await authorize(
        { code_challenge: s256(verifier), code_challenge_method: 'S256' },
        await ticketFor(ids['eve']!, otherOrgId),
      );
      expect(answer.status).toBe(400);
      expect(answer.headers.get('location')).toBeNull();
    });
  });

  describe('refresh tokens', () => {
    const refresh = (token: string) =>
      form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: token },
        basic(app.clientId, app.clientSecret),
      );

    it('rotates on every use and never widens the scope', async () => {
      const { tokens } = await signInAda();
      const rotated = await refresh(tokens.body['refresh_token'] as string);
      expect(rotated.status).toBe(200);
      expect(rotated.body['refresh_token']).not.toBe(tokens.body['refresh_token']);
      const widened = await form(
        '/oauth/token',
        {
          grant_type: 'refresh_token',
          refresh_token: rotated.body['refresh_token'] as string,
          scope: 'openid invoices:read invoices:approve',
        },
        basic(app.clientId, app.clientSecret),
      );
      expect(widened.body).toMatchObject({ error: 'invalid_scope' });
    });

    it('mints exactly one successor when a client refreshes concurrently, and keeps the family', async () => {
      const { tokens } = await signInAda();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => refresh(tokens.body['refresh_token'] as string)),
      );
      const winners = answers.filter((answer) => answer.status === 200);
      expect(winners).toHaveLength(1);
      for (const loser of answers.filter((answer) => answer.status !== 200))
        expect(loser.body).toMatchObject({ error: 'invalid_grant' });
      expect(await introspect(winners[0]!.body['access_token'] as string)).toMatchObject({ active: true });
      expect((await refresh(winners[0]!.body['refresh_token'] as string)).status).toBe(200);
    });

    it('revokes the whole family when a rotated refresh token is replayed later', async () => {
      const { tokens } = await signInAda();
      const old = tokens.body['refresh_token'] as string;
      const rotated = await refresh(old);
      // The replay comes a minute after the rotation: past the race window.
      await started.app
        .get(DataSource)
        .query(
          "update authn.oauth_artifacts set consumed_at = consumed_at - interval '1 minute' where model = 'RefreshToken' and id = $1",
          [old],
        );
      const replay = await refresh(old);
      expect(replay.body).toMatchObject({ error: 'invalid_grant' });
      expect(await introspect(rotated.body['access_token'] as string)).toEqual({ active: false });
      expect((await refresh(rotated.body['refresh_token'] as string)).body).toMatchObject({
        error: 'invalid_grant',
      });
      const feed = await call('/api/v1/revocations?limit=1000');
      const grantId = decodeJwt(rotated.body['access_token'] as string)['grant_id'];
      expect(feed.body['data']).toEqual(
        expect.arrayContaining([expect.objectContaining({ grantId, reason: 'refresh_token_reuse' })]),
      );
    });

    it('binds refresh tokens to their client', async () => {
      const { tokens } = await signInAda();
      const other = await call(`/api/v1/organizations/${orgId}/clients`, {
        body: {
          name: 'Thief',
          redirectUris: [REDIRECT],
          grantTypes: ['authorization_code', 'refresh_token'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          audiences: [API],
        },
      });
      const stolen = await form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: tokens.body['refresh_token'] as string },
        basic(other.body['clientId'] as string, other.body['clientSecret'] as string),
      );
      expect(stolen.body).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
    it('requires an authenticated caller', async () => {
      const answer = await form('/oauth/introspect', { token: 'x' });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_client' });
      const wrong = await form('/oauth/introspect', { token: 'x' }, basic(app.clientId, 'not-the-secret'));
      expect(wrong.status).toBe(401);
    });

    it('answers for the access and refresh tokens of a live grant, and never across organizations', async () => {
      const { tokens } = await signInAda();
      const accessToken = tokens.body['access_token'] as string;
      expect(
        (await form('/oauth/introspect', { token: accessToken }, basic(app.clientId, app.clientSecret))).body,
      ).toMatchObject({ active: true, sub: ids['ada'], token_type: 'Bearer' });
      expect(await introspect(tokens.body['refresh_token'] as string)).toMatchObject({
        active: true,
        token_type: 'refresh_token',
      });
      const foreign = await call(`/api/v1/organizations/${otherOrgId}/clients`, {
        body: {
          name: 'Globex service',
          kind: 'service',
          grantTypes: ['client_credentials'],
          tokenEndpointAuthMethod: 'client_secret_basic',
          audiences: [API],
        },
      });
      const asForeign = await form(
        '/oauth/introspect',
        { token: accessToken },
        basic(foreign.body['clientId'] as string, foreign.body['clientSecret'] as string),
      );
      expect(asForeign.body).toEqual({ active: false });
    });

    it('says inactive for forged tokens: alg none, an HMAC keyed with the public key, a foreign key', async () => {
      const { tokens } = await signInAda();
      const [header, payload] = (tokens.body['access_token'] as string).split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
      const jwks = (await (await fetch(`${issuer}/oauth/jwks`)).json()) as { keys: Body[] };
      const hmac = await new SignJWT(decodeJwt(tokens.body['access_token'] as string))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: String(jwks.keys[0]!['kid']) })
        .sign(new TextEncoder().encode(JSON.stringify(jwks.keys[0])));
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const foreign = await new SignJWT(decodeJwt(tokens.body['access_token'] as string))
        .setProtectedHeader({ ...decodeProtectedHeader(`${header!}..`), alg: 'EdDSA' })
        .sign(privateKey);
      for (const forged of [none, hmac, foreign, 'not.a.token'])
        expect(await introspect(forged)).toEqual({ active: false });
    });

    it('revokes the grant of a revoked refresh token: its access tokens are inactive at once', async () => {
      const { tokens } = await signInAda();
      const revoked = await form(
        '/oauth/revoke',
        { token: tokens.body['refresh_token'] as string, token_type_hint: 'refresh_token' },
        basic(app.clientId, app.clientSecret),
      );
      expect(revoked.status).toBe(200);
      expect(await introspect(tokens.body['access_token'] as string)).toEqual({ active: false });
      const again = await form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: tokens.body['refresh_token'] as string },
        basic(app.clientId, app.clientSecret),
      );
      expect(again.body).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('agents: client credentials and token exchange', () => {
    let agent: {
      id: string;
      clientId: string;
      key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
      kid: string;
    };
    let mandateId: string;

    const assertion = async (jti = randomBytes(12).toString('base64url')) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: agent.kid })
        .setIssuer(agent.clientId)
        .setSubject(agent.clientId)
        .setAudience(issuer)
        .setJti(jti)
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(agent.key);

    const agentToken = async (params: Record<string, string>, clientAssertion?: string) =>
      form('/oauth/token', {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion ?? (await assertion()),
        ...params,
      });

    const exchange = (params: Record<string, string> = {}) =>
      agentToken({
        grant_type: EXCHANGE,
        subject_token: mandateId,
        subject_token_type: MANDATE_TOKEN_TYPE,
        resource: API,
        ...params,
      });

    beforeAll(async () => {
      const registered = await call(`/api/v1/organizations/${orgId}/agents`, {
        body: { displayName: 'invoice-bot', ownerIds: [ids['ada']] },
      });
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const jwk = { ...(await exportJWK(publicKey)), kid: 'bot-1', alg: 'EdDSA' };
      const credentials = await call(
        `/api/v1/organizations/${orgId}/agents/${registered.body['id'] as string}/credentials`,
        { body: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [jwk] }, audiences: [API] } },
      );
      expect(credentials.status).toBe(201);
      expect(credentials.body).not.toHaveProperty('clientSecret');
      agent = {
        id: registered.body['id'] as string,
        clientId: credentials.body['clientId'] as string,
        key: privateKey,
        kid: 'bot-1',
      };
      const mandate = await eventually(async () => {
        const answer = await call(`/api/v1/organizations/${orgId}/mandates`, {
          body: {
            userId: ids['ada'],
            agentId: agent.id,
            permissions: ['invoices:read', 'invoices:approve'],
            reason: 'bills',
          },
        });
        return answer.status === 201 ? answer : null;
      });
      mandateId = (mandate.body['mandate'] as Body)['id'] as string;
    });

    it('gives an autonomous agent tokens of its own (sub = the agent) with private_key_jwt', async () => {
      const answer = await agentToken({ grant_type: 'client_credentials', resource: API });
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body['access_token'] as string)).toMatchObject({
        sub: agent.id,
        client_id: agent.clientId,
        org_id: orgId,
        aud: API,
      });
    });

    it('refuses a replayed client assertion', async () => {
      const used = await assertion();
      expect((await agentToken({ grant_type: 'client_credentials', resource: API }, used)).status).toBe(200);
      const replay = await agentToken({ grant_type: 'client_credentials', resource: API }, used);
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ error: 'invalid_client' });
    });

    it('exchanges the mandate for a delegated token: sub = the human, act = the agent, capped scope and exp', async () => {
      const answer = await eventually(async () => {
        const attempt = await exchange({ scope: 'invoices:read invoices:approve' });
        return attempt.status === 200 ? attempt : null;
      });
      expect(answer.body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer' });
      const token = answer.body['access_token'] as string;
      expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt' });
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({
        iss: issuer,
        sub: ids['ada'],
        act: { sub: agent.id },
        aud: API,
        org_id: orgId,
        client_id: agent.clientId,
        mandate_id: mandateId,
        scope: 'invoices:approve invoices:read',
      });
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(ACCESS_TOKEN_TTL_SECONDS);
      expect(await introspect(token)).toMatchObject({ active: true, act: { sub: agent.id } });
    });

    it("refuses a human's access token issued to another client, even with a mandate (TX-1)", async () => {
      const { tokens } = await signInAda();
      const answer = await agentToken({
        grant_type: EXCHANGE,
        subject_token: tokens.body['access_token'] as string,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: API,
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('caps a re-exchanged delegated token by its subject token (TX-3, TX-4)', async () => {
      const first = await exchange({ scope: 'invoices:read' });
      const subjectToken = first.body['access_token'] as string;
      const again = await agentToken({
        grant_type: EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: API,
      });
      expect(again.status).toBe(200);
      const claims = decodeJwt(again.body['access_token'] as string);
      expect(claims).toMatchObject({ sub: ids['ada'], act: { sub: agent.id }, scope: 'invoices:read' });
      expect(claims.exp).toBeLessThanOrEqual(decodeJwt(subjectToken).exp!);
      const wider = await agentToken({
        grant_type: EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        resource: API,
        scope: 'invoices:approve',
      });
      expect(wider.body).toMatchObject({ error: 'invalid_scope' });
    });

    it('follows RFC 8693 errors: scope beyond the mandate, another audience, unknown or foreign subjects', async () => {
      expect((await exchange({ scope: 'invoices:delete' })).body).toMatchObject({ error: 'invalid_scope' });
      expect((await exchange({ resource: 'https://elsewhere.example' })).body).toMatchObject({
        error: 'invalid_target',
      });
      expect((await exchange({ subject_token: 'mdt_00000000000000000000000000' })).body).toMatchObject({
        error: 'invalid_grant',
      });
      expect((await exchange({ subject_token_type: 'urn:example:unknown' })).body).toMatchObject({
        error: 'invalid_request',
      });
      const { tokens } = await signInAda();
      // An application's client (not an agent's) cannot exchange at all.
      const asApp = await form(
        '/oauth/token',
        {
          grant_type: EXCHANGE,
          subject_token: tokens.body['access_token'] as string,
          subject_token_type: ACCESS_TOKEN_TYPE,
        },
        basic(app.clientId, app.clientSecret),
      );
      // oidc-provider answers a grant type the client is not registered for with invalid_request.
      expect(asApp.body).toMatchObject({
        error: 'invalid_request',
        error_description: 'requested grant type is not allowed for this client',
      });
      expect(JSON.stringify(asApp.body)).not.toMatch(/\.ts:\d+|\.js:\d+/);
    });

    it('revokes delegated grants with the mandate (TX-7) and refuses further exchanges', async () => {
      const token = (await exchange()).body['access_token'] as string;
      const revoked = await call(`/api/v1/organizations/${orgId}/mandates/${mandateId}`, {
        method: 'DELETE',
      });
      expect(revoked.status).toBe(200);
      await eventually(async () => ((await introspect(token))['active'] === false ? true : null));
      const after = await eventually(async () => {
        const attempt = await exchange();
        return attempt.status === 400 ? attempt : null;
      });
      expect(after.body).toMatchObject({ error: 'invalid_grant' });
      const feed = await call('/api/v1/revocations?limit=1000');
      expect(feed.body['data']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            grantId: decodeJwt(token)['grant_id'],
            reason: 'mandate_revoked',
            actor: agent.id,
          }),
        ]),
      );
    });
  });

  describe('signing keys', () => {
    it('rotates: new tokens use the new key, old tokens verify until they expire', async () => {
      const before = (await signInAda()).tokens.body['access_token'] as string;
      const oldKid = decodeProtectedHeader(before).kid;
      const host = started.app.get(AuthorizationServerHost);
      const secretKey = Buffer.from((await readFile(join(dataDir, 'secret.key'), 'utf8')).trim(), 'base64');
      const store = started.app.get<symbol, EventStore>(AUTHN_EVENT_STORE, { strict: false });
      const rotating = new KeyRing(store, new SecretBox(secretKey), () => new Date(), {
        rotateAfterMs: 0,
        publishForMs: 86_400_000,
      });
      await rotating.refresh();
      await host.refreshKeys();
      const jwks = (await (await fetch(`${issuer}/oauth/jwks`)).json()) as { keys: Body[] };
      expect(jwks.keys.map((key) => key['kid'])).toContain(oldKid);
      expect(jwks.keys.length).toBeGreaterThanOrEqual(4);
      expect(jwks.keys.every((key) => !('d' in key))).toBe(true);
      const after = (await signInAda()).tokens.body['access_token'] as string;
      expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);
      const keys = createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`));
      for (const token of [before, after])
        await expect(jwtVerify(token, keys, { issuer })).resolves.toBeDefined();
      expect(await introspect(before)).toMatchObject({ active: true });
    });
  });
});
