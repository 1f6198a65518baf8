import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';

/** Why an upstream OIDC login or connection check failed; stable, recorded in `authn.login.failed`. */
export type OidcFailureReason =
  // discovery and the connection itself
  | 'oidc_discovery_failed'
  | 'oidc_discovery_issuer_mismatch'
  | 'oidc_insecure_endpoint'
  | 'oidc_jwks_unusable'
  | 'oidc_idp_unreachable'
  // the authorization response (the callback)
  | 'oidc_idp_error'
  | 'oidc_missing_state'
  | 'oidc_state_mismatch'
  | 'oidc_issuer_mixup'
  | 'oidc_invalid_callback'
  // the token request
  | 'oidc_pkce_failed'
  | 'oidc_code_rejected'
  | 'oidc_client_auth_failed'
  | 'oidc_token_request_failed'
  // the ID token
  | 'oidc_missing_id_token'
  | 'oidc_invalid_id_token'
  | 'oidc_invalid_issuer'
  | 'oidc_invalid_audience'
  | 'oidc_invalid_nonce'
  | 'oidc_missing_subject'
  | 'oidc_token_expired'
  | 'oidc_token_not_yet_valid'
  | 'oidc_invalid_signature'
  | 'oidc_unsigned_token'
  | 'oidc_missing_identity_claims'
  // UserInfo
  | 'oidc_userinfo_subject_mismatch'
  | 'oidc_userinfo_failed';

/** A refused upstream login: no session, no identity — only a reason and a message fit for the audit log. */
export class OidcLoginError extends Error {
  override readonly name = 'OidcLoginError';

  constructor(
    readonly reason: OidcFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Which step failed; the same library error means different things at different steps. */
export type OidcStep = 'discovery' | 'callback' | 'userinfo';

interface ErrorDetails {
  readonly code?: string;
  readonly claim?: string;
  readonly attribute?: string;
  readonly alg?: string;
}

/** The innermost library error and the details (claim, attribute, JOSE header) its causes carry. */
const unwrap = (error: unknown): { error: unknown; messages: string[]; details: ErrorDetails } => {
  const messages: string[] = [];
  const details: { code?: string; claim?: string; attribute?: string; alg?: string } = {};
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof Error) {
      messages.push(current.message);
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') details.code ??= code;
      if (
        current instanceof ResponseBodyError ||
        current instanceof AuthorizationResponseError ||
        current instanceof WWWAuthenticateChallengeError
      ) {
        return { error: current, messages, details };
      }
      current = current.cause;
      continue;
    }
    if (typeof current === 'object') {
      const record = current as Record<string, unknown>;
      if (typeof record['claim'] === 'string') details.claim ??= record['claim'];
      if (typeof record['attribute'] === 'string') details.attribute ??= record['attribute'];
      const header = record['header'] as { alg?: unknown } | undefined;
      if (typeof header?.alg === 'string') details.alg ??= header.alg;
      if (typeof record['alg'] === 'string') details.alg ??= record['alg'];
    }
    break;
  }
  return { error: current instanceof Error ? current : error, messages, details };
};

const describe = (error: { error: string; error_description?: string | undefined }): string =>
  error.error_description ? `${error.error}: ${error.error_description}` : error.error;

const ID_TOKEN_CLAIM_REASONS: Readonly<Record<string, OidcFailureReason>> = {
  iss: 'oidc_invalid_issuer',
  aud: 'oidc_invalid_audience',
  azp: 'oidc_invalid_audience',
  nonce: 'oidc_invalid_nonce',
  sub: 'oidc_missing_subject',
};

const idTokenClaimReason = (claim: string | undefined): OidcFailureReason =>
  (claim !== undefined ? ID_TOKEN_CLAIM_REASONS[claim] : undefined) ?? 'oidc_invalid_id_token';

const tokenEndpointError = (error: ResponseBodyError): OidcLoginError => {
  const summary = describe(error);
  switch (error.error) {
    case 'invalid_grant':
      // Providers differ in how much they say; name PKCE when they do.
      return /pkce|code_verifier|code verifier/i.test(error.error_description ?? '')
        ? new OidcLoginError('oidc_pkce_failed', `the IdP refused the PKCE code verifier (${summary})`, {
            cause: error,
          })
        : new OidcLoginError(
            'oidc_code_rejected',
            `the IdP refused the authorization code: expired, already used, or not bound to this login's PKCE verifier (${summary})`,
            { cause: error },
          );
    case 'invalid_client':
    case 'unauthorized_client':
      return new OidcLoginError(
        'oidc_client_auth_failed',
        `the IdP refused Mandate's client credentials (${summary})`,
        {
          cause: error,
        },
      );
    default:
      return new OidcLoginError(
        'oidc_token_request_failed',
        `the IdP's token endpoint refused the request (${summary})`,
        {
          cause: error,
        },
      );
  }
};

/** The authorization-response checks (RFC 9207 `iss`, `state`) tell their failure only by message. */
const callbackParameterReason = (message: string): OidcFailureReason | null => {
  if (
    message.includes('"iss" (issuer) missing') ||
    message.includes('unexpected "iss" (issuer) response parameter')
  )
    return 'oidc_issuer_mixup';
  if (message.includes('parameter "state" missing')) return 'oidc_missing_state';
  if (message.includes('"state" response parameter')) return 'oidc_state_mismatch';
  if (message.includes('no authorization code')) return 'oidc_invalid_callback';
  if (message.includes('parameter must be provided only once')) return 'oidc_invalid_callback';
  return null;
};

const CALLBACK_MESSAGES: Partial<Record<OidcFailureReason, string>> = {
  oidc_issuer_mixup:
    'the callback does not carry this IdP as its issuer (RFC 9207 iss missing or from another IdP): possible mix-up attack',
  oidc_missing_state: 'the callback has no state parameter',
  oidc_state_mismatch: 'the callback state does not match this login',
  oidc_invalid_callback: 'the callback is malformed (no single authorization code)',
};

/**
 * Maps an openid-client / oauth4webapi / network error to a stable reason. Errors the RP raises
 * itself are already `OidcLoginError`s and pass through.
 */
export const toOidcLoginError = (step: OidcStep, thrown: unknown): OidcLoginError => {
  if (thrown instanceof OidcLoginError) return thrown;
  const { error, messages, details } = unwrap(thrown);
  const text = messages.join(': ') || String(thrown);

  if (error instanceof AuthorizationResponseError) {
    return new OidcLoginError(
      'oidc_idp_error',
      `the IdP returned an error to the callback (${describe(error)})`,
      {
        cause: thrown,
      },
    );
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    const challenge = error.cause[0]?.parameters;
    const summary = describe({
      error: challenge?.error ?? `HTTP ${error.status}`,
      error_description: challenge?.error_description,
    });
    return step === 'userinfo'
      ? new OidcLoginError(
          'oidc_userinfo_failed',
          `the IdP's UserInfo endpoint refused the access token (${summary})`,
          {
            cause: thrown,
          },
        )
      : new OidcLoginError(
          'oidc_client_auth_failed',
          `the IdP refused Mandate's client credentials (${summary})`,
          {
            cause: thrown,
          },
        );
  }
  if (error instanceof ResponseBodyError) {
    if (step === 'userinfo') {
      return new OidcLoginError(
        'oidc_userinfo_failed',
        `the IdP's UserInfo endpoint refused (${describe(error)})`,
        {
          cause: thrown,
        },
      );
    }
    return tokenEndpointError(error);
  }
  if (
    details.code === 'OAUTH_TIMEOUT' ||
    details.code === 'OAUTH_ABORT' ||
    /fetch failed|ECONNREFUSED/i.test(text)
  ) {
    return new OidcLoginError(
      step === 'discovery' ? 'oidc_discovery_failed' : 'oidc_idp_unreachable',
      `the IdP could not be reached (${text})`,
      { cause: thrown },
    );
  }
  if (
    details.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' ||
    details.code === 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN'
  ) {
    return new OidcLoginError('oidc_insecure_endpoint', `the IdP advertises a non-https endpoint (${text})`, {
      cause: thrown,
    });
  }
  if (step === 'discovery') {
    if (details.attribute === 'issuer') {
      return new OidcLoginError(
        'oidc_discovery_issuer_mismatch',
        `the discovery document names another issuer than the one configured (${text})`,
        { cause: thrown },
      );
    }
    return new OidcLoginError('oidc_discovery_failed', `OpenID Provider discovery failed (${text})`, {
      cause: thrown,
    });
  }
  if (step === 'userinfo') {
    if (details.attribute === 'sub') {
      return new OidcLoginError(
        'oidc_userinfo_subject_mismatch',
        "the UserInfo response is about another subject than the ID token's",
        { cause: thrown },
      );
    }
    return new OidcLoginError('oidc_userinfo_failed', `the UserInfo response was refused (${text})`, {
      cause: thrown,
    });
  }

  const callbackReason = callbackParameterReason(text);
  if (callbackReason !== null) {
    return new OidcLoginError(callbackReason, CALLBACK_MESSAGES[callbackReason] ?? text, { cause: thrown });
  }
  if (details.alg !== undefined && details.alg.toLowerCase() === 'none') {
    return new OidcLoginError('oidc_unsigned_token', 'the ID token is not signed (alg "none")', {
      cause: thrown,
    });
  }
  if (details.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') {
    return details.claim === 'exp'
      ? new OidcLoginError('oidc_token_expired', 'the ID token has expired (beyond the clock tolerance)', {
          cause: thrown,
        })
      : new OidcLoginError(
          'oidc_token_not_yet_valid',
          `the ID token is not valid yet (${details.claim ?? 'timestamp'} beyond the clock tolerance)`,
          { cause: thrown },
        );
  }
  // A missing or mistyped claim is named only in the message: `JWT "sub" (subject) claim missing`.
  const claimProblem = /JWT "(\w+)" \([^)]*\) claim (?:missing|type)/.exec(text);
  if (details.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || claimProblem !== null) {
    const reason = idTokenClaimReason(details.claim ?? claimProblem?.[1]);
    return new OidcLoginError(reason, `the ID token was refused: ${messages.at(-1) ?? text}`, {
      cause: thrown,
    });
  }
  if (text.includes('does not contain an ID Token') || text.includes('"id_token" property')) {
    return new OidcLoginError('oidc_missing_id_token', 'the token response has no ID token', {
      cause: thrown,
    });
  }
  if (text.includes('"alg" header parameter') || text.includes('unsupported JWS')) {
    return new OidcLoginError(
      'oidc_invalid_signature',
      `the ID token is signed with an algorithm this connection does not accept (${details.alg ?? 'unknown'})`,
      { cause: thrown },
    );
  }
  if (details.code === 'OAUTH_KEY_SELECTION_FAILED' || text.includes('signature verification failed')) {
    return new OidcLoginError(
      'oidc_invalid_signature',
      'the ID token signature does not verify with the IdP keys',
      {
        cause: thrown,
      },
    );
  }
  if (thrown instanceof ClientError || thrown instanceof TypeError) {
    return new OidcLoginError('oidc_invalid_id_token', `the IdP response was refused (${text})`, {
      cause: thrown,
    });
  }
  return new OidcLoginError('oidc_token_request_failed', `the upstream login failed (${text})`, {
    cause: thrown,
  });
};
