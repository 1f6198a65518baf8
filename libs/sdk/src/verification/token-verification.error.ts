/**
 * Why a token was refused. Stable: callers may switch on it, log it, count it. Every code but
 * `TOKEN_ISSUER_UNAVAILABLE` is the token's fault and answers RFC 6750 `invalid_token` (401);
 * `TOKEN_ISSUER_UNAVAILABLE` means the verifier could not load the issuer's keys at all (503).
 */
export type TokenVerificationErrorCode =
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_REVOKED'
  | 'TOKEN_INVALID_SIGNATURE'
  | 'TOKEN_INVALID_TYPE'
  | 'TOKEN_INVALID_AUDIENCE'
  | 'TOKEN_INVALID_ISSUER'
  | 'TOKEN_ALGORITHM_NOT_ALLOWED'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_UNKNOWN_KEY'
  | 'TOKEN_ISSUER_UNAVAILABLE';

const descriptions: Record<TokenVerificationErrorCode, string> = {
  TOKEN_EXPIRED: 'The access token expired',
  TOKEN_NOT_YET_VALID: 'The access token is not valid yet',
  TOKEN_REVOKED: 'The access token was revoked',
  TOKEN_INVALID_SIGNATURE: 'The access token signature is invalid',
  TOKEN_INVALID_TYPE: 'The token is not an access token (typ at+jwt)',
  TOKEN_INVALID_AUDIENCE: 'The access token is not meant for this resource',
  TOKEN_INVALID_ISSUER: 'The access token was issued by another issuer',
  TOKEN_ALGORITHM_NOT_ALLOWED: 'The access token signing algorithm is not allowed',
  TOKEN_MALFORMED: 'The access token is malformed',
  TOKEN_UNKNOWN_KEY: 'The access token was signed with an unknown key',
  TOKEN_ISSUER_UNAVAILABLE: 'The keys of the token issuer are unavailable',
};

/** A refused token. `description` is safe to send to the client; `detail` is for logs only. */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  /** The RFC 6750 error code of the answer. */
  readonly error: 'invalid_token' | 'temporarily_unavailable';
  readonly status: 401 | 503;
  /** Whether `description` may be shown to the caller (panva's convention: status < 500). */
  readonly expose: boolean;
  readonly description: string;

  constructor(
    readonly code: TokenVerificationErrorCode,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail === undefined ? `${code}: ${descriptions[code]}` : `${code}: ${detail}`, options);
    this.description = descriptions[code];
    this.status = code === 'TOKEN_ISSUER_UNAVAILABLE' ? 503 : 401;
    this.error = this.status === 503 ? 'temporarily_unavailable' : 'invalid_token';
    this.expose = this.status < 500;
  }
}

export const isTokenVerificationError = (error: unknown): error is TokenVerificationError =>
  error instanceof TokenVerificationError;

export interface BearerChallenge {
  /** `invalid_request`, `invalid_token`, `insufficient_scope` (RFC 6750 §3.1); none when no token was sent. */
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly description?: string;
  readonly realm?: string;
  /** The scopes the resource needs (space-separated in the header). */
  readonly scope?: readonly string[];
  /** RFC 9728 protected resource metadata URL (MCP clients discover the authorization server with it). */
  readonly resourceMetadata?: string;
}

/** Keeps only the characters RFC 6750 allows in a quoted auth-param (%x20-21 / %x23-5B / %x5D-7E). */
const quoted = (value: string): string => `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;

/**
 * The `WWW-Authenticate` value of a Bearer challenge (RFC 6750 §3): `Bearer realm="api",
 * error="invalid_token", error_description="…"`. A request without a token gets no error code.
 */
export const bearerChallenge = (challenge: BearerChallenge = {}): string => {
  const params: string[] = [];
  if (challenge.realm !== undefined) params.push(`realm=${quoted(challenge.realm)}`);
  if (challenge.error !== undefined) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.description !== undefined) params.push(`error_description=${quoted(challenge.description)}`);
  if (challenge.scope !== undefined && challenge.scope.length > 0)
    params.push(`scope=${quoted(challenge.scope.join(' '))}`);
  if (challenge.resourceMetadata !== undefined)
    params.push(`resource_metadata=${quoted(challenge.resourceMetadata)}`);
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
};

/** The challenge answering a refused token: `invalid_token` with the code's public description. */
export const wwwAuthenticateFor = (
  error: TokenVerificationError,
  options: Omit<BearerChallenge, 'error' | 'description'> = {},
): string =>
  error.status === 401
    ? bearerChallenge({ ...options, error: 'invalid_token', description: error.description })
    : bearerChallenge(options);
