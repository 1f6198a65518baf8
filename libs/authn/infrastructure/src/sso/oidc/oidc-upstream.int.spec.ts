import { Browser, type OidcTestIdp, startOidcTestIdp } from '@mandate/testing';
import { exportJWK, generateKeyPair } from 'jose';
import {
  type OidcConnectionConfig,
  type OidcFailureReason,
  type OidcLoginRequest,
  OidcLoginError,
  type OidcLoginResult,
  OidcUpstream,
  testOidcConnection,
} from './oidc-upstream';

// Loopback only: the upstream IdP is oidc-provider in its own process; no database, no broker.
const REDIRECT_URI = 'http://127.0.0.1:9/sso/oidc/conn_okta/callback';
const SECRET = 'test-idp-client-secret-0123456789';
const OPTIONS = { allowInsecureLoopback: true, timeoutMs: 5_000 } as const;

const isCallback = (url: URL) => url.href.startsWith(REDIRECT_URI);

const expectRejected = async (attempt: Promise<OidcLoginResult>, reason: OidcFailureReason) => {
  const outcome = await attempt.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  expect(outcome).not.toHaveProperty('result');
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(OidcLoginError);
  expect((error as OidcLoginError).reason).toBe(reason);
  expect((error as OidcLoginError).message).not.toBe('');
};

describe('OIDC upstream login against a separate-process oidc-provider IdP', () => {
  let idp: OidcTestIdp;
  let privateJwk: OidcConnectionConfig['privateJwk'];

  const config = (overrides: Partial<OidcConnectionConfig> = {}): OidcConnectionConfig => ({
    connectionId: 'conn_okta',
    orgId: 'org_acme',
    issuer: idp.issuer,
    clientId: 'mandate-basic',
    clientAuth: 'client_secret_basic',
    clientSecret: SECRET,
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'email', 'profile', 'groups'],
    clockToleranceSeconds: 30,
    identity: 'iss_sub',
    ...overrides,
  });

  /** Drives the IdP's sign-in form like a browser and stops at Mandate's callback. */
  const signIn = async (
    upstream: OidcUpstream,
    login: string,
  ): Promise<{ request: OidcLoginRequest; callback: URL }> => {
    const browser = new Browser();
    const request = upstream.createLoginRequest({ loginHint: login });
    const form = await browser.follow(await browser.get(request.redirectUrl));
    expect(form.status).toBe(200);
    const redirect = await browser.follow(await browser.submitForm(form, { login }), isCallback);
    expect(redirect.location).not.toBeNull();
    return { request, callback: redirect.location! };
  };

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    privateJwk = { ...(await exportJWK(privateKey)), kid: 'mandate-rp-1', alg: 'ES256' };
    idp = await startOidcTestIdp({
      clients: [
        {
          client_id: 'mandate-basic',
          client_secret: SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: [REDIRECT_URI],
        },
        {
          client_id: 'mandate-post',
          client_secret: SECRET,
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: [REDIRECT_URI],
        },
        {
          client_id: 'mandate-jwt',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: {
            keys: [{ ...(await exportJWK(publicKey)), kid: 'mandate-rp-1', alg: 'ES256', use: 'sig' }],
          },
          redirect_uris: [REDIRECT_URI],
        },
      ],
      users: [
        {
          sub: 'alice',
          email: 'alice@acme.example',
          name: 'Alice Liddell',
          groups: ['engineering', 'admins'],
          amr: ['pwd', 'mfa'],
          acr: 'urn:acme:loa:2',
        },
        { sub: 'entra-victim', email: 'ceo@acme.example', claims: { tid: 'tenant-acme', oid: 'oid-ceo' } },
        { sub: 'entra-attacker', email: 'ceo@acme.example', claims: { tid: 'tenant-evil', oid: 'oid-ceo' } },
      ],
    });
  });

  afterAll(() => idp?.stop());

  it('signs a user in with client_secret_basic and returns who they are', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');

    const authorize = new URL(request.redirectUrl);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('login_hint')).toBe('alice');
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);

    const result = await upstream.handleCallback(callback, request);
    expect(result).toMatchObject({
      subject: 'alice',
      issuer: idp.issuer,
      email: 'alice@acme.example',
      emailVerified: true,
      name: 'Alice Liddell',
      groups: ['engineering', 'admins'],
      amr: ['pwd', 'mfa'],
      acr: 'urn:acme:loa:2',
    });
    expect(result.claims['aud']).toBe('mandate-basic');
    expect(Date.parse(result.idTokenExpiresAt)).toBeGreaterThan(Date.now());
  });

  it('signs a user in with private_key_jwt client authentication', async () => {
    const upstream = await OidcUpstream.discover(
      config({ clientId: 'mandate-jwt', clientAuth: 'private_key_jwt', clientSecret: undefined, privateJwk }),
      OPTIONS,
    );
    const { request, callback } = await signIn(upstream, 'alice');
    await expect(upstream.handleCallback(callback, request)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('signs a user in with client_secret_post client authentication', async () => {
    const upstream = await OidcUpstream.discover(
      config({ clientId: 'mandate-post', clientAuth: 'client_secret_post' }),
      OPTIONS,
    );
    const { request, callback } = await signIn(upstream, 'alice');
    await expect(upstream.handleCallback(callback, request)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('keys Entra-style identities by tid + oid, so the same email in another tenant is another person', async () => {
    const upstream = await OidcUpstream.discover(config({ identity: 'entra_tid_oid' }), OPTIONS);
    const victim = await signIn(upstream, 'entra-victim');
    const attacker = await signIn(upstream, 'entra-attacker');
    const victimResult = await upstream.handleCallback(victim.callback, victim.request);
    const attackerResult = await upstream.handleCallback(attacker.callback, attacker.request);
    expect(victimResult.subject).toBe('tenant-acme:oid-ceo');
    expect(attackerResult.subject).toBe('tenant-evil:oid-ceo');
    expect(attackerResult.email).toBe(victimResult.email);
  });

  it('refuses an Entra-keyed login whose ID token has no tid / oid', async () => {
    const upstream = await OidcUpstream.discover(config({ identity: 'entra_tid_oid' }), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_missing_identity_claims');
  });

  it('rejects a callback whose state is not this login’s', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    await expectRejected(
      upstream.handleCallback(callback, { ...request, state: upstream.createLoginRequest().state }),
      'oidc_state_mismatch',
    );
  });

  it('rejects a callback without state', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    callback.searchParams.delete('state');
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_missing_state');
  });

  it('rejects a callback naming another IdP as its issuer (RFC 9207 mix-up)', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    callback.searchParams.set('iss', 'https://attacker-idp.example');
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_issuer_mixup');
  });

  it('rejects a callback without iss when the IdP advertises RFC 9207', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    expect(upstream.serverMetadata.authorization_response_iss_parameter_supported).toBe(true);
    const { request, callback } = await signIn(upstream, 'alice');
    callback.searchParams.delete('iss');
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_issuer_mixup');
  });

  it('fails when the PKCE verifier is not the one of this login (the token endpoint refuses the code)', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    const otherBrowserSession = upstream.createLoginRequest();
    await expectRejected(
      upstream.handleCallback(callback, { ...request, codeVerifier: otherBrowserSession.codeVerifier }),
      'oidc_code_rejected',
    );
  });

  it('refuses a code redeemed twice', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    await upstream.handleCallback(callback, request);
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_code_rejected');
  });

  it('reports the error the IdP returned to the callback', async () => {
    const upstream = await OidcUpstream.discover(config(), OPTIONS);
    const request = upstream.createLoginRequest();
    const silent = new URL(request.redirectUrl);
    silent.searchParams.set('prompt', 'none');
    const browser = new Browser();
    const redirect = await browser.follow(await browser.get(silent), isCallback);
    expect(redirect.location?.searchParams.get('error')).toBe('login_required');
    await expectRejected(upstream.handleCallback(redirect.location!, request), 'oidc_idp_error');
  });

  it('refuses wrong client credentials', async () => {
    const upstream = await OidcUpstream.discover(config({ clientSecret: 'not-the-secret' }), OPTIONS);
    const { request, callback } = await signIn(upstream, 'alice');
    await expectRejected(upstream.handleCallback(callback, request), 'oidc_client_auth_failed');
  });

  it('tests a connection before it is enabled', async () => {
    await expect(testOidcConnection(config(), OPTIONS)).resolves.toMatchObject({
      ok: true,
      issuer: idp.issuer,
      tokenEndpoint: `${idp.issuer}/token`,
      issuerResponseParameter: true,
      signingKeys: 1,
    });
    await expect(testOidcConnection(config({ issuer: `${idp.issuer}/` }), OPTIONS)).resolves.toMatchObject({
      ok: false,
      reason: 'oidc_discovery_issuer_mismatch',
    });
    await expect(
      testOidcConnection(config({ issuer: 'http://127.0.0.1:9' }), OPTIONS),
    ).resolves.toMatchObject({
      ok: false,
      reason: 'oidc_discovery_failed',
    });
    await expect(testOidcConnection({ ...config(), clockToleranceSeconds: 3600 }, OPTIONS)).resolves.toEqual({
      ok: false,
      reason: 'oidc_invalid_config',
      message: expect.stringContaining('clockToleranceSeconds') as string,
    });
  });

  it('refuses a private key that does not import', async () => {
    await expect(
      OidcUpstream.discover(
        config({
          clientId: 'mandate-jwt',
          clientAuth: 'private_key_jwt',
          clientSecret: undefined,
          privateJwk: { ...privateJwk, x: 'AAAA' },
        }),
        OPTIONS,
      ),
    ).rejects.toMatchObject({ code: 'AUTHN_SSO_OIDC_CONFIG_INVALID', field: 'privateJwk' });
  });

  it('refuses a plain-http issuer unless loopback http is asked for', async () => {
    await expect(OidcUpstream.discover(config())).rejects.toMatchObject({
      code: 'AUTHN_SSO_OIDC_CONFIG_INVALID',
      field: 'issuer',
    });
  });
});
