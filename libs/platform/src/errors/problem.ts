/**
 * The platform's own error codes, each with its one HTTP status and title. Codes are stable
 * SCREAMING_SNAKE strings prefixed `PLATFORM_`; clients branch on `code`, never on `title` or `detail`.
 * Contexts add their own codes through `DomainError` (`DIRECTORY_USER_NOT_FOUND`, …).
 */
export const PLATFORM_PROBLEMS = {
  PLATFORM_BAD_REQUEST: { status: 400, title: 'Bad request' },
  PLATFORM_VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  PLATFORM_MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  PLATFORM_IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Invalid Idempotency-Key' },
  PLATFORM_CREDENTIALS_MISSING: { status: 401, title: 'Authentication required' },
  PLATFORM_CREDENTIALS_INVALID: { status: 401, title: 'Invalid credentials' },
  PLATFORM_API_KEY_REVOKED: { status: 401, title: 'API key revoked' },
  PLATFORM_FORBIDDEN: { status: 403, title: 'Forbidden' },
  PLATFORM_ORG_NOT_FOUND: { status: 404, title: 'Organization not found' },
  PLATFORM_ADMIN_REQUIRED: { status: 403, title: 'Admin key required' },
  PLATFORM_NOT_FOUND: { status: 404, title: 'Not found' },
  PLATFORM_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PLATFORM_NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  PLATFORM_CONFLICT: { status: 409, title: 'Conflict' },
  PLATFORM_IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'Request in progress' },
  PLATFORM_GONE: { status: 410, title: 'Gone' },
  PLATFORM_PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  PLATFORM_PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  PLATFORM_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  PLATFORM_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key reused' },
  PLATFORM_UNPROCESSABLE: { status: 422, title: 'Unprocessable request' },
  PLATFORM_TOO_MANY_REQUESTS: { status: 429, title: 'Too many requests' },
  PLATFORM_CLIENT_ERROR: { status: 400, title: 'Client error' },
  PLATFORM_INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  PLATFORM_NOT_IMPLEMENTED: { status: 501, title: 'Not implemented' },
  PLATFORM_SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  PLATFORM_TIMEOUT: { status: 504, title: 'Timeout' },
} as const satisfies Record<string, { readonly status: number; readonly title: string }>;

export type PlatformErrorCode = keyof typeof PLATFORM_PROBLEMS;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * An RFC 9457 (formerly 7807) problem document. `type` is a URN naming the code, so it is stable
 * and points nowhere outside this project; `code` repeats it in the form clients switch on.
 * Extension members (`errors` for validation, `requestId`, a domain error's details) sit beside them.
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: string;
  readonly requestId?: string;
  readonly [extension: string]: unknown;
}

export const problemType = (code: string): string => `urn:mandate:problem:${code}`;

export interface ApiProblemOptions {
  /** Extension members added to the problem document (e.g. `errors`). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response headers that belong to this problem (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A refusal by the platform itself (auth, validation, idempotency, …): a registered code, a human detail. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  readonly status: number;
  readonly title: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: PlatformErrorCode,
    readonly detail: string,
    options: ApiProblemOptions = {},
  ) {
    super(detail);
    this.status = PLATFORM_PROBLEMS[code].status;
    this.title = PLATFORM_PROBLEMS[code].title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}
