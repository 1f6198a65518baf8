import {
  type AllStreamResolvedEvent,
  type AppendStreamState,
  ANY,
  type CurrentStreamState,
  type EventData,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  jsonEvent,
  type JSONType,
  NO_STREAM,
  type Position,
  type ResolvedEvent,
  STREAM_EXISTS,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import {
  type Actor,
  type ActorType,
  comparePositions,
  type Event,
  type GlobalPosition,
  type RecordedEvent,
} from '@mandate/kernel';
import {
  type AppendMetadata,
  type EventFilter,
  type EventToAppend,
  type ExpectedRevision,
  WrongExpectedRevisionError,
} from '../event-store';

/**
 * Pure conversions between the event-store port and the KurrentDB client: no I/O here, so every rule
 * about revisions, positions, envelopes and filters is tested without a server.
 */

/** The envelope fields KurrentDB has no column for, kept as the event's metadata JSON. */
export interface KurrentDbEnvelope {
  readonly orgId: string;
  readonly actor: Actor;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly schemaVersion: number;
  /** ISO-8601, as decided by the caller (or the store's clock when the caller gave none). */
  readonly occurredAt: string;
  /** KurrentDB's own names, so its `$by_correlation_id` projection can follow a cascade. */
  readonly $correlationId: string;
  readonly $causationId?: string;
}

/** A stored event this adapter cannot turn into the envelope: it was not written through the port. */
export class KurrentDbUnreadableEventError extends Error {
  override readonly name = 'KurrentDbUnreadableEventError';
  readonly code = 'EVENTSTORE_UNREADABLE_EVENT';

  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly reason: string,
  ) {
    super(`Event ${eventId} in stream "${stream}" cannot be read as a Mandate event: ${reason}`);
  }
}

export const toStreamState = (expected: ExpectedRevision): AppendStreamState => {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`Expected revision must be a non-negative integer, got ${expected}`);
      }
      return BigInt(expected);
  }
};

/** A 0-based stream revision or log position as a JavaScript number, refusing any that would lose precision. */
export const toRevision = (revision: bigint): number => {
  if (revision < 0n || revision > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Stream revision ${revision} is outside the safe integer range`);
  }
  return Number(revision);
};

/**
 * The stream's state as the client reports it after a refused append: a revision, or none. Raw gRPC
 * errors carry KurrentDB's negative markers (-1 no stream, -5 deleted, -6 tombstoned): none, too.
 */
export const toActualRevision = (state: CurrentStreamState): number | null =>
  state === NO_STREAM || state < 0n ? null : toRevision(state);

export const toWrongExpectedRevisionError = (
  stream: string,
  expected: ExpectedRevision,
  actual: CurrentStreamState,
): WrongExpectedRevisionError => new WrongExpectedRevisionError(stream, expected, toActualRevision(actual));

/** The port's conflict for the client's, with the revision the caller expected; any other error as it is. */
export const fromAppendError = (stream: string, expected: ExpectedRevision, error: unknown): unknown =>
  error instanceof WrongExpectedVersionError
    ? toWrongExpectedRevisionError(stream, expected, error.actualState)
    : error;

export const toGlobalPosition = (position: Position): GlobalPosition => ({
  commit: position.commit,
  prepare: position.prepare,
});

export const toClientPosition = (position: GlobalPosition): Position => ({
  commit: position.commit,
  prepare: position.prepare,
});

/** Whether `position` comes strictly after `after` (everything does when `after` is null). */
export const isAfter = (position: GlobalPosition, after: GlobalPosition | null | undefined): boolean =>
  !after || comparePositions(position, after) > 0;

export const toEventData = <E extends Event>(
  event: EventToAppend<E>,
  metadata: AppendMetadata,
  occurredAt: Date,
  newId: () => string,
): EventData => {
  const causationId = metadata.causationId ?? null;
  const envelope: KurrentDbEnvelope = {
    orgId: metadata.orgId,
    actor: metadata.actor,
    causationId,
    correlationId: metadata.correlationId,
    schemaVersion: event.schemaVersion ?? 1,
    occurredAt: occurredAt.toISOString(),
    $correlationId: metadata.correlationId,
    ...(causationId === null ? {} : { $causationId: causationId }),
  };
  return jsonEvent({
    id: event.id ?? newId(),
    type: event.type,
    // The client writes JSON data with JSON.stringify, so any JSON-serialisable value round-trips.
    data: event.data as JSONType,
    metadata: { ...envelope },
  });
};

/** System events: KurrentDB's own (`$`-prefixed types, links, metadata) and anything in a `$` stream. */
export const isSystemEvent = (event: { readonly type: string; readonly streamId: string }): boolean =>
  event.type.startsWith('$') || event.streamId.startsWith('$');

const actorTypes: ReadonlySet<string> = new Set<ActorType>([
  'user',
  'agent',
  'service',
  'system',
  'directory',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const readActor = (value: unknown): Actor | string => {
  if (!isRecord(value)) return 'actor is missing';
  const { type, id, onBehalfOf, via } = value;
  if (typeof type !== 'string' || !actorTypes.has(type)) return 'actor.type is not a known actor type';
  if (typeof id !== 'string') return 'actor.id is not a string';
  if (onBehalfOf !== undefined && typeof onBehalfOf !== 'string') return 'actor.onBehalfOf is not a string';
  if (via !== undefined && typeof via !== 'string') return 'actor.via is not a string';
  return {
    type: type as ActorType,
    id,
    ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
    ...(via === undefined ? {} : { via }),
  };
};

/** Checks the metadata JSON of a stored event; returns the reason it is not an envelope, if it is not. */
export const readEnvelope = (metadata: unknown): Omit<KurrentDbEnvelope, '$correlationId'> | string => {
  if (!isRecord(metadata)) return 'its metadata is not a JSON object';
  const { orgId, causationId, correlationId, schemaVersion, occurredAt } = metadata;
  if (typeof orgId !== 'string') return 'orgId is not a string';
  if (causationId !== null && typeof causationId !== 'string')
    return 'causationId is neither a string nor null';
  if (typeof correlationId !== 'string') return 'correlationId is not a string';
  if (typeof schemaVersion !== 'number' || !Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    return 'schemaVersion is not a positive integer';
  }
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) {
    return 'occurredAt is not an ISO-8601 date';
  }
  const actor = readActor(metadata['actor']);
  if (typeof actor === 'string') return actor;
  return { orgId, actor, causationId, correlationId, schemaVersion, occurredAt };
};

/**
 * A stored event as the port's envelope, or null for a system event (which no reader of the port sees).
 * Throws `KurrentDbUnreadableEventError` for an event that was not written through the port.
 */
export const fromResolvedEvent = (resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null => {
  const event = resolved.event;
  if (!event || isSystemEvent(event)) return null;
  const unreadable = (reason: string) => new KurrentDbUnreadableEventError(event.streamId, event.id, reason);
  if (!event.isJson) throw unreadable('its data is not JSON');
  if (!event.position)
    throw unreadable('the server returned no log position (KurrentDB 22.6 or later needed)');
  const envelope = readEnvelope(event.metadata);
  if (typeof envelope === 'string') throw unreadable(envelope);
  return {
    id: event.id,
    type: event.type,
    schemaVersion: envelope.schemaVersion,
    orgId: envelope.orgId,
    stream: event.streamId,
    streamRevision: toRevision(event.revision),
    position: toGlobalPosition(event.position),
    occurredAt: new Date(envelope.occurredAt),
    actor: envelope.actor,
    causationId: envelope.causationId,
    correlationId: envelope.correlationId,
    data: event.data,
  };
};

const escapeRegex = (text: string): string => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/**
 * The server-side filter for reading `$all`: never system events, and — when the caller filters —
 * only the named types, or else only the named prefixes. The port's full rule (types AND prefixes)
 * is applied again in the client with `matchesFilter`, so the server only has to narrow, not decide.
 */
export const toServerFilter = (filter: EventFilter | undefined): Filter => {
  if (filter?.types) {
    return eventTypeFilter({ regex: `^(?:${filter.types.map(escapeRegex).join('|')})$` });
  }
  if (filter?.typePrefixes) {
    return eventTypeFilter({ regex: `^(?!\\$)(?:${filter.typePrefixes.map(escapeRegex).join('|')})` });
  }
  return excludeSystemEvents();
};

/** Checkpoints are events too: the last one in a `maxCount: 1` stream per subscription. */
export const CHECKPOINT_EVENT_TYPE = '$mandate.checkpoint';

export interface CheckpointData {
  readonly commit: string;
  readonly prepare: string;
}

export const toCheckpointData = (position: GlobalPosition): CheckpointData => ({
  commit: position.commit.toString(),
  prepare: position.prepare.toString(),
});

export const fromCheckpointData = (data: unknown): GlobalPosition | null => {
  if (!isRecord(data)) return null;
  const { commit, prepare } = data;
  if (typeof commit !== 'string' || typeof prepare !== 'string') return null;
  if (!/^\d{1,20}$/.test(commit) || !/^\d{1,20}$/.test(prepare)) return null;
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
};
