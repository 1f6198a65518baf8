import { createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { base64url, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import {
  type OidcConnectionConfig,
  type OidcFailureReason,
  OidcLoginError,
  type OidcLoginResult,
  OidcUpstream,
  type OidcUpstreamOptions,
} from './oidc-upstream';

// The attacker's OpenID Provider: discovery, JWKS, authorize and token endpoints on loopback, and an
// ID token crafted per test. Ported from the OpenID conformance suite's RP modules (security-tests §2.1, §2.2).

const REDIRECT_URI = 'http://127.0.0.1:9/sso/oidc/conn_hostile/callback';
const CLIENT_ID = 'mandate-rp';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

type Claims = Record<string, unknown>;
type Signer = (header: Record<string, unknown>, claims: Claims) => Promise<string>;

const rsaKey = async (kid: string): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
};

const publicKeyOf = (key: SigningKey) => createPublicKey({ key: key.publicJwk, format: 'jwk' });

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

const signWith =
  (key: CryptoKey, alg = 'RS256'): Signer =>
  (header, claims) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ ...header, alg })
      .sign(key);

/** HMAC keyed with bytes an attacker knows, such as the OP's public key (RSA→HMAC key confusion). */
const hmacWith =
  (secret: string): Signer =>
  (header, claims) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ ...header, alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));

const unsigned =
  (alg: string): Signer =>
  (header, claims) =>
    Promise.resolve(`${encode({ ...header, alg })}.${encode(claims)}.`);

class HostileOp {
  readonly hits = { discovery: 0, jwks: 0, token: 0, userinfo: 0 };
  /** Keys published at jwks_uri. */
  published: JWK[] = [];
  metadata: Claims = {};
  header: Record<string, unknown> = {};
  signer!: Signer;
  claims: (defaults: Claims) => Claims = (defaults) => defaults;
  tokenError: { status: number; body: Claims } | null = null;
  omitIdToken = false;
  userinfo: Claims | null = null;
  private readonly codes = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<HostileOp> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const op = new HostileOp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      op.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    return op;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        this.hits.discovery += 1;
        return this.json(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
          ...(this.userinfo ? { userinfo_endpoint: `${this.issuer}/userinfo` } : {}),
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          authorization_response_iss_parameter_supported: true,
          ...this.metadata,
        });
      case '/jwks':
        this.hits.jwks += 1;
        return this.json(res, 200, { keys: this.published });
      case '/authorize': {
        // Signs anyone in at once and remembers the nonce for the code it hands out.
        const code = randomBytes(16).toString('base64url');
        this.codes.set(code, url.searchParams.get('nonce') ?? '');
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        back.searchParams.set('iss', this.issuer);
        res.writeHead(302, { location: back.href }).end();
        return;
      }
      case '/token': {
        this.hits.token += 1;
        const form = new URLSearchParams(await readBody(req));
        if (this.tokenError) return this.json(res, this.tokenError.status, this.tokenError.body);
        const nonce = this.codes.get(form.get('code') ?? '');
        if (nonce === undefined) return this.json(res, 400, { error: 'invalid_grant' });
        this.codes.delete(form.get('code')!);
        const now = Math.floor(Date.now() / 1000);
        const claims = this.claims({
          iss: this.issuer,
          sub: 'victim',
          aud: CLIENT_ID,
          iat: now,
          exp: now + 300,
          nonce,
          email: 'victim@acme.example',
          email_verified: true,
        });
        return this.json(res, 200, {
          access_token: randomBytes(16).toString('base64url'),
          token_type: 'Bearer',
          expires_in: 300,
          ...(this.omitIdToken ? {} : { id_token: await this.signer(this.header, claims) }),
        });
      }
      case '/userinfo':
        this.hits.userinfo += 1;
        return this.json(res, 200, this.userinfo ?? {});
      default:
        res.writeHead(404).end();
    }
  }
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const expectRejected = async (attempt: Promise<OidcLoginResult>, reason: OidcFailureReason) => {
  const outcome = await attempt.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  expect(outcome).not.toHaveProperty('result');
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(OidcLoginError);
  expect((error as OidcLoginError).reason).toBe(reason);
};

describe('OIDC upstream against a hostile OpenID Provider', () => {
  let op: HostileOp;
  let opKey: SigningKey;
  let attackerKey: SigningKey;

  const config = (overrides: Partial<OidcConnectionConfig> = {}): OidcConnectionConfig => ({
    connectionId: 'conn_hostile',
    orgId: 'org_acme',
    issuer: op.issuer,
    clientId: CLIENT_ID,
    clientAuth: 'client_secret_basic',
    clientSecret: 'rp-secret',
    redirectUri: REDIRECT_URI,
    scopes: ['openid', 'email'],
    clockToleranceSeconds: 30,
    identity: 'iss_sub',
    ...overrides,
  });

  const discover = (options: OidcUpstreamOptions = {}, overrides: Partial<OidcConnectionConfig> = {}) =>
    OidcUpstream.discover(config(overrides), { allowInsecureLoopback: true, timeoutMs: 5_000, ...options });

  /** The browser's round trip through the hostile OP's authorize endpoint, back to Mandate's callback. */
  const authorize = async (upstream: OidcUpstream) => {
    const request = upstream.createLoginRequest();
    const response = await fetch(request.redirectUrl, { redirect: 'manual' });
    return { request, callback: new URL(response.headers.get('location')!) };
  };

  const login = async (upstream?: OidcUpstream) => {
    const rp = upstream ?? (await discover());
    const { request, callback } = await authorize(rp);
    return rp.handleCallback(callback, request);
  };

  beforeAll(async () => {
    op = await HostileOp.start();
    opKey = await rsaKey('op-key-1');
    attackerKey = await rsaKey('op-key-1'); // same kid, different key
  });

  beforeEach(() => {
    op.published = [opKey.publicJwk];
    op.metadata = {};
    op.header = { kid: opKey.kid };
    op.signer = signWith(opKey.privateKey);
    op.claims = (defaults) => defaults;
    op.tokenError = null;
    op.omitIdToken = false;
    op.userinfo = null;
    Object.assign(op.hits, { discovery: 0, jwks: 0, token: 0, userinfo: 0 });
  });

  afterAll(() => op?.stop());

  it('accepts a well-formed login (so every rejection below is about its one defect)', async () => {
    await expect(login()).resolves.toMatchObject({ subject: 'victim', issuer: op.issuer });
  });

  describe('ID token claims', () => {
    it.each([
      ['another issuer (RP-1)', { iss: 'https://attacker.example' }, 'oidc_invalid_issuer'],
      [
        "another tenant's issuer at this tenant's callback (RP-19)",
        { iss: 'https://acme-b.okta.example' },
        'oidc_invalid_issuer',
      ],
      ['another audience (RP-2)', { aud: 'someone-else' }, 'oidc_invalid_audience'],
      ['no audience (RP-2)', { aud: undefined }, 'oidc_invalid_audience'],
      [
        'an extra untrusted audience without azp',
        { aud: [CLIENT_ID, 'someone-else'] },
        'oidc_invalid_audience',
      ],
      [
        'another authorized party',
        { aud: [CLIENT_ID, 'someone-else'], azp: 'someone-else' },
        'oidc_invalid_audience',
      ],
      ['another nonce (RP-3)', { nonce: 'replayed-nonce' }, 'oidc_invalid_nonce'],
      ['no nonce (RP-3)', { nonce: undefined }, 'oidc_invalid_nonce'],
      ['no sub (RP-4)', { sub: undefined }, 'oidc_missing_subject'],
      ['a non-string sub', { sub: 42 }, 'oidc_missing_subject'],
      ['no iat (RP-4)', { iat: undefined }, 'oidc_invalid_id_token'],
    ] as const)('rejects an ID token with %s', async (_case, changes: Claims, reason: OidcFailureReason) => {
      op.userinfo = { sub: 'victim' };
      op.claims = (defaults) => ({ ...defaults, ...changes });
      await expectRejected(login(), reason);
      expect(op.hits.userinfo).toBe(0);
    });
  });

  describe('ID token lifetime (clock tolerance 30 s)', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('rejects an ID token expired beyond the tolerance', async () => {
      op.claims = (defaults) => ({ ...defaults, iat: now() - 600, exp: now() - 60 });
      await expectRejected(login(), 'oidc_token_expired');
    });

    it('accepts an ID token expired within the tolerance', async () => {
      op.claims = (defaults) => ({ ...defaults, iat: now() - 600, exp: now() - 10 });
      await expect(login()).resolves.toMatchObject({ subject: 'victim' });
    });

    it('accepts an iat 20 s in the future (RP-20)', async () => {
      op.claims = (defaults) => ({ ...defaults, iat: now() + 20, nbf: now() + 20 });
      await expect(login()).resolves.toMatchObject({ subject: 'victim' });
    });

    it('rejects an iat 5 min in the future', async () => {
      op.claims = (defaults) => ({ ...defaults, iat: now() + 300, exp: now() + 600 });
      await expectRejected(login(), 'oidc_token_not_yet_valid');
    });

    it('rejects an nbf 5 min in the future', async () => {
      op.claims = (defaults) => ({ ...defaults, nbf: now() + 300, exp: now() + 600 });
      await expectRejected(login(), 'oidc_token_not_yet_valid');
    });
  });

  describe('ID token signature', () => {
    it('rejects RS256 signed by another key under the OP key’s kid (RP-5, RP-16)', async () => {
      op.signer = signWith(attackerKey.privateKey);
      await expectRejected(login(), 'oidc_invalid_signature');
    });

    it('rejects a payload altered after signing', async () => {
      const honest = signWith(opKey.privateKey);
      op.signer = async (header, claims) => {
        const [head, , signature] = (await honest(header, claims)).split('.');
        return `${head}.${encode({ ...claims, sub: 'admin' })}.${signature}`;
      };
      await expectRejected(login(), 'oidc_invalid_signature');
    });

    it.each([
      ['the public JWK as JSON', () => JSON.stringify(opKey.publicJwk), false],
      ['the public JWK as JSON, HS256 advertised', () => JSON.stringify(opKey.publicJwk), true],
    ] as const)('rejects HS256 keyed with %s (RSA→HMAC confusion)', async (_case, secret, advertised) => {
      if (advertised) op.metadata = { id_token_signing_alg_values_supported: ['RS256', 'HS256'] };
      op.signer = hmacWith(secret());
      await expectRejected(login(), 'oidc_invalid_signature');
    });

    it.each([
      ['SPKI PEM', () => publicKeyOf(opKey).export({ type: 'spki', format: 'pem' }).toString()],
      [
        'PKCS#1 PEM (BEGIN RSA PUBLIC KEY)',
        () => publicKeyOf(opKey).export({ type: 'pkcs1', format: 'pem' }).toString(),
      ],
      [
        'SPKI PEM with leading whitespace',
        () => `  \n${publicKeyOf(opKey).export({ type: 'spki', format: 'pem' }).toString()}`,
      ],
    ] as const)(
      'rejects HS256 keyed with the public key as %s, HS256 advertised (JWT-2)',
      async (_case, secret) => {
        op.metadata = { id_token_signing_alg_values_supported: ['RS256', 'HS256'] };
        op.signer = hmacWith(secret());
        await expectRejected(login(), 'oidc_invalid_signature');
      },
    );

    it('ignores a key embedded in the header (jwk) and verifies with the published keys only', async () => {
      op.header = { kid: attackerKey.kid, jwk: attackerKey.publicJwk, jku: 'https://attacker.example/jwks' };
      op.signer = signWith(attackerKey.privateKey);
      await expectRejected(login(), 'oidc_invalid_signature');
    });

    it.each([
      ['none', false],
      ['none', true],
      ['NONE', false],
    ] as const)('rejects alg %s (advertised: %s) (RP-6)', async (alg, advertised) => {
      if (advertised) op.metadata = { id_token_signing_alg_values_supported: ['RS256', 'none'] };
      op.header = {};
      op.signer = unsigned(alg);
      await expectRejected(login(), 'oidc_unsigned_token');
    });

    it('rejects a critical header extension it does not understand', async () => {
      op.header = { kid: opKey.kid, crit: ['urn:attacker:ext'], 'urn:attacker:ext': true };
      await expectRejected(login(), 'oidc_invalid_id_token');
    });

    it('rejects a kid that names no published key, fetching the JWKS again only once (RP-8, JWT-3)', async () => {
      const upstream = await discover({ jwksCooldownMs: 0 });
      await login(upstream);
      expect(op.hits.jwks).toBe(1);
      const stranger = await rsaKey('../../dev/null');
      op.header = { kid: stranger.kid };
      op.signer = signWith(stranger.privateKey);
      await expectRejected(login(upstream), 'oidc_invalid_signature');
      expect(op.hits.jwks).toBe(2);
    });

    it('follows a key rotation with one JWKS refetch (RP-8)', async () => {
      const upstream = await discover({ jwksCooldownMs: 0 });
      await login(upstream);
      const rotated = await rsaKey('op-key-2');
      op.published = [rotated.publicJwk];
      op.header = { kid: rotated.kid };
      op.signer = signWith(rotated.privateKey);
      await expect(login(upstream)).resolves.toMatchObject({ subject: 'victim' });
      expect(op.hits.jwks).toBe(2);
    });

    it('does not refetch the JWKS for a flood of unknown kids within the cooldown (JWT-3)', async () => {
      const upstream = await discover();
      await login(upstream);
      const stranger = await rsaKey('unknown');
      op.header = { kid: stranger.kid };
      op.signer = signWith(stranger.privateKey);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await expectRejected(login(upstream), 'oidc_invalid_signature');
      }
      expect(op.hits.jwks).toBe(1);
    });

    it('accepts a token without kid when one key is published, and tries each when several are (RP-7)', async () => {
      const second = await rsaKey('op-key-3');
      op.header = {};
      await expect(login()).resolves.toMatchObject({ subject: 'victim' });
      op.published = [
        { ...opKey.publicJwk, kid: undefined },
        { ...second.publicJwk, kid: undefined },
      ];
      op.signer = signWith(second.privateKey);
      await expect(login()).resolves.toMatchObject({ subject: 'victim' });
    });
  });

  describe('authorization response (no token request is made)', () => {
    it.each([
      [
        'another issuer',
        (url: URL) => url.searchParams.set('iss', 'https://attacker.example'),
        'oidc_issuer_mixup',
      ],
      [
        'no iss while RFC 9207 is advertised',
        (url: URL) => url.searchParams.delete('iss'),
        'oidc_issuer_mixup',
      ],
      ['another state', (url: URL) => url.searchParams.set('state', 'forged'), 'oidc_state_mismatch'],
      ['no state', (url: URL) => url.searchParams.delete('state'), 'oidc_missing_state'],
      ['no code', (url: URL) => url.searchParams.delete('code'), 'oidc_invalid_callback'],
      ['two codes', (url: URL) => url.searchParams.append('code', 'second'), 'oidc_invalid_callback'],
      [
        'an error from the IdP',
        (url: URL) => {
          url.searchParams.delete('code');
          url.searchParams.set('error', 'access_denied');
        },
        'oidc_idp_error',
      ],
    ] as const)(
      'rejects a callback with %s (RP-13, RP-14)',
      async (_case, tamper, reason: OidcFailureReason) => {
        const upstream = await discover();
        const { request, callback } = await authorize(upstream);
        tamper(callback);
        await expectRejected(upstream.handleCallback(callback, request), reason);
        expect(op.hits.token).toBe(0);
      },
    );
  });

  describe('token and UserInfo responses', () => {
    it('reports a PKCE refusal from the token endpoint (RP-17)', async () => {
      op.tokenError = {
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'PKCE verification failed: code_verifier mismatch',
        },
      };
      await expectRejected(login(), 'oidc_pkce_failed');
    });

    it('rejects a token response without an ID token', async () => {
      op.omitIdToken = true;
      await expectRejected(login(), 'oidc_missing_id_token');
    });

    it('rejects UserInfo about another subject (RP-9)', async () => {
      op.userinfo = { sub: 'someone-else', email: 'admin@acme.example' };
      await expectRejected(login(), 'oidc_userinfo_subject_mismatch');
    });

    it('takes profile claims from UserInfo but never its protocol claims', async () => {
      op.userinfo = { sub: 'victim', groups: ['engineering'], amr: ['mfa'], iss: 'https://attacker.example' };
      await expect(login()).resolves.toMatchObject({
        subject: 'victim',
        issuer: op.issuer,
        groups: ['engineering'],
        amr: [],
        email: 'victim@acme.example',
      });
    });
  });

  describe('discovery', () => {
    it('rejects a discovery document naming another issuer (RP-11)', async () => {
      op.metadata = { issuer: 'https://attacker.example' };
      await expect(discover()).rejects.toMatchObject({ reason: 'oidc_discovery_issuer_mismatch' });
    });

    it('pins the issuer exactly (a trailing slash is another issuer)', async () => {
      op.metadata = { issuer: `${op.issuer}/` };
      await expect(discover()).rejects.toMatchObject({ reason: 'oidc_discovery_issuer_mismatch' });
    });

    it('rejects plain-http endpoints off loopback', async () => {
      op.metadata = { token_endpoint: 'http://idp.example/token' };
      await expect(discover()).rejects.toMatchObject({ reason: 'oidc_insecure_endpoint' });
    });

    it('rejects an IdP that signs ID tokens only with symmetric or no algorithms', async () => {
      op.metadata = { id_token_signing_alg_values_supported: ['HS256', 'none'] };
      await expect(discover()).rejects.toMatchObject({ reason: 'oidc_discovery_failed' });
    });
  });
});
