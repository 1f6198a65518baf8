import { type CryptoKey, importJWK, type JWK } from 'jose';
import { assertSecureUrl, type FetchLike, getJson, HttpStatusError } from '../http';
import { describeError, type SdkLogger } from '../logger';
import { TokenVerificationError } from './token-verification.error';

export interface IssuerKeysOptions {
  readonly issuer: string;
  /** Skips discovery when given. */
  readonly jwksUri?: string;
  readonly fetch: FetchLike;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** At most one JWKS fetch per cooldown, however many unknown `kid`s arrive. */
  readonly cooldownMs: number;
  /** The JWKS is fetched again once this old, so keys removed by the issuer stop verifying. */
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
  readonly logger: SdkLogger;
}

/** The key types an algorithm verifies with, and for EC the curve. */
const keyShapeOf = (alg: string): { kty: string; crv?: string } | null => {
  if (alg === 'EdDSA' || alg === 'Ed25519') return { kty: 'OKP', crv: 'Ed25519' };
  if (alg === 'ES256') return { kty: 'EC', crv: 'P-256' };
  if (alg === 'ES384') return { kty: 'EC', crv: 'P-384' };
  if (alg === 'ES512') return { kty: 'EC', crv: 'P-521' };
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return { kty: 'RSA' };
  return null;
};

const isEdDsa = (alg: string): boolean => alg === 'EdDSA' || alg === 'Ed25519';

/** Only the public members: a JWKS that leaks `d` must not turn into private keys here. */
const publicJwk = (jwk: JWK): JWK => {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined),
  );
};

const isSigningKey = (jwk: JWK): boolean =>
  typeof jwk.kid === 'string' &&
  typeof jwk.kty === 'string' &&
  (jwk.use === undefined || jwk.use === 'sig') &&
  (jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')));

const MAX_DOCUMENT_BYTES = 512 * 1024;
/** When no key was ever loaded, retry sooner than the cooldown: the service is not serving anyone yet. */
const FIRST_LOAD_RETRY_MS = 5_000;

/**
 * The issuer's signing keys, from its `jwks_uri` (found by discovery) and nowhere else: `jku`, `x5u`,
 * `jwk` and `x5c` headers are never read. The `kid` is only a map key, never part of a request.
 */
export class IssuerKeys {
  private keysByKid = new Map<string, readonly JWK[]>();
  private readonly imported = new Map<string, Promise<CryptoKey>>();
  private loadedAt: number | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  private jwksUri: string | undefined;
  /** How many JWKS documents were requested (discovery excluded). */
  fetches = 0;

  constructor(private readonly options: IssuerKeysOptions) {
    this.jwksUri = options.jwksUri;
    if (this.jwksUri !== undefined) assertSecureUrl(this.jwksUri, 'jwksUri');
  }

  /** Loads the keys now instead of at the first token. */
  async load(): Promise<void> {
    await this.refresh();
  }

  async keyFor(kid: string, alg: string): Promise<CryptoKey> {
    const now = this.options.now();
    if (this.loadedAt === null) {
      if (this.inFlight === null && now - this.lastAttemptAt < FIRST_LOAD_RETRY_MS)
        throw new TokenVerificationError('TOKEN_ISSUER_UNAVAILABLE', 'the issuer keys could not be loaded');
      try {
        await this.refresh();
      } catch (error) {
        throw new TokenVerificationError('TOKEN_ISSUER_UNAVAILABLE', describeError(error), { cause: error });
      }
    } else if (now - this.loadedAt > this.options.maxAgeMs && this.mayFetch(now)) {
      await this.refreshKeepingOldKeys();
    }
    let jwk = this.lookup(kid, alg);
    if (jwk === undefined) {
      if (this.inFlight !== null) await this.inFlight.catch(() => undefined);
      else if (this.mayFetch(this.options.now())) await this.refreshKeepingOldKeys();
      jwk = this.lookup(kid, alg);
    }
    if (jwk === undefined)
      throw new TokenVerificationError('TOKEN_UNKNOWN_KEY', `no ${alg} key has this kid`);
    return this.import(kid, alg, jwk);
  }

  private mayFetch(now: number): boolean {
    return this.inFlight === null && now - this.lastAttemptAt >= this.options.cooldownMs;
  }

  private lookup(kid: string, alg: string): JWK | undefined {
    const shape = keyShapeOf(alg);
    if (shape === null) return undefined;
    return this.keysByKid
      .get(kid)
      ?.find(
        (jwk) =>
          jwk.kty === shape.kty &&
          (shape.crv === undefined || jwk.crv === shape.crv) &&
          (jwk.alg === undefined || jwk.alg === alg || (isEdDsa(alg) && isEdDsa(jwk.alg))),
      );
  }

  private import(kid: string, alg: string, jwk: JWK): Promise<CryptoKey> {
    const cacheKey = `${alg}\u0000${kid}`;
    let key = this.imported.get(cacheKey);
    if (key === undefined) {
      key = importJWK(publicJwk(jwk), alg).then((imported) => {
        if (imported instanceof Uint8Array) throw new Error('a JWKS key imported as a secret');
        return imported;
      });
      key.catch(() => this.imported.delete(cacheKey));
      this.imported.set(cacheKey, key);
    }
    return key.catch((error: unknown) => {
      throw new TokenVerificationError(
        'TOKEN_UNKNOWN_KEY',
        `the key ${alg} cannot be used: ${describeError(error)}`,
      );
    });
  }

  private async refreshKeepingOldKeys(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.options.logger.warn(
        `JWKS refresh failed, keeping the keys loaded before: ${describeError(error)}`,
      );
    }
  }

  private refresh(): Promise<void> {
    if (this.inFlight === null) {
      this.lastAttemptAt = this.options.now();
      this.inFlight = this.fetchKeys().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    const jwksUri = this.jwksUri ?? (await this.discover());
    this.fetches += 1;
    const document = await getJson(this.options.fetch, jwksUri, {
      timeoutMs: this.options.timeoutMs,
      maxBytes: MAX_DOCUMENT_BYTES,
    });
    const keys = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error(`${jwksUri} is not a JWKS: it has no "keys" array`);
    const byKid = new Map<string, JWK[]>();
    for (const jwk of keys as JWK[]) {
      if (jwk === null || typeof jwk !== 'object' || !isSigningKey(jwk)) continue;
      byKid.set(jwk.kid!, [...(byKid.get(jwk.kid!) ?? []), jwk]);
    }
    for (const cacheKey of this.imported.keys()) {
      const kid = cacheKey.slice(cacheKey.indexOf('\u0000') + 1);
      if (JSON.stringify(byKid.get(kid)) !== JSON.stringify(this.keysByKid.get(kid)))
        this.imported.delete(cacheKey);
    }
    this.keysByKid = byKid;
    this.loadedAt = this.options.now();
  }

  /** OpenID discovery, then RFC 8414 metadata; the document must name exactly our issuer. */
  private async discover(): Promise<string> {
    const base = this.options.issuer.replace(/\/+$/, '');
    let lastError: unknown;
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      try {
        const metadata = (await getJson(this.options.fetch, `${base}${path}`, {
          timeoutMs: this.options.timeoutMs,
          maxBytes: MAX_DOCUMENT_BYTES,
        })) as { issuer?: unknown; jwks_uri?: unknown } | null;
        if (metadata?.issuer !== this.options.issuer)
          throw new Error(`${base}${path} names the issuer ${String(metadata?.issuer)}`);
        if (typeof metadata.jwks_uri !== 'string') throw new Error(`${base}${path} has no jwks_uri`);
        this.jwksUri = assertSecureUrl(metadata.jwks_uri, 'jwks_uri').href;
        return this.jwksUri;
      } catch (error) {
        lastError = error;
        if (!(error instanceof HttpStatusError && error.status === 404)) break;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}
