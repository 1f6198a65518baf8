import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { type SdkLogger } from '../logger';

export interface KafkaConnectionOptions {
  /** Broker addresses (`host:port`); not needed when `kafka` is given. */
  readonly brokers?: readonly string[];
  /** A kafkajs client of your own (TLS, SASL, …); the SDK creates one from `brokers` otherwise. */
  readonly kafka?: Kafka;
  readonly clientId?: string;
  /** Prepended to Mandate's topic names (when Mandate runs with a topic prefix). */
  readonly topicPrefix?: string;
  readonly logger?: SdkLogger;
}

const kafkaLogger =
  (logger: SdkLogger) =>
  () =>
  ({ namespace, level, log }: LogEntry): void => {
    const line = `kafkajs ${namespace}: ${log.message}`;
    if (level === logLevel.ERROR) logger.error(line);
    else if (level === logLevel.WARN) logger.warn(line);
  };

export const kafkaFrom = (options: KafkaConnectionOptions, logger: SdkLogger, clientId: string): Kafka => {
  if (options.kafka) return options.kafka;
  if (!options.brokers || options.brokers.length === 0) throw new TypeError('brokers (or kafka) is required');
  return new Kafka({
    clientId: options.clientId ?? clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator: kafkaLogger(logger),
  });
};
