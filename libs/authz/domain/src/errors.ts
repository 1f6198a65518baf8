import { DomainError } from '@mandate/kernel';

/** Stable error codes of the authorization engine. */
export type AuthzErrorCode =
  'AUTHZ_MODEL_INVALID' | 'AUTHZ_TUPLE_INVALID' | 'AUTHZ_REQUEST_INVALID' | 'AUTHZ_DSL_INVALID';

/** One fault found in a model, a tuple or a request: where it is (a dotted path) and what is wrong. */
export interface AuthzProblem {
  readonly path: string;
  readonly message: string;
}

export const authzError = (
  code: AuthzErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): DomainError => new DomainError('invalid', code, message, details);
