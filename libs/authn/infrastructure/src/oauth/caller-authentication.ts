import {
  adminKeyMatches,
  API_KEY_PREFIX,
  type ApiKeyVerifier,
  apiKeySecretMatches,
  type PlatformModuleOptions,
} from '@mandate/platform';
import { timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { type DataSource } from 'typeorm';
import { type ClientRow } from '../clients/client-row';
import { parseBasicCredentials, secretHash } from './basic-credentials';

/** Who calls introspection or revocation: a client of an organization, an organization key, or the admin. */
export type Caller =
  | { readonly kind: 'client'; readonly clientId: string; readonly orgId: string }
  | { readonly kind: 'api_key'; readonly orgId: string | null };

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * Authenticates the caller of Mandate's own OAuth endpoints (RFC 7662 introspection, RFC 7009
 * revocation) the ways the token endpoint does — `client_secret_basic` against the stored hash,
 * `private_key_jwt` against the client's keys with single-use `jti` — or with an API key.
 */
export class CallerAuthentication {
  constructor(
    private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeyVerifier,
    private readonly platform: PlatformModuleOptions,
    private readonly issuer: () => string,
    private readonly clock: () => Date,
  ) {}

  /** The caller, or null: the endpoint answers 401 `invalid_client`. */
  async authenticate(
    authorization: string | undefined,
    body: Record<string, unknown>,
    endpoint: string,
  ): Promise<Caller | null> {
    const bearer = authorization === undefined ? null : BEARER.exec(authorization);
    if (bearer) return this.apiKey(bearer[1]!);
    if (authorization !== undefined && /^Basic /i.test(authorization)) return this.basic(authorization);
    if (
      body['client_assertion_type'] === JWT_BEARER_ASSERTION &&
      typeof body['client_assertion'] === 'string'
    )
      return this.assertion(body['client_assertion'], endpoint);
    return null;
  }

  private async apiKey(token: string): Promise<Caller | null> {
    if (token.startsWith(API_KEY_PREFIX)) {
      const verification = await this.apiKeys.verify(token);
      if (!verification.ok) return null;
      const { principal } = verification;
      return { kind: 'api_key', orgId: principal.type === 'api_key' ? principal.orgId : null };
    }
    const { adminKey, adminKeySha256 } = this.platform;
    if (
      (adminKey !== undefined && adminKeyMatches(token, adminKey)) ||
      (adminKeySha256 !== undefined && apiKeySecretMatches(token, adminKeySha256))
    )
      return { kind: 'api_key', orgId: null };
    return null;
  }

  private async basic(authorization: string): Promise<Caller | null> {
    const credentials = parseBasicCredentials(authorization);
    if (!credentials) return null;
    const { clientId, secret } = credentials;
    const client = await this.client(clientId);
    if (!client || client.auth_method !== 'client_secret_basic' || client.secret_hash === null) return null;
    const presented = Buffer.from(secretHash(secret), 'hex');
    if (!timingSafeEqual(presented, Buffer.from(client.secret_hash, 'hex'))) return null;
    return { kind: 'client', clientId, orgId: client.org_id };
  }

  private async assertion(assertion: string, endpoint: string): Promise<Caller | null> {
    const [, payload] = assertion.split('.');
    let clientId: unknown;
    try {
      clientId = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown })
        .iss;
    } catch {
      return null;
    }
    if (typeof clientId !== 'string') return null;
    const client = await this.client(clientId);
    if (!client || client.auth_method !== 'private_key_jwt' || client.jwks === null) return null;
    try {
      const { payload: claims } = await jwtVerify(assertion, createLocalJWKSet(client.jwks as never), {
        issuer: clientId,
        subject: clientId,
        audience: [this.issuer(), `${this.issuer()}${endpoint}`],
        algorithms: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'RS256', 'PS256'],
        clockTolerance: 30,
        currentDate: this.clock(),
        requiredClaims: ['jti', 'exp'],
      });
      // Each assertion is single use (RFC 7523 §3): remember its jti until it expires.
      const inserted: unknown[] = await this.dataSource.query(
        `insert into authn.oauth_artifacts (model, id, payload, expires_at)
         values ('ClientAssertion', $1, '{}', to_timestamp($2)) on conflict do nothing returning id`,
        [`${clientId}:${String(claims.jti)}`, claims.exp],
      );
      return inserted.length === 1 ? { kind: 'client', clientId, orgId: client.org_id } : null;
    } catch {
      return null;
    }
  }

  private async client(clientId: string): Promise<ClientRow | undefined> {
    const rows: ClientRow[] = await this.dataSource.query(
      "select * from authn.clients where client_id = $1 and status = 'active'",
      [clientId],
    );
    return rows[0];
  }
}
