import { type Actor, type Event, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';

/**
 * What the stream must look like for an append to proceed:
 * a revision number (0-based revision of the stream's last event), `no_stream`, `stream_exists` or `any`.
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

/** The envelope fields an append supplies; ids, positions and revisions are assigned by the store. */
export interface AppendMetadata {
  readonly orgId: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string | null;
  /** When the events happened, as decided by the caller (defaults to the store's clock). */
  readonly occurredAt?: Date;
}

/** An event to append: a domain event plus, optionally, its id (UUIDv7 otherwise) and schema version (1 otherwise). */
export type EventToAppend<E extends Event = Event> = E & {
  readonly id?: string;
  readonly schemaVersion?: number;
};

export interface AppendOptions {
  readonly expectedRevision?: ExpectedRevision;
  readonly metadata: AppendMetadata;
}

export interface AppendResult {
  /** The revision of the stream's last event after this append: pass it as the next expected revision. */
  readonly nextExpectedRevision: number;
  /** Position of the last appended event; a read model that reached it reflects this write. */
  readonly position: GlobalPosition;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive), 0 by default. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadStreamResult<E extends Event = Event> {
  readonly events: RecordedEvent<E>[];
  /** Revision of the stream's last event, or null when the stream does not exist. */
  readonly currentRevision: number | null;
}

export interface EventFilter {
  /** Only events whose type is one of these. */
  readonly types?: readonly string[];
  /** Only events whose type starts with one of these (e.g. `directory.`). */
  readonly typePrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /** Return events strictly after this position; from the beginning when null or absent. */
  readonly after?: GlobalPosition | null;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Durable name: the checkpoint is kept under it, and a restart resumes after it. */
  readonly subscriptionId: string;
  readonly filter?: EventFilter;
  /** Handles events in store order; the checkpoint advances after it resolves (at-least-once). */
  readonly handle: (events: RecordedEvent[]) => Promise<void>;
  readonly batchSize?: number;
  /** Called when `handle` throws; the subscription retries the same batch after a back-off. */
  readonly onError?: (error: unknown, events: RecordedEvent[]) => void;
}

export interface Subscription {
  readonly subscriptionId: string;
  /** Position of the last event handled, or null before the first. */
  readonly checkpoint: GlobalPosition | null;
  /** Resolves once the subscription has handled every event committed up to `position`. */
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** The event-store port (ARCHITECTURE §3). Adapters: PostgreSQL (also embedded PGlite) and KurrentDB. */
export interface EventStore {
  append<E extends Event>(
    stream: string,
    events: readonly EventToAppend<E>[],
    options: AppendOptions,
  ): Promise<AppendResult>;
  readStream<E extends Event = Event>(
    stream: string,
    options?: ReadStreamOptions,
  ): Promise<ReadStreamResult<E>>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the newest event a reader can see, or null when the store is empty. */
  headPosition(): Promise<GlobalPosition | null>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  getCheckpoint(subscriptionId: string): Promise<GlobalPosition | null>;
  close(): Promise<void>;
}

/** The stream was not at the expected revision: someone else wrote first. Reload and decide again. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  readonly code = 'EVENTSTORE_WRONG_EXPECTED_REVISION';

  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | null,
  ) {
    super(
      `Stream "${stream}" expected at revision ${String(expected)} but is at ${actual === null ? 'no stream' : actual}`,
    );
  }
}

export class EventStoreClosedError extends Error {
  override readonly name = 'EventStoreClosedError';
  readonly code = 'EVENTSTORE_CLOSED';
}

export const matchesFilter = (type: string, filter: EventFilter | undefined): boolean =>
  !filter ||
  ((!filter.types || filter.types.includes(type)) &&
    (!filter.typePrefixes || filter.typePrefixes.some((prefix) => type.startsWith(prefix))));
