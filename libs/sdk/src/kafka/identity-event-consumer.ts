import { type Context, decodeCloudEvent, topicFor } from '@mandate/contracts';
import { type Consumer } from 'kafkajs';
import {
  type DeliveryInfo,
  type IdentityEvent,
  identityEventDefinition,
  type IdentityEventHandler,
  type IdentityEventHandlers,
  type IdentityEventType,
} from '../events/identity-events';
import { consoleLogger, describeError } from '../logger';
import { type BackoffOptions, backoffDelay, sleep } from '../timing';
import { type KafkaConnectionOptions, kafkaFrom } from './kafka-client';

export interface IdentityEventConsumerOptions<C extends Context> extends KafkaConnectionOptions {
  /** Your service's consumer group: instances sharing it share the work; offsets are committed to it. */
  readonly groupId: string;
  readonly contexts: readonly C[];
  readonly handlers: IdentityEventHandlers<C>;
  /** Where a new group starts: the earliest retained offset (true, the default) or the end. */
  readonly fromBeginning?: boolean;
  /** Delays between attempts of a failing handler (it is retried until it succeeds or the consumer stops). */
  readonly retry?: BackoffOptions;
  /** Partitions handled at once; order is kept within each partition (one by default). */
  readonly partitionsConsumedConcurrently?: number;
}

export interface RunningIdentityConsumer {
  readonly groupId: string;
  readonly topics: readonly string[];
  stop(): Promise<void>;
}

/**
 * Subscribes to Mandate's integration events with kafkajs. Each message is decoded and validated with
 * the contracts, then given to the handler of its type; its offset is committed only after the handler
 * resolved (at-least-once: a handler may see an event again after a crash or a rebalance, so make it
 * idempotent — `event.id` is stable). A failing handler is retried with backoff, holding its partition
 * (order is kept). Malformed messages and events of a version this SDK does not know are skipped with a
 * warning; event types without a handler are skipped silently.
 */
export const consumeIdentityEvents = async <C extends Context>(
  options: IdentityEventConsumerOptions<C>,
): Promise<RunningIdentityConsumer> => {
  if (options.contexts.length === 0) throw new TypeError('contexts names no context');
  const logger = options.logger ?? consoleLogger;
  const kafka = kafkaFrom(options, logger, `mandate-sdk-${options.groupId}`);
  const topics = [...new Set(options.contexts)].map(
    (context) => `${options.topicPrefix ?? ''}${topicFor(context)}`,
  );
  const stopping = new AbortController();
  const handlers = options.handlers as Readonly<
    Record<string, IdentityEventHandler<IdentityEventType> | undefined>
  >;
  const consumer: Consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false });

  const handle = async (event: IdentityEvent, delivery: DeliveryInfo, heartbeat: () => Promise<void>) => {
    const handler = handlers[event.type];
    if (handler === undefined) return true;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await handler(event, delivery);
        return true;
      } catch (error) {
        if (stopping.signal.aborted) return false;
        logger.error(
          `Handler of ${event.type} failed on ${delivery.topic}/${delivery.partition}@${delivery.offset} (attempt ${attempt + 1}): ${describeError(error)}`,
        );
        await sleep(backoffDelay(attempt, options.retry ?? {}), stopping.signal);
        if (stopping.signal.aborted) return false;
        await heartbeat();
      }
    }
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async (payload) => {
        const { topic, partition, message } = payload;
        const heartbeat = () => payload.heartbeat();
        // Stopping: leave the rest uncommitted, for the next instance of the group.
        if (stopping.signal.aborted) return;
        const delivery: DeliveryInfo = { topic, partition, offset: message.offset };
        const where = `${topic}/${partition}@${message.offset}`;
        const decoded = decodeCloudEvent(message.headers ?? {}, message.value);
        let handled = true;
        if (!decoded.ok) {
          logger.warn(`Skipped a malformed message at ${where}: ${decoded.error.message}`);
        } else {
          const definition = identityEventDefinition(decoded.value.type);
          if (definition !== undefined && !definition.is(decoded.value)) {
            if (handlers[decoded.value.type] !== undefined)
              logger.warn(
                `Skipped ${decoded.value.type} v${decoded.value.schemaVersion} at ${where}: this SDK knows v${definition.version}`,
              );
          } else if (definition !== undefined) {
            handled = await handle(decoded.value as IdentityEvent, delivery, heartbeat);
          }
        }
        // Not committed when the consumer stopped mid-retry: the next instance delivers it again.
        if (handled && !stopping.signal.aborted)
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }

  return {
    groupId: options.groupId,
    topics,
    stop: async () => {
      stopping.abort();
      await consumer.disconnect();
    },
  };
};
