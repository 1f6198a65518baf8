import { type StreamDestination, type StreamedRecord, streamedJson } from '@mandate/audit-domain';
import { Kafka, type KafkaConfig, logLevel, Partitioners, type Producer, type SASLOptions } from 'kafkajs';
import { refused, type StreamSender } from './stream-sender';

type KafkaDestination = Extract<StreamDestination, { kind: 'kafka' }>;

export interface KafkaSenderTimeouts {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * Produces records to a Kafka topic: key = the organization id, so one organization's records share a
 * partition and keep their order; value = the record's JSON; headers `mandate-record-id`,
 * `mandate-sequence` and `mandate-org-id`. An idempotent producer (one request in flight) waits for
 * every in-sync replica (acks -1), so a retried write is neither duplicated nor reordered by Kafka; a
 * batch the stream retries after a failure may be, which consumers absorb by deduping on the record id.
 */
export class KafkaSender implements StreamSender {
  readonly batchSize = 50;
  private producer: Promise<Producer> | null = null;

  constructor(
    private readonly destination: KafkaDestination,
    private readonly saslPassword: string | null,
    private readonly clientId: string,
    private readonly timeouts: KafkaSenderTimeouts,
  ) {}

  async send(records: readonly StreamedRecord[]) {
    try {
      const producer = await this.connected();
      await producer.send({
        topic: this.destination.topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.orgId,
          value: streamedJson(record),
          headers: {
            'content-type': 'application/json',
            'mandate-record-id': record.id,
            'mandate-sequence': String(record.sequence),
            'mandate-org-id': record.orgId,
          },
        })),
      });
      return { result: 'accepted', status: null } as const;
    } catch (error) {
      // A fresh connection (and producer id) for the retry rather than a client in an unknown state.
      await this.close();
      return refused(error);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer) await producer.then((connected) => connected.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = new Kafka(this.config()).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await producer.connect();
      return producer;
    })();
    return this.producer;
  }

  private config(): KafkaConfig {
    const { destination } = this;
    return {
      clientId: this.clientId,
      brokers: [...destination.brokers],
      connectionTimeout: this.timeouts.connectionTimeoutMs,
      requestTimeout: this.timeouts.requestTimeoutMs,
      // The stream's own schedule retries; the client gives up fast so a failure shows in the stream's state.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      // Failures are the stream's state (lastError), not log lines of a client library.
      logLevel: logLevel.NOTHING,
      ...(destination.tls && {
        ssl: {
          rejectUnauthorized: true,
          ...(destination.ca !== undefined && { ca: [destination.ca] }),
          ...(destination.serverName !== undefined && { servername: destination.serverName }),
        },
      }),
      ...(destination.sasl && { sasl: this.sasl(destination.sasl) }),
    };
  }

  private sasl(sasl: NonNullable<KafkaDestination['sasl']>): SASLOptions {
    const password = this.saslPassword ?? '';
    switch (sasl.mechanism) {
      case 'plain':
        return { mechanism: 'plain', username: sasl.username, password };
      case 'scram-sha-256':
        return { mechanism: 'scram-sha-256', username: sasl.username, password };
      case 'scram-sha-512':
        return { mechanism: 'scram-sha-512', username: sasl.username, password };
    }
  }
}
