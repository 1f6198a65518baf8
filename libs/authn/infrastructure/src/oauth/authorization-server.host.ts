import { type GrantRevocationReason } from '@mandate/contracts';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { type DataSource } from 'typeorm';
import { type GrantsService } from '../grants/grants.service';
import { type KeyRing } from '../keys/key-ring';
import { parseBasicCredentials, secretHash } from './basic-credentials';
import {
  createAuthorizationServer,
  type EndedSession,
  OAUTH_ROUTES,
  PROTOCOL_PATH_PREFIXES,
} from './authorization-server';
import { registerTokenExchange } from './token-exchange.grant';

/** How often the key ring is checked for a due rotation (and for keys another replica made). */
export const KEY_CHECK_INTERVAL_MS = 60_000;

/**
 * Client secrets are kept as SHA-256 only: the presented secret is hashed before oidc-provider
 * compares it with the stored one (`client_secret` = the hash, see `clientMetadata`). A malformed
 * header is left for oidc-provider to refuse.
 */
export const hashBasicCredentials = (authorization: string | undefined): string | undefined => {
  const credentials = parseBasicCredentials(authorization);
  if (!credentials) return authorization;
  const pair = `${encodeURIComponent(credentials.clientId)}:${secretHash(credentials.secret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
};

export const isProtocolPath = (path: string): boolean =>
  PROTOCOL_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

export interface AuthorizationServerHostOptions {
  /** The issuer: the app's public URL, known once it listens. */
  readonly issuer: () => string;
  readonly dataSource: DataSource;
  readonly keyRing: KeyRing;
  readonly grants: GrantsService;
  readonly clock: () => Date;
  readonly cookieKey: Buffer;
  /** Records a session the person signed out of. */
  readonly signedOut: (session: EndedSession) => Promise<void>;
}

/**
 * Runs oidc-provider inside the Nest app: builds it once the signing keys are loaded, rebuilds it
 * whenever the published keys change (rotation), and serves the protocol paths through it.
 */
export class AuthorizationServerHost {
  private provider: Provider | null = null;
  private callback: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  private keysVersion = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AuthorizationServerHostOptions) {}

  get issuer(): string {
    return this.options.issuer();
  }

  /** Loads (or makes) the signing keys; the provider is built on the first request, once the issuer is known. */
  async start(): Promise<void> {
    await this.options.keyRing.refresh();
    this.timer = setInterval(() => void this.refreshKeys().catch(() => undefined), KEY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Rotates keys when due; a changed key set rebuilds the provider (old keys stay published). */
  async refreshKeys(): Promise<void> {
    await this.options.keyRing.refresh();
  }

  /** The provider for the current key set: rebuilt when the published keys changed. */
  get current(): Provider {
    return this.built().provider;
  }

  private built(): { provider: Provider; callback: (req: IncomingMessage, res: ServerResponse) => void } {
    if (this.provider && this.callback && this.options.keyRing.version === this.keysVersion)
      return { provider: this.provider, callback: this.callback };
    const issuer = this.options.issuer();
    this.keysVersion = this.options.keyRing.version;
    const provider = createAuthorizationServer({
      ...this.options,
      issuer,
      revokedByProvider: (grantId, replayed) => this.revokedByProvider(grantId, replayed),
    });
    registerTokenExchange(provider, { ...this.options, issuer });
    this.provider = provider;
    const callback = provider.callback() as (req: IncomingMessage, res: ServerResponse) => void;
    this.callback = callback;
    return { provider, callback };
  }

  handle(req: IncomingMessage & { path?: string }, res: ServerResponse): void {
    const { callback } = this.built();
    if (req.url?.startsWith('/.well-known/oauth-authorization-server'))
      req.url = req.url.replace(
        '/.well-known/oauth-authorization-server',
        '/.well-known/openid-configuration',
      );
    if (req.url?.startsWith(OAUTH_ROUTES.token))
      req.headers.authorization = hashBasicCredentials(req.headers.authorization);
    callback(req, res);
  }

  /** oidc-provider revokes a grant when a code or a rotated refresh token is used again, and on logout. */
  private async revokedByProvider(grantId: string, replayed: string | undefined): Promise<void> {
    const grant = await this.options.grants.find(grantId);
    if (!grant) return;
    // Besides a replayed code or refresh token, oidc-provider revokes grants only on logout.
    const reason: GrantRevocationReason =
      replayed === 'AuthorizationCode'
        ? 'authorization_code_reuse'
        : replayed === 'RefreshToken'
          ? 'refresh_token_reuse'
          : 'logout';
    await this.options.grants.revoke(grant, reason);
  }
}
