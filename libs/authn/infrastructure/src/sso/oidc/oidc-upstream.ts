import { createHash } from 'node:crypto';
import {
  compactVerify,
  type CryptoKey as JoseCryptoKey,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importJWK,
  type JWTVerifyGetKey,
} from 'jose';
import * as client from 'openid-client';
import {
  ASYMMETRIC_SIGNING_ALGORITHMS,
  isAcceptedTransport,
  isLoopbackUrl,
  OidcConfigError,
  type OidcConnectionConfig,
  type OidcPrivateJwk,
  validateOidcConnectionConfig,
} from './oidc-connection-config';
import { OidcLoginError, type OidcFailureReason, toOidcLoginError } from './oidc-failure';
import { oidcLoginResult, type OidcLoginResult } from './oidc-identity';

export * from './oidc-connection-config';
export * from './oidc-failure';
export * from './oidc-identity';

/** What the caller keeps (server-side, bound to the browser) between the redirect and the callback. */
export interface OidcLoginRequest {
  readonly redirectUrl: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface OidcUpstreamOptions {
  /** Per HTTP request to the IdP (discovery, token, UserInfo, JWKS). Default 10 s. */
  readonly timeoutMs?: number;
  /** Accept `http://` on loopback hosts — for the test IdPs only. */
  readonly allowInsecureLoopback?: boolean;
  /**
   * After a JWKS fetch, how long an ID token with an unknown `kid` waits before the keys are fetched
   * again (so a flood of unknown kids costs at most one fetch per period). Default 30 s.
   */
  readonly jwksCooldownMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

const defaultAlgorithm = (jwk: OidcPrivateJwk): string => {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  if (jwk.crv === 'P-384') return 'ES384';
  if (jwk.crv === 'P-521') return 'ES512';
  return 'ES256';
};

const clientAuthentication = async (config: OidcConnectionConfig): Promise<client.ClientAuth> => {
  switch (config.clientAuth) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(config.clientSecret);
    case 'client_secret_post':
      return client.ClientSecretPost(config.clientSecret);
    case 'private_key_jwt': {
      const jwk = config.privateJwk!;
      const key = await importJWK(jwk, defaultAlgorithm(jwk));
      if (!(key instanceof CryptoKey)) throw new TypeError('privateJwk did not import as an asymmetric key');
      return client.PrivateKeyJwt(jwk.kid ? { key, kid: jwk.kid } : key);
    }
  }
};

const fail = (reason: OidcFailureReason, message: string): never => {
  throw new OidcLoginError(reason, message);
};

/** The endpoints a connection needs, each over https (or loopback http when allowed). */
const checkEndpoints = (metadata: client.ServerMetadata, allowInsecureLoopback: boolean): void => {
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    const value = metadata[name];
    if (typeof value !== 'string') fail('oidc_discovery_failed', `the discovery document has no ${name}`);
  }
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const) {
    const value = metadata[name];
    if (value === undefined) continue;
    let parsed: URL | null = null;
    try {
      parsed = new URL(value);
    } catch {
      fail('oidc_discovery_failed', `the discovery document's ${name} is not a URL`);
    }
    if (!isAcceptedTransport(parsed!, allowInsecureLoopback)) {
      fail('oidc_insecure_endpoint', `the discovery document's ${name} is not an https URL`);
    }
  }
  const methods = metadata.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256')) {
    fail('oidc_discovery_failed', 'the IdP does not support PKCE with S256');
  }
};

/** The asymmetric algorithms the IdP says it signs ID tokens with; RS256 when it says nothing. */
const idTokenAlgorithms = (metadata: client.ServerMetadata): string[] => {
  const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
  return advertised.filter((alg) => ASYMMETRIC_SIGNING_ALGORITHMS.includes(alg));
};

const isIterableKeyChoice = (error: unknown): error is AsyncIterable<JoseCryptoKey> =>
  (error as { code?: unknown }).code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' &&
  typeof (error as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

const verifyWithAnyOf = async (
  idToken: string,
  candidates: AsyncIterable<JoseCryptoKey>,
  options: { algorithms: string[] },
): Promise<void> => {
  let last: unknown;
  for await (const key of candidates) {
    try {
      await compactVerify(idToken, key, options);
      return;
    } catch (error) {
      last = error;
    }
  }
  throw last;
};

/**
 * Mandate as the relying party of one organization's upstream OpenID Provider: discovery with a
 * pinned issuer, the authorization code flow with PKCE S256, state and nonce, RFC 9207 issuer
 * checks, and an ID token whose signature, issuer, audience, nonce and lifetime are all verified.
 */
export class OidcUpstream {
  private constructor(
    readonly config: OidcConnectionConfig,
    private readonly client: client.Configuration,
    private readonly keys: JWTVerifyGetKey,
    private readonly algorithms: readonly string[],
  ) {}

  static async discover(
    config: OidcConnectionConfig,
    options: OidcUpstreamOptions = {},
  ): Promise<OidcUpstream> {
    const allowInsecureLoopback = options.allowInsecureLoopback ?? false;
    const validation = validateOidcConnectionConfig(config, { allowInsecureLoopback });
    if (!validation.ok) throw validation.error;
    const checked = validation.config;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const issuer = new URL(checked.issuer);
    const authentication = await clientAuthentication(checked).catch((error: unknown) => {
      throw new OidcConfigError('privateJwk', `is not a usable private key (${String(error)})`);
    });
    let configuration: client.Configuration;
    try {
      configuration = await client.discovery(
        issuer,
        checked.clientId,
        {
          redirect_uris: [checked.redirectUri],
          response_types: ['code'],
          [client.clockTolerance]: checked.clockToleranceSeconds,
        },
        authentication,
        {
          timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
          execute: allowInsecureLoopback && isLoopbackUrl(issuer) ? [client.allowInsecureRequests] : [],
        },
      );
    } catch (error) {
      throw toOidcLoginError('discovery', error);
    }
    const metadata = configuration.serverMetadata();
    if (metadata.issuer !== checked.issuer) {
      fail(
        'oidc_discovery_issuer_mismatch',
        `the discovery document names issuer ${metadata.issuer}, not the configured ${checked.issuer}`,
      );
    }
    checkEndpoints(metadata, allowInsecureLoopback);
    const algorithms = idTokenAlgorithms(metadata);
    if (algorithms.length === 0) {
      fail(
        'oidc_discovery_failed',
        'the IdP signs ID tokens with no asymmetric algorithm this connection accepts',
      );
    }
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri!), {
      timeoutDuration: timeoutMs,
      cooldownDuration: options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
    });
    return new OidcUpstream(checked, configuration, keys, algorithms);
  }

  /** The IdP's discovered metadata (endpoints, algorithms, RFC 9207 support). */
  get serverMetadata(): Readonly<client.ServerMetadata> {
    return this.client.serverMetadata();
  }

  /** A fresh authorization request: PKCE S256, random state and nonce. The caller stores all three. */
  createLoginRequest(extra: { readonly loginHint?: string } = {}): OidcLoginRequest {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: this.config.redirectUri,
      response_type: 'code',
      scope: this.config.scopes.join(' '),
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (extra.loginHint) parameters['login_hint'] = extra.loginHint;
    const redirectUrl = client.buildAuthorizationUrl(this.client, parameters).href;
    return { redirectUrl, state, nonce, codeVerifier };
  }

  /**
   * Completes the login from the IdP's redirect back to `redirectUri`: checks the response (`iss`,
   * `state`, `error`), redeems the code with the PKCE verifier, verifies the ID token, and reads
   * UserInfo when the IdP has it. Any failure is an `OidcLoginError` and yields no result.
   */
  async handleCallback(
    callbackUrl: URL,
    expected: { readonly state: string; readonly nonce: string; readonly codeVerifier: string },
  ): Promise<OidcLoginResult> {
    if (!expected.state || !expected.nonce || !expected.codeVerifier) {
      throw new OidcLoginError(
        'oidc_state_mismatch',
        'no login is pending for this callback (state, nonce or verifier missing)',
      );
    }
    // The redirect_uri sent to the token endpoint is the registered one, whatever host the callback reached.
    const current = new URL(this.config.redirectUri);
    current.search = callbackUrl.search;

    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(this.client, current, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw toOidcLoginError('callback', error);
    }
    const idToken = tokens.id_token;
    const claims = tokens.claims();
    if (idToken === undefined || claims === undefined) {
      throw new OidcLoginError('oidc_missing_id_token', 'the token response has no ID token');
    }
    await this.verifySignature(idToken);
    this.checkIssuedAt(claims);

    let userInfo: Record<string, unknown> = {};
    if (this.serverMetadata.userinfo_endpoint !== undefined && tokens.access_token) {
      try {
        userInfo = await client.fetchUserInfo(this.client, tokens.access_token, claims.sub);
      } catch (error) {
        throw toOidcLoginError('userinfo', error);
      }
    }
    return oidcLoginResult(this.config.identity, claims, userInfo);
  }

  /**
   * openid-client trusts an ID token from the token endpoint over TLS without its signature
   * (OIDC Core 3.1.3.7); Mandate verifies it anyway, with the IdP's JWKS and asymmetric algorithms only.
   */
  private async verifySignature(idToken: string): Promise<void> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(idToken).alg;
    } catch {
      fail('oidc_invalid_id_token', 'the ID token header is not valid JSON');
    }
    if (alg === undefined || alg.toLowerCase() === 'none')
      fail('oidc_unsigned_token', 'the ID token is not signed (alg "none")');
    if (!this.algorithms.includes(alg!)) {
      fail(
        'oidc_invalid_signature',
        `the ID token is signed with ${alg}, which this connection does not accept`,
      );
    }
    const verifyOptions = { algorithms: [...this.algorithms] };
    try {
      try {
        await compactVerify(idToken, this.keys, verifyOptions);
      } catch (error) {
        // Several published keys fit a token without kid: the token must verify with one of them.
        if (!isIterableKeyChoice(error)) throw error;
        await verifyWithAnyOf(idToken, error, verifyOptions);
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new OidcLoginError(
        'oidc_invalid_signature',
        code === 'ERR_JWKS_NO_MATCHING_KEY'
          ? "the ID token's signing key is not in the IdP's JWKS"
          : code === 'ERR_JWKS_TIMEOUT'
            ? "the IdP's JWKS could not be fetched in time"
            : 'the ID token signature does not verify with the IdP keys',
        { cause: error },
      );
    }
  }

  /** openid-client checks `exp` and `nbf` with the tolerance, not an `iat` from the future. */
  private checkIssuedAt(claims: client.IDToken): void {
    const now = Math.floor(Date.now() / 1000);
    if (claims.iat > now + this.config.clockToleranceSeconds) {
      fail(
        'oidc_token_not_yet_valid',
        'the ID token is issued in the future (iat beyond the clock tolerance)',
      );
    }
  }
}

export type OidcConnectionTest =
  | {
      readonly ok: true;
      readonly issuer: string;
      readonly authorizationEndpoint: string;
      readonly tokenEndpoint: string;
      readonly jwksUri: string;
      readonly userinfoEndpoint: string | null;
      readonly endSessionEndpoint: string | null;
      readonly idTokenSigningAlgorithms: readonly string[];
      readonly issuerResponseParameter: boolean;
      readonly signingKeys: number;
    }
  | {
      readonly ok: false;
      readonly reason: OidcFailureReason | 'oidc_invalid_config';
      readonly message: string;
    };

/**
 * Tests a connection before it is enabled: the configuration is valid, discovery answers with the
 * pinned issuer and usable endpoints, and the JWKS holds at least one signing key.
 */
export const testOidcConnection = async (
  config: unknown,
  options: OidcUpstreamOptions = {},
): Promise<OidcConnectionTest> => {
  const validation = validateOidcConnectionConfig(config, options);
  if (!validation.ok) return { ok: false, reason: 'oidc_invalid_config', message: validation.error.message };
  try {
    const upstream = await OidcUpstream.discover(validation.config, options);
    const metadata = upstream.serverMetadata;
    const signingKeys = await countSigningKeys(
      new URL(metadata.jwks_uri!),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    if (signingKeys === 0)
      return { ok: false, reason: 'oidc_jwks_unusable', message: "the IdP's JWKS has no signing key" };
    return {
      ok: true,
      issuer: metadata.issuer,
      authorizationEndpoint: metadata.authorization_endpoint!,
      tokenEndpoint: metadata.token_endpoint!,
      jwksUri: metadata.jwks_uri!,
      userinfoEndpoint: metadata.userinfo_endpoint ?? null,
      endSessionEndpoint: metadata.end_session_endpoint ?? null,
      idTokenSigningAlgorithms: idTokenAlgorithms(metadata),
      issuerResponseParameter: metadata.authorization_response_iss_parameter_supported === true,
      signingKeys,
    };
  } catch (error) {
    if (error instanceof OidcLoginError) return { ok: false, reason: error.reason, message: error.message };
    throw error;
  }
};

const countSigningKeys = async (jwksUri: URL, timeoutMs: number): Promise<number> => {
  let body: unknown;
  try {
    const response = await fetch(jwksUri, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) fail('oidc_jwks_unusable', `the IdP's JWKS answered HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof OidcLoginError) throw error;
    throw new OidcLoginError('oidc_jwks_unusable', `the IdP's JWKS could not be read (${String(error)})`, {
      cause: error,
    });
  }
  const keys = (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) fail('oidc_jwks_unusable', "the IdP's JWKS has no keys array");
  return (keys as { kty?: unknown; use?: unknown; d?: unknown }[]).filter(
    (key) => ['RSA', 'EC', 'OKP'].includes(String(key.kty)) && (key.use === undefined || key.use === 'sig'),
  ).length;
};
