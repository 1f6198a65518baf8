import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { type FetchLike, assertSecureUrl } from '../http';
import { consoleLogger, type SdkLogger } from '../logger';
import { type RevocationList } from '../revocations/revocation-list';
import { IssuerKeys } from './issuer-keys';
import { TokenVerificationError } from './token-verification.error';

/** Asymmetric JWS algorithms only: `none` and HS* (a public key used as an HMAC secret) can never be allowed. */
export const ASYMMETRIC_ALGORITHMS = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;
export type AllowedAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export interface TokenVerifierOptions {
  /** The authorization server's issuer identifier; `iss` must equal it exactly. */
  readonly issuer: string;
  /** This resource server's identifier (or several); `aud` must contain one of them. */
  readonly audience: string | readonly string[];
  readonly algorithms?: readonly AllowedAlgorithm[];
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds (30 by default, at most 300). */
  readonly clockToleranceSeconds?: number;
  /** The JWKS URL; by default read from the issuer's discovery document. */
  readonly jwksUri?: string;
  readonly fetch?: FetchLike;
  /** Revoked grants; a token of a revoked grant is refused with `TOKEN_REVOKED`. */
  readonly revocations?: RevocationList;
  /** The clock (tests move it); `() => new Date()` by default. */
  readonly currentDate?: () => Date;
  /** At most one JWKS fetch per this many ms when unknown `kid`s arrive (30 s by default). */
  readonly jwksCooldownMs?: number;
  /** The JWKS is fetched again once this old (10 min by default). */
  readonly jwksMaxAgeMs?: number;
  /** Timeout of discovery and JWKS requests (5 s by default). */
  readonly timeoutMs?: number;
  readonly logger?: SdkLogger;
}

/** RFC 8693 `act`: the current actor; a nested `act` names the actor before it. */
export interface ActorClaim {
  readonly sub: string;
  readonly iss?: string;
  readonly act?: ActorClaim;
  readonly [claim: string]: unknown;
}

/** The claims of a Mandate access token (RFC 9068 plus `org_id`, `grant_id`, `act`). */
export interface AccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope?: string;
  readonly org_id: string;
  readonly grant_id: string;
  readonly act?: ActorClaim;
}

export interface VerifiedToken {
  /** `sub`: a user (`usr_…`), an agent (`agt_…`) or a client id. */
  readonly subject: string;
  readonly orgId: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** The token family; revoking it kills every token of the grant. */
  readonly grantId: string;
  /** `jti`. */
  readonly tokenId: string;
  readonly audience: readonly string[];
  /** The current actor (`act.sub`): the agent acting for `subject`, or null when nobody acts for anybody. */
  readonly actor: string | null;
  /** Every actor, current first then prior ones — for audit only (RFC 8693 §4.1: prior actors grant nothing). */
  readonly actorChain: readonly string[];
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly claims: Readonly<AccessTokenClaims>;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
  /** Fetches discovery and the JWKS now, so the first request does not wait for them. */
  warmUp(): Promise<void>;
  readonly issuer: string;
  /** The revocation list the verifier consults, if any (its `connected` tells whether it is current). */
  readonly revocations: RevocationList | undefined;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_KID_LENGTH = 256;
const MAX_ACTOR_DEPTH = 16;
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'org_id', 'grant_id'];

const malformed = (detail: string) => new TokenVerificationError('TOKEN_MALFORMED', detail);

const checkHeader = (header: ProtectedHeaderParameters, allowed: ReadonlySet<string>): string => {
  if (typeof header.alg !== 'string' || !allowed.has(header.alg))
    throw new TokenVerificationError(
      'TOKEN_ALGORITHM_NOT_ALLOWED',
      `alg ${String(header.alg)} is not allowed`,
    );
  if (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))
    throw new TokenVerificationError('TOKEN_INVALID_TYPE', `typ ${String(header.typ)} is not at+jwt`);
  if (header.crit !== undefined) throw malformed('crit headers are not accepted');
  if (header.b64 !== undefined) throw malformed('the b64 header is not accepted');
  const { kid } = header;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)
    throw malformed('kid is missing or invalid');
  return kid;
};

/** jose's verdicts in our codes. */
const fromJose = (error: unknown): TokenVerificationError => {
  if (error instanceof TokenVerificationError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.JWTExpired) return new TokenVerificationError('TOKEN_EXPIRED', detail);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new TokenVerificationError('TOKEN_INVALID_ISSUER', detail);
    if (error.claim === 'aud') return new TokenVerificationError('TOKEN_INVALID_AUDIENCE', detail);
    if (error.claim === 'nbf' && error.reason === 'check_failed')
      return new TokenVerificationError('TOKEN_NOT_YET_VALID', detail);
    return malformed(detail);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new TokenVerificationError('TOKEN_INVALID_SIGNATURE', detail);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new TokenVerificationError('TOKEN_ALGORITHM_NOT_ALLOWED', detail);
  return malformed(detail);
};

const actorChainOf = (act: unknown): string[] => {
  const chain: string[] = [];
  let current = act;
  while (current !== undefined) {
    if (current === null || typeof current !== 'object' || Array.isArray(current))
      throw malformed('act is not an object');
    const { sub, act: prior } = current as { sub?: unknown; act?: unknown };
    if (typeof sub !== 'string' || sub === '') throw malformed('act has no sub');
    chain.push(sub);
    if (chain.length > MAX_ACTOR_DEPTH) throw malformed('act is nested too deeply');
    current = prior;
  }
  return chain;
};

const nonEmptyString = (claims: JWTPayload, name: string): string => {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw malformed(`${name} must be a non-empty string`);
  return value;
};

/**
 * A verifier of Mandate access tokens (RFC 9068 §4): `typ` at+jwt, an explicit list of asymmetric
 * algorithms, exact `iss`, `aud` containing ours, `exp`/`nbf`/`iat` within an explicit tolerance, no
 * `crit`, keys from the issuer's JWKS only, `org_id` and `grant_id` present, the grant not revoked.
 */
export const createTokenVerifier = (options: TokenVerifierOptions): TokenVerifier => {
  const algorithms = options.algorithms ?? ['EdDSA', 'ES256'];
  const unsafe = algorithms.filter((alg) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg));
  if (algorithms.length === 0 || unsafe.length > 0)
    throw new TypeError(
      `algorithms must be asymmetric JWS algorithms; refused: ${unsafe.join(', ') || '(none)'}`,
    );
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300)
    throw new TypeError('clockToleranceSeconds must be between 0 and 300');
  assertSecureUrl(options.issuer, 'issuer');
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (audiences.length === 0 || audiences.some((audience) => audience === ''))
    throw new TypeError('audience must name this resource server');
  const allowed = new Set<string>(algorithms);
  const currentDate = options.currentDate ?? (() => new Date());
  const keys = new IssuerKeys({
    issuer: options.issuer,
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    now: () => currentDate().getTime(),
    cooldownMs: options.jwksCooldownMs ?? 30_000,
    maxAgeMs: options.jwksMaxAgeMs ?? 10 * 60_000,
    timeoutMs: options.timeoutMs ?? 5_000,
    logger: options.logger ?? consoleLogger,
  });
  const { revocations } = options;

  const verify = async (token: string): Promise<VerifiedToken> => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)
      throw malformed('the token is empty or too long');
    // A compact JWS has three parts; a JWE (five) is never decrypted.
    if (token.split('.', 4).length !== 3) throw malformed('the token is not a compact JWS');
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (error) {
      throw malformed(error instanceof Error ? error.message : 'the header is not JSON');
    }
    const kid = checkHeader(header, allowed);
    const alg = header.alg!;
    const key = await keys.keyFor(kid, alg);
    const now = currentDate();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        algorithms: [alg],
        issuer: options.issuer,
        audience: audiences,
        clockTolerance: tolerance,
        currentDate: now,
        requiredClaims: REQUIRED_CLAIMS,
      }));
    } catch (error) {
      throw fromJose(error);
    }
    const iat = claims.iat!;
    if (typeof iat !== 'number') throw malformed('iat must be a number');
    if (iat > Math.floor(now.getTime() / 1000) + tolerance)
      throw new TokenVerificationError('TOKEN_NOT_YET_VALID', 'iat is in the future');
    const subject = nonEmptyString(claims, 'sub');
    const orgId = nonEmptyString(claims, 'org_id');
    const grantId = nonEmptyString(claims, 'grant_id');
    const clientId = nonEmptyString(claims, 'client_id');
    const tokenId = nonEmptyString(claims, 'jti');
    const { scope } = claims;
    if (scope !== undefined && typeof scope !== 'string') throw malformed('scope must be a string');
    const actorChain = actorChainOf(claims['act']);
    if (revocations?.isRevoked(grantId))
      throw new TokenVerificationError('TOKEN_REVOKED', 'the grant was revoked');
    return {
      subject,
      orgId,
      clientId,
      grantId,
      tokenId,
      scopes: new Set(scope === undefined ? [] : scope.split(' ').filter((one) => one !== '')),
      audience: typeof claims.aud === 'string' ? [claims.aud] : [...(claims.aud ?? [])],
      actor: actorChain[0] ?? null,
      actorChain,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(claims.exp! * 1000),
      claims: claims as AccessTokenClaims,
    };
  };

  return { verify, warmUp: () => keys.load(), issuer: options.issuer, revocations };
};

/** The required scopes the token lacks (empty when it has them all). */
export const missingScopes = (token: VerifiedToken, required: readonly string[]): string[] =>
  required.filter((scope) => !token.scopes.has(scope));
