import { type Context } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';

export type TransportMode = 'kafka' | 'in-process';

/**
 * Handles one event. Resolving acknowledges it; throwing asks for a redelivery after a back-off
 * (see RetryPolicy). It may see an event more than once, so its effects must be idempotent.
 */
export type EventHandler = (event: RecordedEvent) => Promise<void>;

export interface ConsumerOptions {
  /**
   * Durable name of the consumer: a Kafka consumer group, or the subscription of an in-process
   * consumer. Each group sees every event at least once; a new group starts from the beginning.
   */
  readonly groupId: string;
  /** Whose events to consume: one topic per context. */
  readonly contexts: readonly Context[];
  /**
   * Only these event types (exact, or prefixes ending in `.`); the others are skipped without a
   * transaction — and acknowledged, so a new type added later is not replayed to this consumer.
   */
  readonly types?: readonly string[];
  readonly handle: EventHandler;
}

/** Whether a consumer wants an event type: `types` holds exact types and `prefix.` entries. */
export const wantsType = (types: readonly string[] | undefined, type: string): boolean =>
  types === undefined ||
  types.some((wanted) => (wanted.endsWith('.') ? type.startsWith(wanted) : type === wanted));

export interface RunningConsumer {
  readonly groupId: string;
  /** Stops after the event in hand; an event interrupted mid-retry is redelivered on the next start. */
  stop(): Promise<void>;
}

/**
 * How events travel between contexts (ARCHITECTURE §4), whatever carries them. Both modes give the
 * same guarantees: per-organization order, at-least-once delivery, acknowledgement only after the
 * handler succeeded, and every event decoded from the wire envelope and validated against its schema.
 */
export interface EventTransport {
  readonly mode: TransportMode;
  /** Makes a context's recorded events available to consumers; resolves once they are durable. */
  publish(context: Context, events: readonly RecordedEvent[]): Promise<void>;
  consume(options: ConsumerOptions): Promise<RunningConsumer>;
  /** Stops every consumer this transport started, then releases its connections. */
  close(): Promise<void>;
}
