import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { base64url, type CryptoKey, exportSPKI, importJWK, SignJWT } from 'jose';
import { staticRevocations } from '../revocations/revocation-list';
import { generateSigningKey, TestIssuer, type TestSigningKey } from '../testing/test-issuer';
import { bearerChallenge, TokenVerificationError, wwwAuthenticateFor } from './token-verification.error';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier';

const AUDIENCE = 'https://api.example.test';
const T0 = new Date('2026-03-01T10:00:00Z');
const seconds = (date: Date, delta: number) => new Date(date.getTime() + delta * 1000);
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));
/** A compact JWS with any header and signature, to forge what jose would refuse to sign. */
const forge = (header: Record<string, unknown>, payload: Record<string, unknown>, signature = '') =>
  `${encodeJson(header)}.${encodeJson(payload)}.${signature}`;

const rejection = async (promise: Promise<unknown>): Promise<TokenVerificationError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenVerificationError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
};

describe('createTokenVerifier', () => {
  let issuer: TestIssuer;
  let edKey: TestSigningKey;
  let ecKey: TestSigningKey;
  let now: Date;

  const verifierFor = (options: Partial<TokenVerifierOptions> = {}) =>
    createTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, currentDate: () => now, ...options });
  const sign = (claims: Record<string, unknown> = {}, options: Parameters<TestIssuer['sign']>[1] = {}) =>
    issuer.sign(claims, { now, ...options });
  const codeOf = async (token: string, options: Partial<TokenVerifierOptions> = {}) =>
    (await rejection(verifierFor(options).verify(token))).code;

  beforeAll(async () => {
    edKey = await generateSigningKey('EdDSA', 'ed-1');
    ecKey = await generateSigningKey('ES256', 'ec-1');
  });

  beforeEach(async () => {
    now = T0;
    issuer = await TestIssuer.start([edKey, ecKey]);
  });

  afterEach(() => issuer.close());

  describe('a valid access token', () => {
    it.each(['EdDSA', 'ES256'] as const)('signed with %s verifies, found through discovery', async (alg) => {
      const key = alg === 'EdDSA' ? edKey : ecKey;
      const token = await sign(
        { grant_id: 'grt_0123456789', aud: ['https://other.test', AUDIENCE] },
        { key },
      );
      const verified = await verifierFor().verify(token);
      expect(verified).toMatchObject({
        subject: 'usr_01jqk6ry4b0000000000000000',
        orgId: 'org_01jqk6ry4b0000000000000000',
        clientId: 'cli_test',
        grantId: 'grt_0123456789',
        audience: ['https://other.test', AUDIENCE],
        actor: null,
        actorChain: [],
        expiresAt: seconds(T0, 300),
        issuedAt: T0,
      });
      expect([...verified.scopes]).toEqual(['documents:read', 'documents:write']);
      expect(verified.claims.jti).toBe(verified.tokenId);
      expect(issuer.requests.map((request) => request.url)).toEqual([
        '/o/test/.well-known/openid-configuration',
        '/o/test/jwks',
      ]);
    });

    it('of an agent acting for a human names the current actor and the whole chain, outermost first', async () => {
      const token = await sign({
        act: { sub: 'agt_current', act: { sub: 'agt_prior', act: { sub: 'agt_first' } } },
      });
      const verified = await verifierFor().verify(token);
      expect(verified.subject).toBe('usr_01jqk6ry4b0000000000000000');
      expect(verified.actor).toBe('agt_current');
      expect(verified.actorChain).toEqual(['agt_current', 'agt_prior', 'agt_first']);
    });

    it('without scope has no scopes', async () => {
      const verified = await verifierFor().verify(await sign({ scope: undefined }));
      expect(verified.scopes.size).toBe(0);
    });

    it('with typ application/at+jwt verifies (RFC 9068 §4)', async () => {
      await expect(
        verifierFor().verify(await sign({}, { header: { typ: 'application/at+jwt' } })),
      ).resolves.toBeDefined();
    });

    it('uses the given jwksUri without discovery', async () => {
      await verifierFor({ jwksUri: issuer.jwksUri }).verify(await sign());
      expect(issuer.requests.map((request) => request.url)).toEqual(['/o/test/jwks']);
    });
  });

  describe('typ', () => {
    it.each([['JWT'], ['id_token+jwt'], ['logout+jwt'], ['at+jwt2'], [undefined]])(
      'refuses typ %s (an ID or logout token is not an access token)',
      async (typ) => {
        const token = await sign({}, { header: { typ } });
        expect(await codeOf(token)).toBe('TOKEN_INVALID_TYPE');
      },
    );
  });

  describe('algorithms (JWT-1, JWT-2)', () => {
    it.each(['none', 'NONE', 'None'])('refuses alg %s, signed or not', async (alg) => {
      const payload = {
        iss: issuer.issuer,
        aud: AUDIENCE,
        sub: 'usr_x',
        exp: epoch(T0) + 60,
        iat: epoch(T0),
      };
      const header = { alg, typ: 'at+jwt', kid: edKey.kid };
      expect(await codeOf(forge(header, payload))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
      expect(await codeOf(forge(header, payload, 'c2lnbmF0dXJl'))).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
    });

    it('refuses an empty signature of an allowed algorithm', async () => {
      const [header, payload] = (await sign()).split('.');
      expect(await codeOf(`${header}.${payload}.`)).toBe('TOKEN_INVALID_SIGNATURE');
    });

    it('refuses HS256 tokens whose secret is the public key (JWK JSON, PEM, PEM with whitespace)', async () => {
      const pem = await exportSPKI((await importJWK(ecKey.publicJwk, 'ES256')) as CryptoKey);
      const secrets = [
        JSON.stringify(ecKey.publicJwk),
        JSON.stringify(edKey.publicJwk),
        pem,
        `\n  ${pem}`,
        pem.replace('PUBLIC KEY', 'RSA PUBLIC KEY'),
      ];
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        for (const secret of secrets) {
          const token = await new SignJWT({
            iss: issuer.issuer,
            aud: AUDIENCE,
            sub: 'usr_x',
            org_id: 'org_x',
            grant_id: 'grt_01234567',
            client_id: 'c',
            jti: 'j',
          })
            .setProtectedHeader({ alg, typ: 'at+jwt', kid: ecKey.kid })
            .setIssuedAt(epoch(now))
            .setExpirationTime(epoch(now) + 60)
            .sign(new TextEncoder().encode(secret));
          expect(await codeOf(token)).toBe('TOKEN_ALGORITHM_NOT_ALLOWED');
        }
      }
    });

    it('refuses an algorithm outside the configured list', async () => {
      expect(await codeOf(await sign({}, { key: ecKey }), { algorithms: ['EdDSA'] })).toBe(
        'TOKEN_ALGORITHM_NOT_ALLOWED',
      );
    });

    it('refuses a header alg that does not fit the key of its kid', async () => {
      const forged = await sign({}, { key: ecKey, header: { kid: edKey.kid } });
      expect(await codeOf(forged)).toBe('TOKEN_UNKNOWN_KEY');
    });

    it.each([[['HS256']], [['none']], [[]]])('cannot be configured with %j', (algorithms) => {
      expect(() => verifierFor({ algorithms: algorithms as never })).toThrow(TypeError);
    });
  });

  describe('issuer and audience', () => {
    it.each([['http://127.0.0.1:1/o/other'], ['ISSUER/'], ['ISSUER/x'], [undefined]])(
      'refuses iss %s: it must match exactly',
      async (iss) => {
        const token = await sign({ iss: iss?.replace('ISSUER', issuer.issuer) });
        expect(await codeOf(token)).toBe('TOKEN_INVALID_ISSUER');
      },
    );

    it('refuses a token for another resource', async () => {
      expect(await codeOf(await sign({ aud: 'https://other.test' }))).toBe('TOKEN_INVALID_AUDIENCE');
      expect(await codeOf(await sign({ aud: [`${AUDIENCE}/`, 'https://other.test'] }))).toBe(
        'TOKEN_INVALID_AUDIENCE',
      );
    });

    it('refuses a token without aud', async () => {
      expect(await codeOf(await sign({ aud: undefined }))).toBe('TOKEN_INVALID_AUDIENCE');
    });

    it('refuses discovery that names another issuer', async () => {
      const verifier = createTokenVerifier({
        issuer: `${issuer.issuer}/`,
        audience: AUDIENCE,
        currentDate: () => now,
      });
      expect((await rejection(verifier.verify(await sign({ iss: `${issuer.issuer}/` })))).code).toBe(
        'TOKEN_ISSUER_UNAVAILABLE',
      );
    });
  });

  describe('time, with an explicit 30 s tolerance (JWT-8, SKEW-1)', () => {
    const expiringAt = (delta: number) => sign({ exp: epoch(T0) + delta, iat: epoch(T0) - 600 });

    it('accepts a token expired for tolerance − 1 s and refuses one expired for tolerance + 1 s', async () => {
      expect(await verifierFor().verify(await expiringAt(-29))).toBeDefined();
      expect(await codeOf(await expiringAt(-31))).toBe('TOKEN_EXPIRED');
    });

    it('accepts nbf at tolerance − 1 s ahead and refuses it at tolerance + 1 s', async () => {
      expect(await verifierFor().verify(await sign({ nbf: epoch(T0) + 29 }))).toBeDefined();
      expect(await codeOf(await sign({ nbf: epoch(T0) + 31 }))).toBe('TOKEN_NOT_YET_VALID');
    });

    it('accepts iat at tolerance − 1 s ahead and refuses it at tolerance + 1 s', async () => {
      expect(await verifierFor().verify(await sign({ iat: epoch(T0) + 29 }))).toBeDefined();
      expect(await codeOf(await sign({ iat: epoch(T0) + 31 }))).toBe('TOKEN_NOT_YET_VALID');
    });

    it('applies a configured tolerance the same way', async () => {
      expect(await verifierFor({ clockToleranceSeconds: 60 }).verify(await expiringAt(-59))).toBeDefined();
      expect(await codeOf(await expiringAt(-61), { clockToleranceSeconds: 60 })).toBe('TOKEN_EXPIRED');
    });

    it('the same token turns expired when the clock moves on', async () => {
      const token = await sign();
      const verifier = verifierFor();
      await verifier.verify(token);
      now = seconds(T0, 300 + 31);
      expect((await rejection(verifier.verify(token))).code).toBe('TOKEN_EXPIRED');
    });

    it.each([[-1], [301], [Number.NaN]])('cannot be configured with a tolerance of %d s', (tolerance) => {
      expect(() => verifierFor({ clockToleranceSeconds: tolerance })).toThrow(TypeError);
    });
  });

  describe('headers (JWT-4, JWT-6)', () => {
    it('refuses crit, even naming a header jose knows', async () => {
      const critical = await sign({}, { header: { crit: ['exp'], exp: 1 }, crit: { exp: true } });
      expect(await codeOf(critical)).toBe('TOKEN_MALFORMED');
      expect(await codeOf(await sign({}, { header: { crit: ['b64'], b64: true } }))).toBe('TOKEN_MALFORMED');
    });

    describe('never follows jku, x5u, jwk or x5c', () => {
      let attacker: Server;
      let attackerUrl: string;
      const attackerRequests: string[] = [];

      beforeEach(async () => {
        attacker = createServer((request, response) => {
          attackerRequests.push(request.url ?? '');
          response.end('{}');
        });
        await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
        attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      });

      afterEach(async () => {
        attacker.closeAllConnections();
        await new Promise((resolve) => attacker.close(resolve));
      });

      it('a token signed by another key with the attacker key embedded is refused, nothing fetched from the attacker', async () => {
        const attackerKey = await generateSigningKey('EdDSA', edKey.kid);
        const headers = [
          { jku: `${attackerUrl}/jwks` },
          { x5u: `${attackerUrl}/cert.pem` },
          { jwk: attackerKey.publicJwk },
          { x5c: ['MIIBszCCAVmgAwIBAgIU'] },
        ];
        for (const header of headers) {
          const token = await sign({}, { key: attackerKey, header });
          expect(await codeOf(token)).toBe('TOKEN_INVALID_SIGNATURE');
          const unknownKid = await sign(
            {},
            { key: await generateSigningKey('EdDSA', 'attacker-kid'), header },
          );
          expect(await codeOf(unknownKid)).toBe('TOKEN_UNKNOWN_KEY');
        }
        expect(attackerRequests).toEqual([]);
      });
    });
  });

  describe('keys (JWT-3)', () => {
    it('refuses a token whose signature does not match its content', async () => {
      const [header, , signature] = (await sign()).split('.');
      const payload = encodeJson({
        iss: issuer.issuer,
        aud: AUDIENCE,
        sub: 'usr_admin',
        exp: epoch(T0) + 60,
      });
      expect(await codeOf(`${header}.${payload}.${signature}`)).toBe('TOKEN_INVALID_SIGNATURE');
    });

    it.each([['../../dev/null'], ["' OR 1=1 --"], ['?kid=x&a=b#frag'], ['x'.repeat(10_000)]])(
      'never puts kid %s in a request',
      async (kid) => {
        const attackerKey = await generateSigningKey('EdDSA', kid);
        const code = await codeOf(await sign({}, { key: attackerKey }));
        expect(code).toBe(kid.length > 256 ? 'TOKEN_MALFORMED' : 'TOKEN_UNKNOWN_KEY');
        for (const { url } of issuer.requests) expect(url).not.toContain(encodeURIComponent(kid).slice(0, 8));
        expect(issuer.jwksFetches).toBeLessThanOrEqual(1);
      },
    );

    it('refuses a token without kid', async () => {
      expect(await codeOf(await sign({}, { header: { kid: undefined } }))).toBe('TOKEN_MALFORMED');
    });

    it('a flood of unknown kids fetches the JWKS at most once per cooldown', async () => {
      const verifier = verifierFor();
      await verifier.warmUp();
      expect(issuer.jwksFetches).toBe(1);
      const flood = async (label: string) => {
        const tokens = await Promise.all(
          Array.from({ length: 50 }, async (_, index) =>
            sign({}, { key: await generateSigningKey('EdDSA', `${label}-${index}`) }),
          ),
        );
        const codes = await Promise.all(
          tokens.map(async (token) => (await rejection(verifier.verify(token))).code),
        );
        expect(new Set(codes)).toEqual(new Set(['TOKEN_UNKNOWN_KEY']));
      };
      await flood('a');
      expect(issuer.jwksFetches).toBe(1); // loaded just now: still cooling down
      now = seconds(T0, 30);
      await flood('b');
      expect(issuer.jwksFetches).toBe(2);
      now = seconds(T0, 59);
      await flood('c');
      expect(issuer.jwksFetches).toBe(2);
      now = seconds(T0, 60);
      await flood('d');
      expect(issuer.jwksFetches).toBe(3);
    });

    it('rotation: a new kid is fetched once; the old key verifies until the issuer removes it', async () => {
      const verifier = verifierFor({ jwksMaxAgeMs: 600_000 });
      const oldToken = await sign();
      await verifier.verify(oldToken);
      const next = await generateSigningKey('EdDSA', 'ed-2');
      issuer.published = [next, edKey, ecKey];
      now = seconds(T0, 31);
      const newToken = await sign({}, { key: next });
      await verifier.verify(newToken);
      await verifier.verify(newToken);
      expect(issuer.jwksFetches).toBe(2);
      await verifier.verify(oldToken);
      expect(issuer.jwksFetches).toBe(2);

      issuer.published = [next, ecKey];
      const oldButValid = await sign({ exp: epoch(now) + 3600 }, { key: edKey });
      await verifier.verify(oldButValid); // still cached
      now = seconds(T0, 31 + 601);
      expect((await rejection(verifier.verify(await sign({}, { key: edKey })))).code).toBe(
        'TOKEN_UNKNOWN_KEY',
      );
      expect((await rejection(verifier.verify(oldButValid))).code).toBe('TOKEN_UNKNOWN_KEY');
      expect(await verifier.verify(await sign({}, { key: next }))).toBeDefined();
      expect(issuer.jwksFetches).toBe(3);
    });

    it('keeps the loaded keys when a refresh fails, and ignores keys not meant for signatures', async () => {
      const verifier = verifierFor({ jwksMaxAgeMs: 1_000 });
      const token = await sign({ exp: epoch(T0) + 3600 });
      await verifier.verify(token);
      await issuer.close();
      now = seconds(T0, 60);
      const logger = { warn: jest.fn(), error: jest.fn() };
      const neverLoaded = verifierFor({ jwksMaxAgeMs: 1_000, logger });
      expect((await rejection(neverLoaded.verify(token))).code).toBe('TOKEN_ISSUER_UNAVAILABLE');
      expect(await verifier.verify(token)).toBeDefined();
    });

    it('does not use encryption keys or private members of the JWKS', async () => {
      issuer.published = [];
      issuer.extraJwks = [
        { ...edKey.publicJwk, use: 'enc' },
        { ...ecKey.publicJwk, key_ops: ['encrypt'] },
        'junk',
        null,
      ];
      expect(await codeOf(await sign({}, { key: edKey }))).toBe('TOKEN_UNKNOWN_KEY');
      expect(await codeOf(await sign({}, { key: ecKey }))).toBe('TOKEN_UNKNOWN_KEY');
    });
  });

  describe('Mandate claims', () => {
    it.each(['org_id', 'grant_id', 'sub', 'client_id', 'jti', 'exp', 'iat'])(
      'refuses a token without %s',
      async (claim) => {
        expect(await codeOf(await sign({ [claim]: undefined }))).toBe('TOKEN_MALFORMED');
      },
    );

    it.each([
      [{ org_id: 42 }],
      [{ grant_id: '' }],
      [{ scope: ['documents:read'] }],
      [{ act: 'agt_x' }],
      [{ act: { act: { sub: 'agt_y' } } }],
    ])('refuses the malformed claims %j', async (claims) => {
      expect(await codeOf(await sign(claims))).toBe('TOKEN_MALFORMED');
    });

    it('refuses a token of a revoked grant', async () => {
      const revocations = staticRevocations(['grt_revoked_1']);
      const verifier = verifierFor({ revocations });
      expect((await rejection(verifier.verify(await sign({ grant_id: 'grt_revoked_1' })))).code).toBe(
        'TOKEN_REVOKED',
      );
      const other = await sign({ grant_id: 'grt_other_12' });
      await verifier.verify(other);
      revocations.revoke('grt_other_12');
      expect((await rejection(verifier.verify(other))).code).toBe('TOKEN_REVOKED');
    });
  });

  describe('malformed input (JWT-7)', () => {
    it.each([
      [''],
      ['not-a-token'],
      ['a.b'],
      ['a.b.c'],
      ['%%%.e30.sig'],
      [`${encodeJson({ alg: 'dir', enc: 'A256GCM', zip: 'DEF', p2c: 1e9 })}.key.iv.ciphertext.tag`],
      ['x'.repeat(20_000)],
    ])('refuses %s as malformed, without fetching keys', async (token) => {
      expect(await codeOf(token.slice(0, 20_000))).toBe('TOKEN_MALFORMED');
      expect(issuer.requests).toEqual([]);
    });
  });

  describe('errors', () => {
    it('carry a stable code and the RFC 6750 answer', async () => {
      const error = await rejection(verifierFor().verify(await sign({ aud: 'https://other.test' })));
      expect(error).toMatchObject({
        code: 'TOKEN_INVALID_AUDIENCE',
        status: 401,
        error: 'invalid_token',
        expose: true,
      });
      expect(wwwAuthenticateFor(error, { realm: 'api' })).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The access token is not meant for this resource"',
      );
    });

    it('challenges without an error when no token was sent, and with the scope when it is insufficient', () => {
      expect(bearerChallenge()).toBe('Bearer');
      expect(bearerChallenge({ realm: 'a"b\\c\n' })).toBe('Bearer realm="abc"');
      expect(bearerChallenge({ error: 'insufficient_scope', scope: ['a:read', 'b:write'] })).toBe(
        'Bearer error="insufficient_scope", scope="a:read b:write"',
      );
    });
  });
});
