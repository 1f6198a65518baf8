import { type Context } from '@mandate/contracts';
import { type EventFilter, type EventStore, type Subscription } from '@mandate/eventstore';
import { comparePositions, type GlobalPosition } from '@mandate/kernel';
import { type EventTransport } from '../event-transport';
import { type MessagingLogger } from '../messaging-logger';

export interface EventRelayOptions {
  readonly context: Context;
  /** The store of the context's own streams. */
  readonly eventStore: EventStore;
  readonly transport: Pick<EventTransport, 'publish'>;
  /** Events published per send; also the most a restart can publish twice. */
  readonly batchSize?: number;
  readonly logger?: MessagingLogger;
}

export interface RelayLag {
  readonly subscriptionId: string;
  /** The newest position in the store. */
  readonly head: GlobalPosition | null;
  /** The position up to which every event of the context has been published. */
  readonly checkpoint: GlobalPosition | null;
  /** True when no event of the context waits to be published. */
  readonly caughtUp: boolean;
}

export const DEFAULT_RELAY_BATCH_SIZE = 100;

export const relaySubscriptionId = (context: Context): string => `relay:kafka:${context}`;

/**
 * Publishes one context's events from its event store (the outbox) to the transport, from a
 * durable checkpoint: a store subscription whose handler resolves only once the broker has
 * acknowledged the batch, so the checkpoint never passes an unpublished event. A crash between
 * the acknowledgement and the checkpoint publishes that batch again on restart: at-least-once,
 * duplicates limited to one batch, which idempotent consumers absorb.
 */
export class EventRelay {
  private constructor(
    private readonly options: EventRelayOptions,
    private readonly subscription: Subscription,
  ) {}

  static filterFor(context: Context): EventFilter {
    return { typePrefixes: [`${context}.`] };
  }

  static async start(options: EventRelayOptions): Promise<EventRelay> {
    const { context, eventStore, transport } = options;
    const logger = options.logger ?? console;
    const subscriptionId = relaySubscriptionId(context);
    const subscription = await eventStore.subscribe({
      subscriptionId,
      filter: EventRelay.filterFor(context),
      batchSize: options.batchSize ?? DEFAULT_RELAY_BATCH_SIZE,
      handle: (events) => transport.publish(context, events),
      onError: (error, events) =>
        logger.error(
          `MESSAGING_RELAY_PUBLISH_FAILED subscription=${subscriptionId} events=${events.length} error=${String(error)}`,
        ),
    });
    return new EventRelay(options, subscription);
  }

  get subscriptionId(): string {
    return this.subscription.subscriptionId;
  }

  /** How far publication trails the store, for readiness checks and metrics. */
  async lag(): Promise<RelayLag> {
    return relayLag(this.options.eventStore, this.options.context);
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}

/** The lag of a context's relay read from its durable checkpoint, so any process can report it. */
export const relayLag = async (eventStore: EventStore, context: Context): Promise<RelayLag> => {
  const subscriptionId = relaySubscriptionId(context);
  const [head, checkpoint] = await Promise.all([
    eventStore.headPosition(),
    eventStore.getCheckpoint(subscriptionId),
  ]);
  const caughtUp =
    head === null ||
    (checkpoint !== null && comparePositions(checkpoint, head) >= 0) ||
    // The checkpoint may rest on the context's last event while other contexts' events follow it.
    (await eventStore.readAll({ after: checkpoint, maxCount: 1, filter: EventRelay.filterFor(context) }))
      .length === 0;
  return { subscriptionId, head, checkpoint, caughtUp };
};
