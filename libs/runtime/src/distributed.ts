import { type Context } from '@mandate/contracts';
import { type EventStore, PostgresEventStore } from '@mandate/eventstore';
import { KurrentDbEventStore } from '@mandate/eventstore/kurrentdb';
import {
  adminKeySchema,
  bootstrapHttpApp,
  databaseUrlSchema,
  httpEnv,
  kafkaBrokersSchema,
  loadConfig,
  secretKeySchema,
} from '@mandate/platform';
import { Pool } from 'pg';
import { z } from 'zod';
import { EventStoreReadiness, KafkaBrokerReadiness } from './readiness';
import { type ContextRegistration, rootModule } from './root-module';

export const distributedEnv = (defaultPort: number) =>
  z.object({
    ...httpEnv({ defaultPort }),
    MANDATE_ADMIN_KEY: adminKeySchema,
    MANDATE_SECRET_KEY: secretKeySchema,
    DATABASE_URL: databaseUrlSchema,
    KAFKA_BROKERS: kafkaBrokersSchema,
    KAFKA_TOPIC_PREFIX: z.string().trim().default(''),
    KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
    /** Keeps the service's events in KurrentDB instead of PostgreSQL (`kurrentdb://host:2113?tls=false`). */
    EVENTSTORE_URL: z
      .string()
      .regex(/^(kurrentdb|kdb|esdb|eventstore)(\+discover)?:\/\//, 'must be a kurrentdb:// connection string')
      .optional(),
  });

export const DEFAULT_PORTS: Record<Context, number> = {
  directory: 8081,
  authn: 8082,
  authz: 8083,
  audit: 8084,
};

/**
 * One context as its own service: its event store and read models in PostgreSQL (schemas
 * `<context>_events` and `<context>`), its events relayed to Kafka, other contexts' events consumed from it.
 */
export const runDistributedService = async (registration: ContextRegistration, env = process.env) => {
  const { context } = registration;
  const config = loadConfig(distributedEnv(DEFAULT_PORTS[context]), env);
  const setup = new Pool({ connectionString: config.DATABASE_URL, max: 1 });
  await setup.query(`create schema if not exists ${context}`).finally(() => setup.end());

  const eventStore: EventStore = config.EVENTSTORE_URL
    ? KurrentDbEventStore.create({ connectionString: config.EVENTSTORE_URL })
    : await PostgresEventStore.create({ connectionString: config.DATABASE_URL, schema: `${context}_events` });
  const kafka = {
    brokers: config.KAFKA_BROKERS,
    clientId: `mandate-${context}`,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    partitions: config.KAFKA_PARTITIONS,
  };
  const broker = new KafkaBrokerReadiness(config.KAFKA_BROKERS, `mandate-${context}-readiness`);

  const { app, url } = await bootstrapHttpApp(
    rootModule({
      service: context,
      databaseUrl: config.DATABASE_URL,
      adminKey: config.MANDATE_ADMIN_KEY,
      secretKey: config.MANDATE_SECRET_KEY,
      contexts: [{ registration, eventStore }],
      messaging: () =>
        Promise.resolve({
          mode: 'kafka',
          kafka,
          relays: [{ context, eventStore }],
        }),
      relays: true,
      readiness: [broker, new EventStoreReadiness(new Map([[context, eventStore]]))],
      release: () => broker.close(),
    }),
    config,
    { title: `Mandate ${context}`, unparsedPathPrefixes: registration.unparsedPathPrefixes ?? [] },
  );
  return { app, url };
};
