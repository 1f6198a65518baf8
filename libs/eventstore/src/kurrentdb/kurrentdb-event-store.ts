import {
  type AppendResult as ClientAppendResult,
  BACKWARDS,
  END,
  ErrorType,
  excludeSystemEvents,
  FORWARDS,
  isCommandError,
  jsonEvent,
  KurrentDBClient,
  START,
} from '@kurrent/kurrentdb-client';
import { comparePositions, type Event, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import {
  type AppendOptions,
  type AppendResult,
  EventStoreClosedError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  matchesFilter,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ReadStreamResult,
  type SubscribeOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from '../event-store';
import { StreamOrganizationMismatchError } from '../postgres/postgres-event-store';
import { uuidv7 } from '../uuid';
import {
  CHECKPOINT_EVENT_TYPE,
  fromAppendError,
  fromCheckpointData,
  fromResolvedEvent,
  isAfter,
  isSystemEvent,
  KurrentDbUnreadableEventError,
  readEnvelope,
  toCheckpointData,
  toClientPosition,
  toEventData,
  toGlobalPosition,
  toRevision,
  toServerFilter,
  toStreamState,
} from './kurrentdb-mapping';
import { KurrentDbSubscription } from './kurrentdb-subscription';

export interface KurrentDbEventStoreOptions {
  /** `kurrentdb://host:2113?tls=false` and the like; the store creates the client and disposes it on close. */
  readonly connectionString?: string;
  /** A client the caller owns (and disposes). */
  readonly client?: KurrentDBClient;
  /** Subscription checkpoints live in the stream `<prefix><subscriptionId>`. */
  readonly checkpointStreamPrefix?: string;
}

/** A checkpoint stream holds something that is not a checkpoint: the subscription must not guess where to resume. */
export class KurrentDbCheckpointUnreadableError extends Error {
  override readonly name = 'KurrentDbCheckpointUnreadableError';
  readonly code = 'EVENTSTORE_CHECKPOINT_UNREADABLE';

  constructor(readonly subscriptionId: string) {
    super(`The checkpoint of subscription "${subscriptionId}" cannot be read`);
  }
}

const isStreamNotFound = (error: unknown): boolean =>
  error instanceof Error && isCommandError(error) && error.type === ErrorType.STREAM_NOT_FOUND;

/** How often an `any` or `stream_exists` append re-checks a stream that other writers keep moving on. */
const MAX_PINNED_ATTEMPTS = 50;

/** How many events a `headPosition` read looks through, newest first, for one that is not a system event. */
const HEAD_SEARCH_WINDOW = 100;

/**
 * The event store on KurrentDB (or EventStoreDB 22.6+), through the official gRPC client. Streams,
 * revisions and `$all` positions are KurrentDB's own; the envelope rides in each event's metadata; and
 * subscription checkpoints are events too, so the adapter needs no other database. See
 * docs/adr/0003-kurrentdb-adapter.md.
 */
export class KurrentDbEventStore implements EventStore {
  private readonly subscriptions = new Set<KurrentDbSubscription>();
  private readonly preparedCheckpointStreams = new Set<string>();
  private closed = false;

  private constructor(
    private readonly client: KurrentDBClient,
    private readonly ownsClient: boolean,
    private readonly checkpointStreamPrefix: string,
  ) {}

  static create(options: KurrentDbEventStoreOptions): KurrentDbEventStore {
    if (!options.client && !options.connectionString) {
      throw new Error('KurrentDbEventStore needs a connectionString or a client');
    }
    return new KurrentDbEventStore(
      options.client ?? KurrentDBClient.connectionString(options.connectionString!),
      !options.client,
      options.checkpointStreamPrefix ?? 'mandate-checkpoint-',
    );
  }

  async append<E extends Event>(
    stream: string,
    events: readonly EventToAppend<E>[],
    { expectedRevision = 'any', metadata }: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    if (events.length === 0) throw new Error('append needs at least one event');
    const occurredAt = metadata.occurredAt ?? new Date();
    // Built once: a retried write carries the same event ids.
    const eventData = events.map((event) => toEventData(event, metadata, occurredAt, () => uuidv7()));
    for (let attempt = 1; ; attempt += 1) {
      const expected = await this.checkOrganization(stream, expectedRevision, metadata.orgId);
      let result: ClientAppendResult;
      try {
        result = await this.client.appendToStream(stream, eventData, {
          streamState: toStreamState(expected),
        });
      } catch (error) {
        const mapped = fromAppendError(stream, expectedRevision, error);
        // An `any` or `stream_exists` append was pinned to the revision its check saw, and another writer
        // moved the stream on in between: check again, as those expectations accept any revision.
        const overtaken = mapped instanceof WrongExpectedRevisionError && expected !== expectedRevision;
        if (overtaken && attempt < MAX_PINNED_ATTEMPTS) continue;
        throw mapped;
      }
      // Only with `throwOnAppendFailure=false` in the connection string; the client then reports no usable revision.
      if (!result.success) {
        throw new WrongExpectedRevisionError(stream, expectedRevision, await this.currentRevision(stream));
      }
      if (!result.position) throw new Error(`KurrentDB returned no position for the append to "${stream}"`);
      return {
        nextExpectedRevision: toRevision(result.nextExpectedRevision),
        position: toGlobalPosition(result.position),
      };
    }
  }

  /**
   * A stream belongs to the organization of its events, and an append never moves events across
   * tenants. KurrentDB cannot check that in the write, so the append checks one event first — the one at
   * the expected revision, or the newest for `any` and `stream_exists` — and then writes at exactly that
   * revision: the check holds for the write, or the write is refused. Returns the expectation to write with.
   */
  private async checkOrganization(
    stream: string,
    expected: ExpectedRevision,
    orgId: string,
  ): Promise<ExpectedRevision> {
    if (expected === 'no_stream') return expected;
    const stamp = await this.stamp(stream, typeof expected === 'number' ? BigInt(expected) : END);
    if (!stamp) return expected === 'any' ? 'no_stream' : expected;
    if (stamp.orgId !== orgId) throw new StreamOrganizationMismatchError(stream, orgId);
    return typeof expected === 'number' ? expected : stamp.revision;
  }

  /** The revision and organization of one event of a stream (`END`: its newest), or null when there is none. */
  private async stamp(
    stream: string,
    at: bigint | typeof END,
  ): Promise<{ revision: number; orgId: string } | null> {
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: at === END ? BACKWARDS : FORWARDS,
        fromRevision: at,
        maxCount: 1,
      })) {
        const event = resolved.event;
        if (!event) continue;
        const envelope = readEnvelope(event.metadata);
        if (typeof envelope === 'string') throw new KurrentDbUnreadableEventError(stream, event.id, envelope);
        return { revision: toRevision(event.revision), orgId: envelope.orgId };
      }
      return null;
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
  }

  async readStream<E extends Event = Event>(
    stream: string,
    { fromRevision = 0, maxCount }: ReadStreamOptions = {},
  ): Promise<ReadStreamResult<E>> {
    this.assertOpen();
    const events: RecordedEvent[] = [];
    let read = 0;
    let lastRevision: number | null = null;
    if (maxCount !== 0) {
      try {
        for await (const resolved of this.client.readStream(stream, {
          fromRevision: BigInt(fromRevision),
          ...(maxCount === undefined ? {} : { maxCount }),
        })) {
          read += 1;
          if (resolved.event) lastRevision = toRevision(resolved.event.revision);
          const event = fromResolvedEvent(resolved);
          if (event) events.push(event);
        }
      } catch (error) {
        if (isStreamNotFound(error)) return { events: [], currentRevision: null };
        throw error;
      }
    }
    // A read that reached the end of the stream saw its last revision; a bounded or empty one asks for it.
    const reachedEnd = lastRevision !== null && (maxCount === undefined || read < maxCount);
    return {
      events: events as RecordedEvent<E>[],
      currentRevision: reachedEnd ? lastRevision : await this.currentRevision(stream),
    };
  }

  /** The revision of the stream's last event, or null when there is none. */
  private async currentRevision(stream: string): Promise<number | null> {
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        if (resolved.event) return toRevision(resolved.event.revision);
      }
      return null;
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
  }

  async readAll({ after, maxCount = 1000, filter }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const serverFilter = toServerFilter(filter);
    const events: RecordedEvent[] = [];
    // KurrentDB reads from a position inclusively; the port reads after it. Read one more than wanted
    // and drop the event at `after`; read on while the client-side filter leaves a page short.
    let from = after ?? null;
    while (events.length < maxCount) {
      const wanted = maxCount - events.length + 1;
      let read = 0;
      let last: GlobalPosition | null = null;
      for await (const resolved of this.client.readAll({
        fromPosition: from ? toClientPosition(from) : START,
        maxCount: wanted,
        filter: serverFilter,
      })) {
        read += 1;
        if (resolved.event) last = toGlobalPosition(resolved.event.position);
        const event = fromResolvedEvent(resolved);
        if (event && isAfter(event.position, from) && matchesFilter(event.type, filter)) events.push(event);
      }
      if (read < wanted || !last || (from && comparePositions(last, from) <= 0)) break;
      from = last;
    }
    return events.slice(0, maxCount);
  }

  async headPosition(): Promise<GlobalPosition | null> {
    this.assertOpen();
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: HEAD_SEARCH_WINDOW,
      filter: excludeSystemEvents(),
    })) {
      if (resolved.event && !isSystemEvent(resolved.event)) return toGlobalPosition(resolved.event.position);
    }
    return null;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const checkpoint = await this.getCheckpoint(options.subscriptionId);
    this.assertOpen();
    const subscription = new KurrentDbSubscription({
      ...options,
      checkpoint,
      // Only system events are filtered on the server: the subscription sees every other event, so its
      // checkpoint (and `waitFor`) moves past the ones its own filter rejects.
      open: (after, batchSize) =>
        this.client.subscribeToAll(
          { fromPosition: after ? toClientPosition(after) : START, filter: excludeSystemEvents() },
          { highWaterMark: batchSize },
        ),
      saveCheckpoint: (position) => this.saveCheckpoint(options.subscriptionId, position),
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async getCheckpoint(subscriptionId: string): Promise<GlobalPosition | null> {
    this.assertOpen();
    try {
      for await (const resolved of this.client.readStream(this.checkpointStream(subscriptionId), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        const checkpoint = fromCheckpointData(resolved.event?.data);
        if (!checkpoint) throw new KurrentDbCheckpointUnreadableError(subscriptionId);
        return checkpoint;
      }
      return null;
    } catch (error) {
      if (isStreamNotFound(error)) return null;
      throw error;
    }
  }

  private async saveCheckpoint(subscriptionId: string, position: GlobalPosition): Promise<void> {
    const stream = this.checkpointStream(subscriptionId);
    if (!this.preparedCheckpointStreams.has(stream)) {
      // Only the newest checkpoint matters: older ones are left for the scavenger.
      await this.client.setStreamMetadata(stream, { maxCount: 1 });
      this.preparedCheckpointStreams.add(stream);
    }
    await this.client.appendToStream(
      stream,
      jsonEvent({ id: uuidv7(), type: CHECKPOINT_EVENT_TYPE, data: { ...toCheckpointData(position) } }),
    );
  }

  private checkpointStream(subscriptionId: string): string {
    return `${this.checkpointStreamPrefix}${subscriptionId}`;
  }

  /** The client, for components that need KurrentDB features the port does not cover (multi-stream appends). */
  get kurrentDbClient(): KurrentDBClient {
    return this.client;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    if (this.ownsClient) await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError('The event store is closed');
  }
}
