import { type Context, encodeCloudEvent } from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { formatPosition, type RecordedEvent } from '@mandate/kernel';
import { type DeadLetterSink } from '../delivery/dead-letter';
import { EventDelivery } from '../delivery/event-delivery';
import { type RetryPolicy, retryPolicy } from '../delivery/retry-policy';
import {
  type ConsumerOptions,
  type EventTransport,
  type RunningConsumer,
  wantsType,
} from '../event-transport';
import { type MessagingLogger } from '../messaging-logger';

export interface InProcessTransportOptions {
  /**
   * The store holding a context's events; several contexts may share one. Undefined for a context
   * this process does not run: it has no events here, so its consumers have nothing to read.
   */
  readonly eventStoreFor: (context: Context) => EventStore | undefined;
  /** Where undeliverable events are parked: there is no dead-letter topic without Kafka. */
  readonly deadLetters: DeadLetterSink;
  readonly retry?: Partial<RetryPolicy>;
  /** Events a subscription reads at a time. */
  readonly batchSize?: number;
  readonly logger?: MessagingLogger;
}

/** The durable subscription behind an in-process consumer group's view of one context. */
export const consumerSubscriptionId = (groupId: string, context: Context): string =>
  `consumer:${groupId}:${context}`;

/**
 * The transport of standalone mode, where every context's event store lives in this process. The
 * store is the log: publishing is a no-op, and a consumer group is one durable store subscription
 * per context, filtered to that context's event types. Like a Kafka consumer it sees events in order
 * (store order, so per-organization order too), at least once, its checkpoint moving only after the
 * handler succeeded; and every event goes through the same CloudEvents encoding, decoding and
 * schema validation as a Kafka record, so a handler cannot tell the modes apart.
 */
export class InProcessTransport implements EventTransport {
  readonly mode = 'in-process';
  private readonly consumers = new Set<RunningConsumer>();
  private readonly retry: RetryPolicy;
  private readonly logger: MessagingLogger;

  constructor(private readonly options: InProcessTransportOptions) {
    this.retry = retryPolicy(options.retry);
    this.logger = options.logger ?? console;
  }

  /** The events are already durable in the store, and consumers read them from there. */
  publish(_context: Context, _events: readonly RecordedEvent[]): Promise<void> {
    return Promise.resolve();
  }

  async consume({ groupId, contexts, types, handle }: ConsumerOptions): Promise<RunningConsumer> {
    if (contexts.length === 0) throw new Error(`Consumer group ${groupId} consumes no context`);
    const stopping = new AbortController();
    const delivery = new EventDelivery({
      groupId,
      handle,
      retry: this.retry,
      deadLetters: this.options.deadLetters,
      logger: this.logger,
      signal: stopping.signal,
    });
    const subscriptions: Subscription[] = [];
    const stopSubscriptions = async () => {
      stopping.abort();
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    };
    try {
      for (const context of new Set(contexts)) {
        const subscriptionId = consumerSubscriptionId(groupId, context);
        const store = this.options.eventStoreFor(context);
        if (!store) continue;
        subscriptions.push(
          await store.subscribe({
            subscriptionId,
            filter: storeFilter(context, types),
            ...(this.options.batchSize === undefined ? {} : { batchSize: this.options.batchSize }),
            handle: async (events) => {
              for (const event of events) {
                // Stopping abandons the rest of the batch; its checkpoint stays, so it is delivered again.
                stopping.signal.throwIfAborted();
                if (!wantsType(types, event.type)) continue;
                const { headers, value } = encodeCloudEvent(event);
                await delivery.deliver({
                  origin: { kind: 'event-store', subscriptionId, position: formatPosition(event.position) },
                  key: event.orgId,
                  headers,
                  value,
                });
              }
            },
            onError: (error) => {
              if (!stopping.signal.aborted)
                this.logger.error(
                  `MESSAGING_SUBSCRIPTION_FAILED subscription=${subscriptionId} error=${String(error)}`,
                );
            },
          }),
        );
      }
    } catch (error) {
      await stopSubscriptions();
      throw error;
    }
    const running: RunningConsumer = {
      groupId,
      stop: async () => {
        if (this.consumers.delete(running)) await stopSubscriptions();
      },
    };
    this.consumers.add(running);
    return running;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
  }
}

/** The store filter of one context's subscription: the consumer's types of that context, or all of them. */
const storeFilter = (context: Context, types: readonly string[] | undefined) => {
  if (types === undefined) return { typePrefixes: [`${context}.`] };
  const own = types.filter((type) => type.startsWith(`${context}.`));
  const exact = own.filter((type) => !type.endsWith('.'));
  const prefixes = own.filter((type) => type.endsWith('.'));
  // The store filters on exact types or on prefixes; a mix takes the context and is sifted in delivery.
  if (prefixes.length === 0) return { types: exact };
  if (exact.length === 0) return { typePrefixes: prefixes };
  return { typePrefixes: [`${context}.`] };
};
