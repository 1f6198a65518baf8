import { type ActorType } from '@mandate/kernel';
import {
  isJsonObject,
  type JsonObject,
  type JsonSchema,
  type SchemaViolation,
  validateJson,
} from './json-schema';

/** Who did it. The same kinds as the event envelope's actor. */
export type AuditActorType = ActorType;

export interface AuditActor {
  /**
   * `user` a human; `agent` an AI agent (acting for a human or on its own credentials); `service` a
   * backend client or an organization API key; `system` Mandate itself (cascades, schedules, the
   * bootstrap admin key); `directory` an identity provider or HRIS writing through SCIM or webhooks.
   */
  readonly type: AuditActorType;
  /** The acting principal's id: `usr_…`, `agt_…`, a client id, `api_key:<keyId>`, a directory id. */
  readonly id: string;
  /**
   * The delegation chain, outermost first: the human, then the agent, then any sub-agent; the last
   * entry is always `id`. A principal acting for itself has a chain of one.
   */
  readonly chain: readonly string[];
  /** The OAuth client the actor came through, when known. */
  readonly clientId?: string;
  /** The human an agent acts for (the chain's first entry), when the actor is a delegate. */
  readonly onBehalfOf?: string;
}

/** What the action was done to. */
export interface AuditTarget {
  /** `user`, `group`, `agent`, `client`, `grant`, `mandate`, `role`, `organization`, or an application's own type. */
  readonly type: string;
  readonly id: string;
  /** A human-readable name at the time of the action (display names change; ids do not). */
  readonly name?: string;
}

export type AuditOutcome = 'success' | 'failure';

/** Where the record came from: an identity context's events, an application through the ingest API, or the audit log itself (reads, exports). */
export type AuditSource = 'directory' | 'authn' | 'authz' | 'application' | 'audit';

export interface AuditContext {
  /** The client IP address of the request that caused the action. */
  readonly ip?: string;
  readonly userAgent?: string;
  /** The id of the HTTP request (e.g. `X-Request-Id`) that caused the action. */
  readonly requestId?: string;
  /** Shared by every record of one story (a leaver's whole cascade carries the same one). */
  readonly correlationId?: string;
  /** The id of the event or record that directly caused this one: follow it to walk a cascade back. */
  readonly causationId?: string;
  /** How the actor authenticated: `scim_token`, `hris_signature`, `api_key`, `admin_key`, `access_token`, `delegated_token`. */
  readonly authMethod?: string;
  /** The mandate (human → agent delegation) under which the action was done. */
  readonly mandateId?: string;
  /** The grant (token family) of the access token used. */
  readonly grantId?: string;
}

/** One entry of an organization's audit log. */
export interface AuditRecord {
  /** Unique and stable: for a derived record the id of the event it comes from, for an application's the id given at ingest. */
  readonly id: string;
  /** The organization whose log holds the record (`org_…`; instance-wide events use the instance pseudo-organization). */
  readonly orgId: string;
  /** The record's index in its organization's log, from 0; assigned by the log on append, so absent before. */
  readonly sequence?: number;
  /** When the action happened: ISO 8601 in UTC with milliseconds (`2026-01-31T09:15:00.000Z`). */
  readonly occurredAt: string;
  readonly actor: AuditActor;
  /** Dotted, lower case, entity then past-tense verb: `user.deactivated`, `mandate.granted`, `invoice.approved`. */
  readonly action: string;
  /** What was acted upon, most specific first. May be empty for an action on nothing in particular. */
  readonly targets: readonly AuditTarget[];
  readonly outcome: AuditOutcome;
  /** Why: the reason a failure failed, or the stated reason of the action (`terminated`, `mandate_revoked`). */
  readonly reason?: string;
  readonly context: AuditContext;
  /** The action's details, as a JSON object of at most {@link MAX_METADATA_BYTES} bytes. Never secrets. */
  readonly metadata: JsonObject;
  readonly source: AuditSource;
}

/** The largest metadata object a record may carry, measured as UTF-8 JSON. */
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_TARGETS = 100;
export const MAX_CHAIN_LENGTH = 16;

export const AUDIT_SOURCES: readonly AuditSource[] = ['directory', 'authn', 'authz', 'application', 'audit'];
export const AUDIT_ACTOR_TYPES: readonly AuditActorType[] = [
  'user',
  'agent',
  'service',
  'system',
  'directory',
];

/** `entity.verb`, lower-case words joined by dots (at least two). */
export const ACTION_PATTERN = '^[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)+$';
const ISO_INSTANT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

const identifier: JsonSchema = { type: 'string', minLength: 1, maxLength: 300 };
const text = (maxLength: number): JsonSchema => ({ type: 'string', minLength: 1, maxLength });

/** The record's shape, in the same schema language organizations use for their custom actions. */
export const AUDIT_RECORD_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'orgId',
    'occurredAt',
    'actor',
    'action',
    'targets',
    'outcome',
    'context',
    'metadata',
    'source',
  ],
  properties: {
    id: text(128),
    orgId: { type: 'string', pattern: '^org_[0-9a-z]{26}$' },
    sequence: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    occurredAt: { type: 'string', pattern: ISO_INSTANT_PATTERN },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'id', 'chain'],
      properties: {
        type: { enum: AUDIT_ACTOR_TYPES },
        id: identifier,
        chain: { type: 'array', items: identifier, maxItems: MAX_CHAIN_LENGTH },
        clientId: identifier,
        onBehalfOf: identifier,
      },
    },
    action: { type: 'string', maxLength: 128, pattern: ACTION_PATTERN },
    targets: {
      type: 'array',
      maxItems: MAX_TARGETS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id'],
        properties: { type: text(64), id: text(512), name: text(512) },
      },
    },
    outcome: { enum: ['success', 'failure'] },
    reason: text(1000),
    context: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ip: text(64),
        userAgent: text(1000),
        requestId: text(200),
        correlationId: text(200),
        causationId: text(200),
        authMethod: text(64),
        mandateId: text(200),
        grantId: text(200),
      },
    },
    metadata: { type: 'object' },
    source: { enum: AUDIT_SOURCES },
  },
};

export const utf8Length = (value: string): number => new TextEncoder().encode(value).length;

/** The metadata's size as stored: its UTF-8 JSON encoding. */
export const metadataBytes = (metadata: JsonObject): number => utf8Length(JSON.stringify(metadata));

export type AuditRecordValidation =
  | { readonly ok: true; readonly record: AuditRecord }
  | { readonly ok: false; readonly violation: SchemaViolation };

/** Checks a value read from outside (a row, an export line) is a well-formed audit record. */
export const validateAuditRecord = (value: unknown): AuditRecordValidation => {
  const refuse = (path: string, message: string): AuditRecordValidation => ({
    ok: false,
    violation: { path, message },
  });
  const violation = validateJson(AUDIT_RECORD_SCHEMA, value);
  if (violation) return { ok: false, violation };
  const record = value as AuditRecord;
  const occurredAt = new Date(record.occurredAt);
  if (Number.isNaN(occurredAt.getTime()) || occurredAt.toISOString() !== record.occurredAt)
    return refuse('/occurredAt', 'must be a real instant');
  const { chain, id, onBehalfOf } = record.actor;
  if (chain.length === 0) return refuse('/actor/chain', 'must name at least the actor');
  if (chain[chain.length - 1] !== id) return refuse('/actor/chain', 'must end with the actor itself');
  if (onBehalfOf !== undefined && chain[0] !== onBehalfOf)
    return refuse('/actor/onBehalfOf', 'must be the first entry of the chain');
  if (!isJsonObject(record.metadata)) return refuse('/metadata', 'must be object');
  if (metadataBytes(record.metadata) > MAX_METADATA_BYTES)
    return refuse('/metadata', `must be at most ${MAX_METADATA_BYTES} bytes as JSON`);
  return { ok: true, record };
};

/** The instant as the record stores it. */
export const instant = (at: Date): string => at.toISOString();
