import { decodeJwt } from 'jose';
import { type DataSource } from 'typeorm';
import { type GrantRow, type GrantsService } from '../grants/grants.service';
import { type KeyRing } from '../keys/key-ring';

/** A token Mandate issued, as introspection and revocation see it: its claims and its grant. */
export interface KnownToken {
  readonly type: 'access_token' | 'refresh_token';
  readonly orgId: string;
  readonly clientId: string;
  readonly grant: GrantRow | null;
  /** The claims introspection returns for an active token (RFC 7662 §2.2). */
  readonly claims: Record<string, unknown>;
  /** Valid at the time asked: signature, expiry, not consumed (refresh tokens). */
  readonly valid: boolean;
}

const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** Finds what a presented token is, from the key ring (JWT access tokens) or the artifact store (refresh tokens). */
export class TokenState {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keyRing: KeyRing,
    private readonly grants: GrantsService,
    private readonly issuer: () => string,
    private readonly clock: () => Date,
  ) {}

  async find(token: string, hint: string | undefined): Promise<KnownToken | null> {
    const jwt = looksLikeJwt(token);
    if (jwt && hint !== 'refresh_token') return this.accessToken(token);
    if (!jwt) return this.refreshToken(token);
    return null;
  }

  /** Active = a valid token whose grant is live. */
  static isActive(token: KnownToken | null): token is KnownToken {
    return token !== null && token.valid && token.grant !== null && token.grant.revoked_at === null;
  }

  private async accessToken(token: string): Promise<KnownToken | null> {
    let claims: Record<string, unknown>;
    let valid = true;
    try {
      claims = await this.keyRing.verifyAccessToken(token, this.issuer());
    } catch (error) {
      // An expired token of ours is still ours: revocation of it may still revoke its grant.
      if ((error as { code?: string }).code !== 'ERR_JWT_EXPIRED') return null;
      claims = decodeJwt(token);
      valid = false;
    }
    const grantId = typeof claims['grant_id'] === 'string' ? claims['grant_id'] : null;
    return {
      type: 'access_token',
      orgId: typeof claims['org_id'] === 'string' ? claims['org_id'] : '',
      clientId: typeof claims['client_id'] === 'string' ? claims['client_id'] : '',
      grant: grantId ? await this.grants.find(grantId) : null,
      claims: { ...claims, token_type: 'Bearer' },
      valid,
    };
  }

  private async refreshToken(token: string): Promise<KnownToken | null> {
    const [row] = await this.dataSource.query<
      {
        payload: Record<string, unknown>;
        grant_id: string | null;
        consumed_at: Date | null;
        expires_at: Date | null;
      }[]
    >(
      "select payload, grant_id, consumed_at, expires_at from authn.oauth_artifacts where model = 'RefreshToken' and id = $1",
      [token],
    );
    if (!row?.grant_id) return null;
    const grant = await this.grants.find(row.grant_id);
    if (!grant) return null;
    const { payload } = row;
    const valid = row.consumed_at === null && (row.expires_at === null || row.expires_at > this.clock());
    return {
      type: 'refresh_token',
      orgId: grant.org_id,
      clientId: grant.client_id,
      grant,
      claims: {
        iss: this.issuer(),
        sub: payload['accountId'],
        client_id: grant.client_id,
        scope: payload['scope'],
        exp: payload['exp'],
        iat: payload['iat'],
        org_id: grant.org_id,
        grant_id: grant.grant_id,
        token_type: 'refresh_token',
      },
      valid,
    };
  }
}
