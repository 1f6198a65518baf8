import { type Context, CONTEXTS, contextOf, deadLetterTopicFor, topicFor } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  type LogEntry,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { type DeadLetter, type DeadLetterSink } from '../delivery/dead-letter';
import { EventDelivery } from '../delivery/event-delivery';
import { type RetryPolicy, retryPolicy } from '../delivery/retry-policy';
import {
  type ConsumerOptions,
  type EventTransport,
  type RunningConsumer,
  wantsType,
} from '../event-transport';
import { type MessagingLogger } from '../messaging-logger';
import { toDeadLetterRecord, toKafkaMessage } from './kafka-messages';

export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Prepended to every topic name, to share a cluster between environments; empty by default. */
  readonly topicPrefix?: string;
  /** Contexts whose topics and dead-letter topics are created at start; all four by default. */
  readonly contexts?: readonly Context[];
  /** Partitions of a topic created at start (existing topics are left alone). */
  readonly partitions?: number;
  /** Replicas of a topic created at start; by default 3, or fewer when the cluster has fewer brokers. */
  readonly replicationFactor?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Partitions a consumer handles at once; order within each partition is always kept. */
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  /** Connection settings passed to kafkajs as they are: ssl, sasl, timeouts. */
  readonly connection?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
  readonly logger?: MessagingLogger;
}

export const DEFAULT_PARTITIONS = 3;

const kafkaLogger =
  (logger: MessagingLogger) =>
  () =>
  ({ namespace, level, log }: LogEntry): void => {
    const line = `kafkajs ${namespace}: ${log.message}`;
    if (level === logLevel.ERROR) logger.error(line);
    else if (level === logLevel.WARN) logger.warn(line);
  };

/**
 * The Kafka adapter of the transport (kafkajs). Publishing waits for every in-sync replica
 * (acks=all) through an idempotent producer, one request in flight, so a retried send neither
 * duplicates nor reorders. Consumers commit an offset only after its message was handled or parked.
 */
export class KafkaTransport implements EventTransport {
  readonly mode = 'kafka';
  private readonly consumers = new Set<RunningConsumer>();
  private readonly retry: RetryPolicy;
  private readonly logger: MessagingLogger;
  private readonly deadLetters: DeadLetterSink = { park: (letter) => this.park(letter) };

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly options: KafkaTransportOptions,
  ) {
    this.retry = retryPolicy(options.retry);
    this.logger = options.logger ?? console;
  }

  /** Connects the producer after creating the topics of `options.contexts` when they are missing. */
  static async connect(options: KafkaTransportOptions): Promise<KafkaTransport> {
    const logger = options.logger ?? console;
    const kafka = new Kafka({
      ...options.connection,
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: kafkaLogger(logger),
    });
    const transport = new KafkaTransport(
      kafka,
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
      options,
    );
    await transport.createTopics();
    await transport.producer.connect();
    return transport;
  }

  topicFor(context: Context): string {
    return `${this.options.topicPrefix ?? ''}${topicFor(context)}`;
  }

  async publish(context: Context, events: readonly RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const foreign = events.find((event) => contextOf(event.type) !== context);
    if (foreign) throw new Error(`Event ${foreign.id} of type ${foreign.type} is not a ${context} event`);
    await this.producer.send({
      topic: this.topicFor(context),
      acks: -1,
      messages: events.map(toKafkaMessage),
    });
  }

  async consume({ groupId, contexts, types, handle }: ConsumerOptions): Promise<RunningConsumer> {
    if (contexts.length === 0) throw new Error(`Consumer group ${groupId} consumes no context`);
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...(this.options.sessionTimeoutMs === undefined
        ? {}
        : { sessionTimeout: this.options.sessionTimeoutMs }),
    });
    const stopping = new AbortController();
    const delivery = new EventDelivery({
      groupId,
      handle,
      retry: this.retry,
      deadLetters: this.deadLetters,
      logger: this.logger,
      signal: stopping.signal,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({
        topics: contexts.map((context) => this.topicFor(context)),
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: true,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachMessage: async (payload) => {
          const { topic, partition, message } = payload;
          // Skipped before decoding: an event this consumer does not handle costs no transaction.
          const type = message.headers?.['ce_type']?.toString();
          if (type !== undefined && !wantsType(types, type)) return;
          await delivery.deliver(
            {
              origin: { kind: 'kafka', topic, partition, offset: message.offset },
              key: message.key,
              headers: message.headers ?? {},
              value: message.value,
            },
            () => payload.heartbeat(),
          );
        },
      });
    } catch (error) {
      await consumer.disconnect();
      throw error;
    }
    const running: RunningConsumer = {
      groupId,
      stop: async () => {
        if (!this.consumers.delete(running)) return;
        stopping.abort();
        await consumer.disconnect();
      },
    };
    this.consumers.add(running);
    return running;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    await this.producer.disconnect();
  }

  private async park(letter: DeadLetter): Promise<void> {
    const { topic, message } = toDeadLetterRecord(letter);
    await this.producer.send({ topic, acks: -1, messages: [message] });
  }

  private async createTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const replicationFactor = this.options.replicationFactor ?? (await defaultReplicationFactor(admin));
      const topics = (this.options.contexts ?? CONTEXTS).flatMap((context) => {
        const topic = this.topicFor(context);
        return [topic, deadLetterTopicFor(topic)];
      });
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({
          topic,
          numPartitions: this.options.partitions ?? DEFAULT_PARTITIONS,
          replicationFactor,
        })),
      });
    } finally {
      await admin.disconnect();
    }
  }
}

const defaultReplicationFactor = async (admin: Admin): Promise<number> =>
  Math.min(3, (await admin.describeCluster()).brokers.length);
