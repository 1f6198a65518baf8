import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  SignJWT,
} from 'jose';

export interface TestSigningKey {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export const generateSigningKey = async (
  alg: 'EdDSA' | 'ES256',
  kid = `${alg.toLowerCase()}-${randomUUID()}`,
) => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk } satisfies TestSigningKey;
};

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
}

/**
 * An authorization server on loopback for tests: OpenID discovery and a JWKS over real HTTP, and
 * RFC 9068 access tokens signed with its keys. Keys can be rotated and removed while it runs.
 */
export class TestIssuer {
  readonly requests: RecordedRequest[] = [];
  /** The keys the JWKS publishes. */
  published: TestSigningKey[];
  /** Extra JWKS members, for malformed-JWKS tests. */
  extraJwks: unknown[] = [];

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    keys: TestSigningKey[],
  ) {
    this.published = keys;
  }

  static async start(keys?: TestSigningKey[]): Promise<TestIssuer> {
    const signingKeys = keys ?? [await generateSigningKey('EdDSA')];
    const handlers: ((request: IncomingMessage, response: ServerResponse) => void)[] = [];
    const server = createServer((request, response) => handlers[0]?.(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = new TestIssuer(server, `http://127.0.0.1:${port}/o/test`, signingKeys);
    handlers.push((request, response) => issuer.handle(request, response));
    return issuer;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  /** JWKS requests received so far. */
  get jwksFetches(): number {
    return this.requests.filter((request) => request.url.startsWith('/o/test/jwks')).length;
  }

  get key(): TestSigningKey {
    return this.published[0]!;
  }

  /** Signs an access token with `key` (the first published key by default); `claims` override the defaults. */
  async sign(
    claims: Record<string, unknown> = {},
    {
      key = this.key,
      header = {},
      now = new Date(),
      crit,
    }: {
      key?: TestSigningKey;
      header?: Partial<JWTHeaderParameters> & Record<string, unknown>;
      now?: Date;
      /** Extension headers jose may sign as `crit` (to test that verifiers refuse them). */
      crit?: Record<string, boolean>;
    } = {},
  ): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    const payload = {
      iss: this.issuer,
      sub: 'usr_01jqk6ry4b0000000000000000',
      aud: 'https://api.example.test',
      iat,
      exp: iat + 300,
      jti: randomUUID(),
      client_id: 'cli_test',
      scope: 'documents:read documents:write',
      org_id: 'org_01jqk6ry4b0000000000000000',
      grant_id: `grt_${randomUUID().replaceAll('-', '')}`,
      ...claims,
    };
    const defined = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
    return new SignJWT(defined)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey, crit === undefined ? {} : { crit });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    this.requests.push({ method: request.method ?? 'GET', url });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (
      url === '/o/test/.well-known/openid-configuration' ||
      url === '/o/test/.well-known/oauth-authorization-server'
    )
      return json(200, { issuer: this.issuer, jwks_uri: this.jwksUri });
    if (url === '/o/test/jwks')
      return json(200, { keys: [...this.published.map((key) => key.publicJwk), ...this.extraJwks] });
    json(404, { error: 'not_found' });
  }
}
