import {
  bearerChallenge,
  type BearerChallenge,
  TokenVerificationError,
  wwwAuthenticateFor,
} from './token-verification.error';
import { missingScopes, type TokenVerifier, type VerifiedToken } from './token-verifier';

export interface BearerAuthOptions {
  /** Every one of these scopes is required (403 `insufficient_scope` otherwise). */
  readonly requiredScopes?: readonly string[];
  readonly realm?: string;
  /** RFC 9728 protected resource metadata URL, advertised in every challenge. */
  readonly resourceMetadata?: string;
  /**
   * Refuse every token (503) while the verifier's revocation list is not connected to its feed: fail
   * closed instead of accepting tokens whose revocation may not have arrived yet. Off by default.
   */
  readonly requireConnectedRevocations?: boolean;
}

/** The outcome of authenticating one request: the token, or the answer to send (RFC 6750 §3). */
export type BearerAuthResult =
  | { readonly ok: true; readonly token: VerifiedToken }
  | {
      readonly ok: false;
      readonly status: 400 | 401 | 403 | 503;
      readonly wwwAuthenticate: string;
      readonly body: { readonly error: string; readonly error_description?: string };
    };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Authenticates an `Authorization` header value: no Bearer credentials → 401 with a bare challenge;
 * a malformed one → 400 `invalid_request`; a refused token → 401 `invalid_token`; missing scopes →
 * 403 `insufficient_scope`; issuer keys (or, when required, the revocation feed) unavailable → 503.
 */
export const authenticateBearer = async (
  verifier: TokenVerifier,
  authorization: string | readonly string[] | undefined,
  options: BearerAuthOptions = {},
): Promise<BearerAuthResult> => {
  const base: BearerChallenge = {
    ...(options.realm === undefined ? {} : { realm: options.realm }),
    ...(options.resourceMetadata === undefined ? {} : { resourceMetadata: options.resourceMetadata }),
  };
  const required = options.requiredScopes ?? [];
  const header = typeof authorization === 'string' ? authorization : undefined;
  if (authorization === undefined || (header !== undefined && !/^bearer( |$)/i.test(header)))
    return {
      ok: false,
      status: 401,
      wwwAuthenticate: bearerChallenge({ ...base, ...(required.length > 0 ? { scope: required } : {}) }),
      body: { error: 'invalid_token', error_description: 'An access token is required' },
    };
  const match = header === undefined ? null : BEARER.exec(header);
  if (match === null) {
    const description = 'The Authorization header is not one Bearer token';
    return {
      ok: false,
      status: 400,
      wwwAuthenticate: bearerChallenge({ ...base, error: 'invalid_request', description }),
      body: { error: 'invalid_request', error_description: description },
    };
  }
  if (options.requireConnectedRevocations && verifier.revocations?.connected === false)
    return {
      ok: false,
      status: 503,
      wwwAuthenticate: bearerChallenge(base),
      body: { error: 'temporarily_unavailable', error_description: 'Revocations cannot be checked now' },
    };
  let token: VerifiedToken;
  try {
    token = await verifier.verify(match[1]!);
  } catch (error) {
    if (!(error instanceof TokenVerificationError)) throw error;
    return {
      ok: false,
      status: error.status,
      wwwAuthenticate: wwwAuthenticateFor(error, base),
      body: { error: error.error, error_description: error.description },
    };
  }
  const missing = missingScopes(token, required);
  if (missing.length > 0) {
    const description = `The access token lacks the scope ${missing.join(' ')}`;
    return {
      ok: false,
      status: 403,
      wwwAuthenticate: bearerChallenge({
        ...base,
        error: 'insufficient_scope',
        description,
        scope: required,
      }),
      body: { error: 'insufficient_scope', error_description: description },
    };
  }
  return { ok: true, token };
};
