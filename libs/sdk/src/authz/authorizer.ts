import { z } from 'zod';
import { assertSecureUrl, type FetchLike, readText } from '../http';
import { consoleLogger, describeError, type SdkLogger } from '../logger';
import { type VerifiedToken } from '../verification/token-verifier';

/** Who asks: a verified token, or a subject named directly (`user:usr_…`, `agent:agt_…`). */
export type AuthorizationPrincipal =
  VerifiedToken | { readonly subject: string; readonly onBehalfOf?: string; readonly orgId?: string };

/** What is asked: a permission (optionally on a resource), or a relation on an object. */
export type AuthorizationQuestion =
  | { readonly permission: string; readonly resource?: string }
  | { readonly relation: string; readonly object: string };

export type DecisionSide = 'allowed' | 'denied' | 'not_applicable';

export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Why it was refused; `authorizer_unavailable` when Mandate could not be asked (always a deny). */
  readonly reason?: string;
  /** For an agent acting for a human: what the mandate and the human's own power each said. */
  readonly mandate?: DecisionSide;
  readonly delegator?: DecisionSide;
  readonly mandateId?: string;
}

export interface AuthorizerOptions {
  readonly baseUrl: string;
  /** An organization API key. */
  readonly apiKey: string;
  readonly fetch?: FetchLike;
  /** A check that takes longer is a deny (2 s by default). */
  readonly timeoutMs?: number;
  readonly logger?: SdkLogger;
}

export interface Authorizer {
  authorize(
    principal: AuthorizationPrincipal,
    question: AuthorizationQuestion,
  ): Promise<AuthorizationDecision>;
}

const side = z.enum(['allowed', 'denied', 'not_applicable']);
export const checkResponseSchema = z.object({
  allowed: z.boolean(),
  reason: z.string().optional(),
  mandate: side.optional(),
  delegator: side.optional(),
  mandateId: z.string().optional(),
});

const isToken = (principal: AuthorizationPrincipal): principal is VerifiedToken =>
  'grantId' in principal && 'actorChain' in principal;

/** `user:` for `usr_…`, `agent:` for `agt_…`, `client:` for anything else (a client-credentials token). */
export const subjectRefOf = (id: string): string =>
  id.startsWith('usr_') ? `user:${id}` : id.startsWith('agt_') ? `agent:${id}` : `client:${id}`;

/**
 * The subject of a check for a token. An agent acting for a human is `agent:<act.sub>` on behalf of
 * `user:<sub>` — only the current actor counts; prior actors (nested `act`) grant nothing.
 */
export const checkSubjectOf = (
  token: VerifiedToken,
): { subject: string; onBehalfOf?: string; orgId: string } =>
  token.actor === null
    ? { subject: subjectRefOf(token.subject), orgId: token.orgId }
    : { subject: `agent:${token.actor}`, onBehalfOf: subjectRefOf(token.subject), orgId: token.orgId };

const unavailable: AuthorizationDecision = { allowed: false, reason: 'authorizer_unavailable' };

/**
 * Asks Mandate `POST /api/v1/authz/check`. Fails closed: a timeout, a network error, a non-2xx answer
 * or an answer that is not a decision is a deny, never an allow.
 */
export const createAuthorizer = (options: AuthorizerOptions): Authorizer => {
  const endpoint = `${assertSecureUrl(options.baseUrl, 'baseUrl').href.replace(/\/+$/, '')}/api/v1/authz/check`;
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const logger = options.logger ?? consoleLogger;
  const timeoutMs = options.timeoutMs ?? 2_000;

  const authorize = async (
    principal: AuthorizationPrincipal,
    question: AuthorizationQuestion,
  ): Promise<AuthorizationDecision> => {
    const who = isToken(principal) ? checkSubjectOf(principal) : principal;
    const body = {
      ...(who.orgId === undefined ? {} : { orgId: who.orgId }),
      subject: who.subject,
      ...(who.onBehalfOf === undefined ? {} : { onBehalfOf: who.onBehalfOf }),
      ...('permission' in question
        ? {
            permission: question.permission,
            ...(question.resource === undefined ? {} : { resource: question.resource }),
          }
        : { relation: question.relation, object: question.object }),
    };
    try {
      const response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        logger.warn(`Authorization check answered ${response.status}: denied`);
        return unavailable;
      }
      const decision = checkResponseSchema.safeParse(JSON.parse(await readText(response, 64 * 1024)));
      if (!decision.success) {
        logger.warn('Authorization check answered something that is not a decision: denied');
        return unavailable;
      }
      return decision.data.allowed === true ? decision.data : { ...decision.data, allowed: false };
    } catch (error) {
      logger.warn(`Authorization check failed: denied (${describeError(error)})`);
      return unavailable;
    }
  };

  return { authorize };
};
