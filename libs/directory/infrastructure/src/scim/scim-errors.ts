import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { DomainError } from '@mandate/kernel';
import { ApiProblem, type ForeignErrorResponse } from '@mandate/platform';
import { ScimError } from '@mandate/scim';
import { HttpException } from '@nestjs/common';
import { ReservationTakenError } from '../persistence/reservations';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Errors body-parser raises before any route runs, by their `type`. */
const bodyParserErrors: Readonly<Record<string, ScimError>> = {
  'entity.parse.failed': new ScimError(400, 'invalidSyntax', 'The request body is not valid JSON'),
  'entity.too.large': new ScimError(
    413,
    undefined,
    'The request body is larger than this server accepts (1 MB)',
  ),
  'encoding.unsupported': new ScimError(415, undefined, 'Unsupported content encoding'),
  'charset.unsupported': new ScimError(415, undefined, 'Unsupported charset'),
};

/** Any error of a SCIM request as RFC 7644 §3.12 wants it: `status` as a string, `scimType` when one fits. */
export const toScimError = (error: unknown): ScimError => {
  if (error instanceof ScimError) return error;
  if (error instanceof ReservationTakenError) {
    return new ScimError(409, 'uniqueness', `${error.message}${scopeHint(error.reservation.scope)}`);
  }
  if (error instanceof ApiProblem) return new ScimError(error.status, undefined, error.detail);
  if (error instanceof WrongExpectedRevisionError) {
    return new ScimError(412, undefined, 'The resource changed since the version in If-Match');
  }
  if (error instanceof DomainError) {
    switch (error.kind) {
      case 'not_found':
        return new ScimError(404, undefined, error.message);
      case 'conflict':
        return new ScimError(409, error.code.endsWith('_EXISTS') ? 'uniqueness' : undefined, error.message);
      case 'invalid':
        return new ScimError(400, 'invalidValue', error.message);
      case 'precondition_failed':
        return new ScimError(400, 'invalidValue', error.message);
      case 'forbidden':
        return new ScimError(403, undefined, error.message);
    }
  }
  // Nest's Express adapter wraps body-parser errors in an HttpException; the cause's `type` says which.
  const cause: unknown = error instanceof HttpException ? (error.cause ?? error) : error;
  const type = (cause as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && bodyParserErrors[type]) return bodyParserErrors[type];
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return new ScimError(status, undefined, status === 404 ? 'No such SCIM endpoint' : error.message);
  }
  return new ScimError(500, undefined, 'The server failed to handle the request');
};

const scopeHint = (scope: string): string =>
  scope.endsWith(':userName')
    ? ' (userName is unique in the directory, case-insensitively)'
    : scope.endsWith('.externalId')
      ? ' (externalId is unique in the directory)'
      : scope.endsWith('group.displayName')
        ? ' (group displayName is unique in the directory)'
        : '';

export const renderScimError = (error: unknown): ForeignErrorResponse => {
  const scim = toScimError(error);
  return {
    status: scim.status,
    contentType: SCIM_CONTENT_TYPE,
    body: JSON.stringify(scim.toScimErrorBody()),
    headers: {
      ...(scim.status === 401 && { 'WWW-Authenticate': 'Bearer realm="mandate-scim"' }),
      ...(error instanceof ApiProblem && error.headers),
    },
  };
};
