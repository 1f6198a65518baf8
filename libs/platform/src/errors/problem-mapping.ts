import { HttpException } from '@nestjs/common';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { DomainError, type DomainErrorKind } from '@mandate/kernel';
import {
  ApiProblem,
  PLATFORM_PROBLEMS,
  type PlatformErrorCode,
  type ProblemDetails,
  problemType,
} from './problem';

/** A rendered problem: what the exception filter sends, and what an idempotent request stores. */
export interface ProblemResponse {
  readonly status: number;
  readonly body: ProblemDetails;
  readonly headers: Readonly<Record<string, string>>;
  /** True when nothing anticipated the error: it is logged with its stack, and its details are not shown. */
  readonly unexpected: boolean;
}

export interface ProblemContext {
  /** The request path the problem occurred on. */
  readonly instance?: string;
  readonly requestId?: string;
}

const domainStatus: Record<DomainErrorKind, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  forbidden: { status: 403, title: 'Forbidden' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
};

const httpStatusCodes: Readonly<Record<number, PlatformErrorCode>> = {
  400: 'PLATFORM_BAD_REQUEST',
  401: 'PLATFORM_CREDENTIALS_INVALID',
  403: 'PLATFORM_FORBIDDEN',
  404: 'PLATFORM_NOT_FOUND',
  405: 'PLATFORM_METHOD_NOT_ALLOWED',
  406: 'PLATFORM_NOT_ACCEPTABLE',
  409: 'PLATFORM_CONFLICT',
  410: 'PLATFORM_GONE',
  412: 'PLATFORM_PRECONDITION_FAILED',
  413: 'PLATFORM_PAYLOAD_TOO_LARGE',
  415: 'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
  422: 'PLATFORM_UNPROCESSABLE',
  429: 'PLATFORM_TOO_MANY_REQUESTS',
  501: 'PLATFORM_NOT_IMPLEMENTED',
  503: 'PLATFORM_SERVICE_UNAVAILABLE',
  504: 'PLATFORM_TIMEOUT',
};

/** Errors body-parser (via http-errors) raises before any route runs, by their `type`. */
const bodyParserCodes: Readonly<Record<string, PlatformErrorCode>> = {
  'entity.parse.failed': 'PLATFORM_MALFORMED_JSON',
  'entity.too.large': 'PLATFORM_PAYLOAD_TOO_LARGE',
  'parameters.too.many': 'PLATFORM_PAYLOAD_TOO_LARGE',
  'encoding.unsupported': 'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'PLATFORM_BAD_REQUEST',
  'request.size.invalid': 'PLATFORM_BAD_REQUEST',
};

const bodyParserDetails: Partial<Record<PlatformErrorCode, string>> = {
  PLATFORM_MALFORMED_JSON: 'The request body is not valid JSON.',
  PLATFORM_PAYLOAD_TOO_LARGE: 'The request body is too large.',
};

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId']);

const UNAUTHENTICATED = 'Bearer realm="mandate"';

interface BodyParserError {
  readonly type: string;
  readonly status: number;
  readonly expose: boolean;
  readonly message: string;
}

const isBodyParserError = (error: unknown): error is BodyParserError =>
  error instanceof Error &&
  typeof (error as Partial<BodyParserError>).type === 'string' &&
  typeof (error as Partial<BodyParserError>).status === 'number' &&
  typeof (error as Partial<BodyParserError>).expose === 'boolean';

const httpExceptionDetail = (exception: HttpException): string => {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return exception.message;
};

const build = (
  status: number,
  code: string,
  title: string,
  detail: string,
  context: ProblemContext,
  extensions: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {},
  unexpected = false,
): ProblemResponse => ({
  status,
  body: {
    ...Object.fromEntries(Object.entries(extensions).filter(([name]) => !RESERVED.has(name))),
    type: problemType(code),
    title,
    status,
    detail,
    ...(context.instance !== undefined && { instance: context.instance }),
    code,
    ...(context.requestId !== undefined && { requestId: context.requestId }),
  },
  headers:
    status === 401 && !headers['WWW-Authenticate']
      ? { ...headers, 'WWW-Authenticate': UNAUTHENTICATED }
      : headers,
  unexpected,
});

const registered = (code: PlatformErrorCode, detail: string, context: ProblemContext): ProblemResponse =>
  build(PLATFORM_PROBLEMS[code].status, code, PLATFORM_PROBLEMS[code].title, detail, context);

/**
 * Maps anything thrown while handling a request to its problem document — the one place where errors
 * meet HTTP statuses. Anticipated errors keep their detail; anything else becomes a 500 that says
 * nothing about the internals (the caller logs it with the request id).
 */
export const toProblem = (error: unknown, context: ProblemContext = {}): ProblemResponse => {
  if (error instanceof ApiProblem) {
    return build(
      error.status,
      error.code,
      error.title,
      error.detail,
      context,
      error.extensions,
      error.headers,
    );
  }
  if (error instanceof DomainError) {
    const { status, title } = domainStatus[error.kind];
    return build(status, error.code, title, error.message, context, error.details);
  }
  if (error instanceof WrongExpectedRevisionError) {
    return build(
      409,
      error.code,
      'Concurrent modification',
      'The resource was changed by another request; reload it and try again.',
      context,
    );
  }
  // Nest's Express adapter wraps body-parser errors in an HttpException; their `type` says more.
  const bodyError = error instanceof HttpException && isBodyParserError(error.cause) ? error.cause : error;
  if (isBodyParserError(bodyError) && bodyError.status < 500) {
    const code =
      bodyParserCodes[bodyError.type] ?? httpStatusCodes[bodyError.status] ?? 'PLATFORM_CLIENT_ERROR';
    const detail =
      bodyParserDetails[code] ?? (bodyError.expose ? bodyError.message : 'The request could not be read.');
    return build(bodyError.status, code, PLATFORM_PROBLEMS[code].title, detail, context);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      httpStatusCodes[status] ?? (status < 500 ? 'PLATFORM_CLIENT_ERROR' : 'PLATFORM_INTERNAL_ERROR');
    const detail = status < 500 ? httpExceptionDetail(error) : 'The server could not complete the request.';
    return build(status, code, PLATFORM_PROBLEMS[code].title, detail, context, {}, {}, status >= 500);
  }
  return {
    ...registered('PLATFORM_INTERNAL_ERROR', 'The server could not complete the request.', context),
    unexpected: true,
  };
};
