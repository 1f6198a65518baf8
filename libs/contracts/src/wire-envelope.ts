import {
  type Actor,
  type ActorType,
  formatPosition,
  parsePosition,
  type RecordedEvent,
} from '@mandate/kernel';
import { z } from 'zod';
import { describeIssues, violation, type WireResult } from './contract-violation';
import { type IntegrationEventRegistry, integrationEvents } from './integration-events';
import { contextOf } from './topics';

export const ACTOR_TYPES = [
  'user',
  'agent',
  'service',
  'system',
  'directory',
] as const satisfies readonly ActorType[];

const actorSchema = z.object({
  type: z.enum(ACTOR_TYPES),
  id: z.string().min(1),
  onBehalfOf: z.string().min(1).optional(),
  via: z.string().min(1).optional(),
});

/** The JSON form of a RecordedEvent on the wire (ARCHITECTURE §2): the value of every Kafka message. */
export const wireEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().refine((type) => contextOf(type) !== null, 'must start with a known context'),
  schemaVersion: z.int().min(1),
  orgId: z.string().min(1),
  stream: z.string().min(1),
  streamRevision: z.int().min(0),
  position: z.string().refine((token) => parsePosition(token) !== null, 'must be a position token'),
  occurredAt: z.iso.datetime({ offset: true }),
  actor: actorSchema,
  causationId: z.string().min(1).nullable(),
  correlationId: z.string().min(1),
  data: z.json(),
});

export type WireEnvelope = z.infer<typeof wireEnvelopeSchema>;

// Fails to compile when the kernel gains an actor type the wire format does not know.
const everyActorTypeIsOnTheWire: Exclude<ActorType, (typeof ACTOR_TYPES)[number]> extends never
  ? true
  : false = true;
void everyActorTypeIsOnTheWire;

export const toWireEnvelope = (event: RecordedEvent): WireEnvelope => ({
  id: event.id,
  type: event.type,
  schemaVersion: event.schemaVersion,
  orgId: event.orgId,
  stream: event.stream,
  streamRevision: event.streamRevision,
  position: formatPosition(event.position),
  occurredAt: event.occurredAt.toISOString(),
  actor: toWireActor(event.actor),
  causationId: event.causationId,
  correlationId: event.correlationId,
  data: event.data as WireEnvelope['data'],
});

const toWireActor = (actor: Actor): WireEnvelope['actor'] => ({
  type: actor.type,
  id: actor.id,
  ...(actor.onBehalfOf === undefined ? {} : { onBehalfOf: actor.onBehalfOf }),
  ...(actor.via === undefined ? {} : { via: actor.via }),
});

/**
 * Validates a parsed JSON value as an envelope, then its data against the registered schema of
 * its (type, schemaVersion); data of an unknown pair passes through as it is.
 */
export const fromWireEnvelope = (
  json: unknown,
  registry: IntegrationEventRegistry = integrationEvents,
): WireResult<RecordedEvent> => {
  const envelope = wireEnvelopeSchema.safeParse(json);
  if (!envelope.success)
    return violation('CONTRACTS_INVALID_ENVELOPE', describeIssues(envelope.error.issues));
  const wire = envelope.data;
  const validation = registry.validate(wire.type, wire.schemaVersion, wire.data);
  if (validation.status === 'invalid') return violation('CONTRACTS_INVALID_DATA', validation.issues);
  return {
    ok: true,
    value: {
      id: wire.id,
      type: wire.type,
      schemaVersion: wire.schemaVersion,
      orgId: wire.orgId,
      stream: wire.stream,
      streamRevision: wire.streamRevision,
      // Checked by the schema above.
      position: parsePosition(wire.position)!,
      occurredAt: new Date(wire.occurredAt),
      actor: toWireActor(wire.actor),
      causationId: wire.causationId,
      correlationId: wire.correlationId,
      data: validation.status === 'valid' ? validation.data : wire.data,
    },
  };
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const encodeWireEvent = (event: RecordedEvent): string => JSON.stringify(toWireEnvelope(event));

/** Decodes a message value: JSON, then the envelope and data checks of `fromWireEnvelope`. */
export const decodeWireEvent = (
  value: string | Uint8Array,
  registry: IntegrationEventRegistry = integrationEvents,
): WireResult<RecordedEvent> => {
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : utf8.decode(value));
  } catch (error) {
    return violation('CONTRACTS_MALFORMED_JSON', [error instanceof Error ? error.message : String(error)]);
  }
  return fromWireEnvelope(json, registry);
};
