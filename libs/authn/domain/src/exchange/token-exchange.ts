import { assertNever } from '@mandate/kernel';

/**
 * What an agent may get when it exchanges a subject token at the token endpoint (RFC 8693, delegation
 * semantics): the human stays the subject, the agent becomes the current actor. Signatures, issuer and
 * token types are checked by the caller; this decides on the facts it loaded. The issued token is always
 * a down-scope of everything that stands behind it: the mandate, the human's permissions now, the subject
 * token and the client's registration.
 */

/** RFC 6749 §5.2 and RFC 8693 §2.2.2 error codes. */
export type ExchangeErrorCode =
  'invalid_request' | 'invalid_grant' | 'invalid_target' | 'invalid_scope' | 'unauthorized_client';

export interface ExchangeRefusal {
  readonly ok: false;
  /** The OAuth `error` of the response. */
  readonly error: ExchangeErrorCode;
  /** The `error_description`, safe to show the client. */
  readonly description: string;
  /** Why, for audit: `tenant_mismatch`, `mandate_revoked`, `actor_chain_too_deep`, … */
  readonly reason: string;
}

export interface ExchangeDecision {
  readonly ok: true;
  /** The human the token speaks for (`sub`, a `usr_…`). */
  readonly subject: string;
  /** Current actor first, then earlier actors (`act`, then nested `act`s): `[agentId, …]`. */
  readonly actorChain: string[];
  /** Sorted, without duplicates, never empty. */
  readonly scope: string[];
  /** The one resource server the token is for (`aud`). */
  readonly audience: string;
  /** `exp`, on a whole second, never after the mandate's or the subject token's expiry. */
  readonly expiresAt: Date;
  /** The organization of client, human and mandate alike. */
  readonly orgId: string;
  /** The mandate the token rests on, or null when the subject token's `may_act` alone authorized it. */
  readonly mandateId: string | null;
}

export interface ExchangingClient {
  /** The authenticated client at the token endpoint. */
  readonly clientId: string;
  /** The organization whose token endpoint it called. */
  readonly orgId: string;
  /** The agent whose credentials these are; null when the client is not an agent's. */
  readonly agentId: string | null;
  /** False once the client is deleted. */
  readonly active: boolean;
  /** The most it may ask for. */
  readonly scopes: readonly string[];
  /** The resource servers its tokens may be for. */
  readonly audiences: readonly string[];
}

/**
 * A human's delegation to an agent. Its `permissions` are what the agent may do on the human's behalf;
 * when `resources` is not empty they hold on those resources only. The decision still returns the
 * permissions as scope: resource limits are enforced by authorization at check time, not in the token.
 */
export interface MandateFacts {
  readonly mandateId: string;
  readonly orgId: string;
  /** The delegating human. */
  readonly userId: string;
  /** The mandated agent. */
  readonly agentId: string;
  readonly permissions: readonly string[];
  /** The resources the permissions are limited to; empty means not limited. */
  readonly resources: readonly string[];
  readonly status: 'active' | 'suspended' | 'revoked';
  /** Null: until revoked. */
  readonly expiresAt: Date | null;
}

export interface HumanFacts {
  readonly userId: string;
  readonly orgId: string;
  /** `unknown`: the directory has not heard of the user. */
  readonly status: 'active' | 'inactive' | 'deleted' | 'unknown';
  /** The organization-wide permissions the human holds now. */
  readonly permissions: readonly string[];
}

/** RFC 8693 §4.1: the outermost `act` is the current actor, nested ones are earlier actors. */
export interface ActorClaim {
  readonly sub: string;
  readonly act?: ActorClaim;
}

/** The verified claims of an access token Mandate issued. */
export interface AccessTokenClaims {
  readonly iss: string;
  /** The human it speaks for. */
  readonly sub: string;
  readonly org_id: string;
  /** The client it was issued to. */
  readonly client_id: string;
  readonly aud: readonly string[];
  readonly scope: readonly string[];
  readonly exp: Date;
  /** The token family it belongs to; revoked together. */
  readonly grant_id: string;
  /** Present when an agent already acts with this token (the exchanging agent is a sub-agent). */
  readonly act?: ActorClaim;
  /** RFC 8693 §4.4: the party the human allowed to become the actor. */
  readonly may_act?: { readonly sub: string };
}

export type SubjectToken =
  | {
      /** A mandate id presented as the subject token. */
      readonly kind: 'mandate';
      /** Null: no such mandate. */
      readonly mandate: MandateFacts | null;
    }
  | {
      /** An access token Mandate issued (to this client, or to another one naming this agent in `may_act`). */
      readonly kind: 'access_token';
      readonly claims: AccessTokenClaims;
      /** False once the grant (`grant_id`) is revoked. */
      readonly grantActive: boolean;
      /** The mandate from `claims.sub` to the client's agent, if there is one. */
      readonly mandate: MandateFacts | null;
    };

export interface ExchangePolicy {
  /** The most actors a chain may hold, the exchanging agent included. */
  readonly maxActorDepth: number;
  /** The lifetime of an exchanged access token, when nothing behind it ends sooner. */
  readonly accessTokenTtlSeconds: number;
}

export const DEFAULT_EXCHANGE_POLICY: ExchangePolicy = { maxActorDepth: 3, accessTokenTtlSeconds: 300 };

export interface ExchangeInput {
  readonly client: ExchangingClient;
  readonly subjectToken: SubjectToken;
  /** The human the subject token speaks for; null when the directory does not know them. */
  readonly human: HumanFacts | null;
  /** The `scope` parameter (see `parseScope`); null when absent: as much as allowed. */
  readonly requestedScope: readonly string[] | null;
  /** The `resource` / `audience` parameter; null: the client's only audience. */
  readonly requestedAudience: string | null;
  readonly now: Date;
  readonly policy: ExchangePolicy;
}

const refuse = (error: ExchangeErrorCode, reason: string, description: string): ExchangeRefusal => ({
  ok: false,
  error,
  description,
  reason,
});

const invalidGrant = (reason: string, description: string) => refuse('invalid_grant', reason, description);

const hasEnded = (end: Date, now: Date) => end.getTime() <= now.getTime();

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The `scope` parameter as a list without duplicates; null when absent. Only an absent parameter means
 * "as much as allowed": an empty one asks for nothing (and is refused as such).
 */
export const parseScope = (value: string | undefined): string[] | null | ExchangeRefusal => {
  if (value === undefined) return null;
  const tokens = value.split(' ').filter((token) => token !== '');
  const malformed = tokens.find((token) => !SCOPE_TOKEN.test(token));
  if (malformed !== undefined) {
    return refuse('invalid_scope', 'scope_malformed', 'scope is a space-separated list of scope tokens');
  }
  return [...new Set(tokens)];
};

const actorsOf = (act: ActorClaim | undefined): string[] => {
  const actors: string[] = [];
  for (let actor = act; actor !== undefined; actor = actor.act) actors.push(actor.sub);
  return actors;
};

const mandateRefusal = (
  mandate: MandateFacts,
  agentId: string,
  subject: string,
  now: Date,
): ExchangeRefusal | null => {
  if (mandate.agentId !== agentId)
    return invalidGrant('not_the_mandated_agent', 'The mandate is for another agent');
  if (mandate.userId !== subject)
    return invalidGrant('mandate_for_other_subject', 'The mandate is from another user');
  if (mandate.status === 'revoked') return invalidGrant('mandate_revoked', 'The mandate is revoked');
  if (mandate.status === 'suspended') return invalidGrant('mandate_suspended', 'The mandate is suspended');
  if (mandate.expiresAt !== null && hasEnded(mandate.expiresAt, now))
    return invalidGrant('mandate_expired', 'The mandate has expired');
  return null;
};

/** Everything about the subject token that leads to a token, or the reason it does not. */
type Delegation =
  | ExchangeRefusal
  | {
      readonly ok: true;
      readonly subject: string;
      readonly mandate: MandateFacts | null;
      readonly earlierActors: readonly string[];
      readonly scopeCaps: readonly ScopeCap[];
      readonly ends: readonly Date[];
    };

interface ScopeCap {
  /** The audit reason when a requested scope is beyond this cap. */
  readonly reason: string;
  readonly scopes: readonly string[];
}

const mandateCap = (mandate: MandateFacts): ScopeCap => ({
  reason: 'scope_exceeds_mandate',
  scopes: mandate.permissions,
});

const endsOf = (mandate: MandateFacts | null): Date[] =>
  mandate === null || mandate.expiresAt === null ? [] : [mandate.expiresAt];

const delegationOf = (
  subjectToken: SubjectToken,
  client: ExchangingClient,
  agentId: string,
  now: Date,
): Delegation => {
  switch (subjectToken.kind) {
    case 'mandate': {
      const { mandate } = subjectToken;
      if (mandate === null) return invalidGrant('mandate_not_found', 'There is no such mandate');
      const refusal = mandateRefusal(mandate, agentId, mandate.userId, now);
      if (refusal !== null) return refusal;
      return {
        ok: true,
        subject: mandate.userId,
        mandate,
        earlierActors: [],
        scopeCaps: [mandateCap(mandate)],
        ends: endsOf(mandate),
      };
    }
    case 'access_token': {
      const { claims, mandate } = subjectToken;
      const mayAct = claims.may_act?.sub;
      if (claims.client_id !== client.clientId && mayAct !== agentId) {
        return invalidGrant(
          'subject_token_for_other_client',
          'The subject token was issued to another client and does not name this agent in may_act',
        );
      }
      if (mayAct !== undefined && mayAct !== agentId)
        return invalidGrant('may_act_names_other_agent', 'The subject token names another agent in may_act');
      if (!subjectToken.grantActive) return invalidGrant('grant_revoked', 'The subject token is revoked');
      if (hasEnded(claims.exp, now))
        return invalidGrant('subject_token_expired', 'The subject token has expired');
      if (mayAct === undefined && mandate === null) {
        return invalidGrant(
          'may_act_missing',
          'The subject token names no agent in may_act and the user has given this agent no mandate',
        );
      }
      if (mandate !== null) {
        const refusal = mandateRefusal(mandate, agentId, claims.sub, now);
        if (refusal !== null) return refusal;
      }
      const earlierActors = actorsOf(claims.act);
      // An agent exchanging a token it already acts with (for another audience, say) stays one actor.
      return {
        ok: true,
        subject: claims.sub,
        mandate,
        earlierActors: earlierActors[0] === agentId ? earlierActors.slice(1) : earlierActors,
        scopeCaps: [
          ...(mandate === null ? [] : [mandateCap(mandate)]),
          { reason: 'scope_exceeds_subject_token', scopes: claims.scope },
        ],
        ends: [claims.exp, ...endsOf(mandate)],
      };
    }
    default:
      return assertNever(subjectToken, 'Unknown subject token');
  }
};

const tenantsOf = (input: ExchangeInput): string[] => {
  const { subjectToken, human } = input;
  return [
    ...(subjectToken.mandate === null ? [] : [subjectToken.mandate.orgId]),
    ...(subjectToken.kind === 'access_token' ? [subjectToken.claims.org_id] : []),
    ...(human === null ? [] : [human.orgId]),
  ];
};

const audienceOf = (client: ExchangingClient, requested: string | null): string | ExchangeRefusal => {
  if (requested === null) {
    const [only, ...others] = client.audiences;
    if (only === undefined || others.length > 0)
      return refuse('invalid_target', 'audience_required', 'Name the resource server the token is for');
    return only;
  }
  if (!client.audiences.includes(requested))
    return refuse('invalid_target', 'audience_not_allowed', `The client may not get tokens for ${requested}`);
  return requested;
};

const scopeOf = (
  caps: readonly ScopeCap[],
  requested: readonly string[] | null,
): string[] | ExchangeRefusal => {
  const allowed = (scope: string) => caps.every((cap) => cap.scopes.includes(scope));
  if (requested === null) {
    const everything = (caps[0]?.scopes ?? []).filter(allowed);
    if (everything.length === 0)
      return refuse(
        'invalid_scope',
        'no_scope_allowed',
        'Nothing may be granted to this agent for this user',
      );
    return [...new Set(everything)].sort();
  }
  if (requested.length === 0) return refuse('invalid_scope', 'scope_empty', 'The request asks for no scope');
  const beyond = requested.filter((scope) => !allowed(scope));
  if (beyond.length > 0) {
    const exceeded = caps.find((cap) => beyond.some((scope) => !cap.scopes.includes(scope)));
    return refuse(
      'invalid_scope',
      exceeded?.reason ?? 'scope_exceeds_allowed',
      `The request asks for more than may be granted: ${beyond.join(' ')}`,
    );
  }
  return [...new Set(requested)].sort();
};

const MILLISECONDS_PER_SECOND = 1000;

/** The earliest end, rounded down to a whole second so that `exp` never outlives any of them. */
const earliest = (ends: readonly Date[]): Date => {
  const end = Math.min(...ends.map((date) => date.getTime()));
  return new Date(Math.floor(end / MILLISECONDS_PER_SECOND) * MILLISECONDS_PER_SECOND);
};

/**
 * Decide a token exchange by an agent client. Checks run from the caller outwards: the client, the
 * tenant, the subject token and its mandate, the human, then what the token is for and how long.
 */
export const decideTokenExchange = (input: ExchangeInput): ExchangeRefusal | ExchangeDecision => {
  const { client, human, now, policy } = input;
  const { agentId } = client;
  if (!client.active)
    return refuse('unauthorized_client', 'client_inactive', 'The client is no longer active');
  if (agentId === null)
    return refuse('unauthorized_client', 'not_an_agent_client', 'Only an agent exchanges tokens here');

  if (tenantsOf(input).some((orgId) => orgId !== client.orgId))
    return invalidGrant('tenant_mismatch', 'The subject token belongs to another organization');

  const delegation = delegationOf(input.subjectToken, client, agentId, now);
  if (!delegation.ok) return delegation;

  if (human === null || human.status !== 'active')
    return invalidGrant('delegator_inactive', 'The user is not active');
  if (human.userId !== delegation.subject)
    return invalidGrant('delegator_mismatch', 'The user facts are for another user');

  const actorChain = [agentId, ...delegation.earlierActors];
  if (actorChain.length > policy.maxActorDepth) {
    return invalidGrant(
      'actor_chain_too_deep',
      `A token may carry at most ${policy.maxActorDepth} actors; this one would carry ${actorChain.length}`,
    );
  }

  const audience = audienceOf(client, input.requestedAudience);
  if (typeof audience !== 'string') return audience;

  const scope = scopeOf(
    [
      ...delegation.scopeCaps,
      { reason: 'scope_exceeds_delegator', scopes: human.permissions },
      { reason: 'scope_exceeds_client', scopes: client.scopes },
    ],
    input.requestedScope,
  );
  if (!Array.isArray(scope)) return scope;

  const ttlEnd = new Date(now.getTime() + policy.accessTokenTtlSeconds * MILLISECONDS_PER_SECOND);
  return {
    ok: true,
    subject: delegation.subject,
    actorChain,
    scope,
    audience,
    expiresAt: earliest([ttlEnd, ...delegation.ends]),
    orgId: client.orgId,
    mandateId: delegation.mandate?.mandateId ?? null,
  };
};
