import {
  ACTION_PATTERN,
  type AuditActor,
  type AuditActorType,
  type AuditContext,
  type AuditRecord,
  type AuditTarget,
  instant,
  MAX_CHAIN_LENGTH,
  MAX_TARGETS,
  validateAuditRecord,
} from './audit-record';
import { type JsonObject, type JsonSchema, type SchemaViolation, validateJson } from './json-schema';
import { jsonObject } from './metadata';

/** One level of an RFC 8693 `act` claim: the current actor, and (nested) the actor before it. */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/** The claims of a verified Mandate access token that say who is calling. */
export interface AccessTokenClaims {
  readonly sub: string;
  readonly org_id: string;
  readonly client_id?: string;
  readonly act?: ActClaim;
  readonly mandate_id?: string;
  readonly grant_id?: string;
}

/** What the ingest endpoint hands over: the untrusted body, and what it knows itself. */
export interface ApplicationEventSubmission {
  /** The record's id, chosen by the ingest (stable per idempotency key, so a retry gives the same record). */
  readonly recordId: string;
  readonly receivedAt: Date;
  /** The request body, as parsed JSON: never trusted for who acted. */
  readonly body: unknown;
  /** What the ingest request itself carried; the body's `context` takes precedence (it describes the end user). */
  readonly request?: Pick<AuditContext, 'ip' | 'userAgent' | 'requestId'>;
}

/** The shape an application's event must have, whatever its action. */
export interface ApplicationEventBody {
  readonly action: string;
  readonly targets?: readonly AuditTarget[];
  readonly outcome?: 'success' | 'failure';
  readonly reason?: string;
  /** When the action happened, if not now (ISO 8601). */
  readonly occurredAt?: string;
  readonly metadata?: JsonObject;
  readonly context?: Pick<AuditContext, 'ip' | 'userAgent' | 'requestId' | 'correlationId' | 'causationId'>;
  /** Who the application says acted. Recorded only when it differs from the token's actor, as a claim. */
  readonly actor?: { readonly type?: string; readonly id: string };
}

const short = (maxLength: number): JsonSchema => ({ type: 'string', minLength: 1, maxLength });

export const APPLICATION_EVENT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    action: { type: 'string', maxLength: 128, pattern: ACTION_PATTERN },
    targets: {
      type: 'array',
      maxItems: MAX_TARGETS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id'],
        properties: { type: short(64), id: short(512), name: short(512) },
      },
    },
    outcome: { enum: ['success', 'failure'] },
    reason: short(1000),
    occurredAt: {
      type: 'string',
      maxLength: 40,
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
    },
    metadata: { type: 'object' },
    context: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ip: short(64),
        userAgent: short(1000),
        requestId: short(200),
        correlationId: short(200),
        causationId: short(200),
      },
    },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { type: short(32), id: short(300) },
    },
  },
};

/** Metadata members the ingest writes itself; a body may not set them. */
const RESERVED_METADATA = ['claimedActor', 'actorMismatch'] as const;

/** Why an ingest is refused (both answer 422 with the failing path). */
export type ApplicationEventRefusalCode = 'AUDIT_EVENT_INVALID' | 'AUDIT_ACTION_SCHEMA_VIOLATION';

export type ApplicationRecordResult =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly code: ApplicationEventRefusalCode; readonly violation: SchemaViolation };

/** The actors of an `act` claim, current first (as the token nests them). */
const delegatesOf = (act: ActClaim | undefined): string[] => {
  const delegates: string[] = [];
  for (let level = act; level !== undefined && delegates.length < MAX_CHAIN_LENGTH - 1; level = level.act) {
    if (typeof level !== 'object' || level === null || typeof level.sub !== 'string' || level.sub === '')
      break;
    delegates.push(level.sub);
  }
  return delegates;
};

const principalKind = (id: string): AuditActorType =>
  id.startsWith('usr_') ? 'user' : id.startsWith('agt_') ? 'agent' : 'service';

/**
 * Who a verified access token says is acting. `sub` is whom the token is for; each `act` level an
 * agent acting for it, current first. The chain runs outermost first: the human, then the agent,
 * then the sub-agent, ending with the actor itself.
 */
export const actorFromClaims = (claims: AccessTokenClaims): AuditActor => {
  const delegates = delegatesOf(claims.act);
  const clientId = claims.client_id ? { clientId: claims.client_id } : {};
  if (delegates.length === 0)
    return { type: principalKind(claims.sub), id: claims.sub, chain: [claims.sub], ...clientId };
  const chain = [claims.sub, ...delegates.reverse()];
  return { type: 'agent', id: chain[chain.length - 1]!, chain, ...clientId, onBehalfOf: claims.sub };
};

const invalid = (violation: SchemaViolation): ApplicationRecordResult => ({
  ok: false,
  code: 'AUDIT_EVENT_INVALID',
  violation,
});

/**
 * The audit record of an action an application reports. The organization, the actor and its chain,
 * the client, the mandate and the grant come from the verified token, never from the body; a body
 * naming another actor is kept as `metadata.claimedActor` with `metadata.actorMismatch: true`.
 * `actionSchemaFor` gives the organization's schema for the action, if it registered one: the whole
 * body is validated against it, and a violation names the failing path (`/metadata/amount`).
 */
export const applicationRecord = (
  submission: ApplicationEventSubmission,
  claims: AccessTokenClaims,
  actionSchemaFor: (action: string) => JsonSchema | undefined = () => undefined,
): ApplicationRecordResult => {
  const shapeViolation = validateJson(APPLICATION_EVENT_SCHEMA, submission.body);
  if (shapeViolation) return invalid(shapeViolation);
  const body = submission.body as ApplicationEventBody;
  for (const reserved of RESERVED_METADATA)
    if (body.metadata && reserved in body.metadata)
      return invalid({ path: `/metadata/${reserved}`, message: 'is reserved for the audit log' });
  if (body.occurredAt !== undefined && Number.isNaN(Date.parse(body.occurredAt)))
    return invalid({ path: '/occurredAt', message: 'must be a real instant' });

  const actionSchema = actionSchemaFor(body.action);
  if (actionSchema) {
    const violation = validateJson(actionSchema, body);
    if (violation) return { ok: false, code: 'AUDIT_ACTION_SCHEMA_VIOLATION', violation };
  }

  const actor = actorFromClaims(claims);
  const claimed = body.actor;
  const mismatch =
    claimed !== undefined && (claimed.id !== actor.id || (claimed.type ?? actor.type) !== actor.type);
  const metadata = jsonObject({
    ...body.metadata,
    ...(mismatch && {
      claimedActor: jsonObject({ type: claimed.type, id: claimed.id }),
      actorMismatch: true,
    }),
  });
  const context = jsonObject({
    ip: body.context?.ip ?? submission.request?.ip,
    userAgent: body.context?.userAgent ?? submission.request?.userAgent,
    requestId: body.context?.requestId ?? submission.request?.requestId,
    correlationId: body.context?.correlationId,
    causationId: body.context?.causationId,
    authMethod: claims.act ? 'delegated_token' : 'access_token',
    mandateId: claims.mandate_id,
    grantId: claims.grant_id,
  }) as AuditContext;

  const record: AuditRecord = {
    id: submission.recordId,
    orgId: claims.org_id,
    occurredAt: instant(body.occurredAt === undefined ? submission.receivedAt : new Date(body.occurredAt)),
    actor,
    action: body.action,
    targets: body.targets ?? [],
    outcome: body.outcome ?? 'success',
    ...(body.reason !== undefined && { reason: body.reason }),
    context,
    metadata,
    source: 'application',
  };
  const checked = validateAuditRecord(record);
  return checked.ok ? checked : invalid(checked.violation);
};
