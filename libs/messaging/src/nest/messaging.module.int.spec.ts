import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmbeddedPostgres, PostgresEventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { DataSource } from 'typeorm';
import { type EventTransport } from '../event-transport';
import { PostgresDeadLetterSink } from '../postgres/postgres-dead-letter-sink';
import { createTestSchema } from '../testing/databases';
import { deleteTopicsAndGroupsWithPrefix, kafkaFor } from '../testing/kafka-test-topics';
import { uniqueName } from '../testing/recorded-events';
import { RecordingLogger } from '../testing/recording-logger';
import { waitUntil } from '../testing/wait-until';
import {
  EVENT_TRANSPORT,
  EventConsumer,
  type EventConsumerHandler,
  type MessagingConfig,
  MessagingModule,
  MessagingRuntime,
} from './messaging.module';

jest.setTimeout(60_000);

const STORE = 'TEST_EVENT_STORE';
/** Prefixes this run's topics and consumer group, which are deleted afterwards. */
const runPrefix = `${uniqueName('test')}.`;

@EventConsumer({ groupId: `${runPrefix}provisioned-users`, contexts: ['directory'] })
@Injectable()
class ProvisionedUsers implements EventConsumerHandler {
  readonly received: RecordedEvent[] = [];

  handle(event: RecordedEvent): Promise<void> {
    this.received.push(event);
    return Promise.resolve();
  }
}

/** Has a `handle` method but no decorator: the runtime must leave it alone. */
@Injectable()
class NotAConsumer {
  readonly received: RecordedEvent[] = [];

  handle(event: RecordedEvent): Promise<void> {
    this.received.push(event);
    return Promise.resolve();
  }
}

const appModule = (
  store: PostgresEventStore,
  config: (store: PostgresEventStore) => Promise<MessagingConfig>,
) => {
  @Module({ providers: [{ provide: STORE, useValue: store }], exports: [STORE] })
  class StoreModule {}

  @Module({
    imports: [
      MessagingModule.forRootAsync({
        imports: [StoreModule],
        inject: [STORE],
        useFactory: (injected: PostgresEventStore) => config(injected),
      }),
    ],
    providers: [ProvisionedUsers, NotAConsumer],
  })
  class AppModule {}
  return AppModule;
};

const provision = (store: PostgresEventStore, userId: string) =>
  store.append(`directory.user-${userId}`, [{ type: 'directory.sample.recorded', data: { userId } }], {
    metadata: { orgId: 'org_nest', actor: { type: 'system', id: 'test' }, correlationId: 'c' },
  });

describe('MessagingModule in in-process mode', () => {
  let embedded: EmbeddedPostgres;
  let dataSource: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    embedded = await EmbeddedPostgres.start();
    dataSource = new DataSource({ type: 'postgres', url: embedded.connectionString, poolSize: 2 });
    await dataSource.initialize();
    store = await PostgresEventStore.create({
      connectionString: embedded.connectionString,
      schema: 'directory',
    });
  });
  afterAll(async () => {
    await store?.close();
    await dataSource?.destroy();
    await embedded?.stop();
  });

  it('runs every @EventConsumer provider over the event store, and resumes it after a restart', async () => {
    const startApp = async () => {
      const app = await NestFactory.createApplicationContext(
        appModule(store, async (injected) => ({
          mode: 'in-process',
          inProcess: {
            eventStoreFor: () => injected,
            deadLetters: await PostgresDeadLetterSink.create(dataSource, { schema: 'messaging' }),
            logger: new RecordingLogger(),
          },
        })),
        { logger: false },
      );
      await app.init();
      return app;
    };

    await provision(store, 'u1');
    const first = await startApp();
    const firstConsumer = first.get(ProvisionedUsers);
    expect(first.get<EventTransport>(EVENT_TRANSPORT).mode).toBe('in-process');
    await waitUntil(
      'the first user',
      () => firstConsumer.received.length,
      (count) => count === 1,
    );
    expect(await first.get(MessagingRuntime).relayLag()).toEqual([]);
    await first.close();

    await provision(store, 'u2');
    const second = await startApp();
    const secondConsumer = second.get(ProvisionedUsers);
    await waitUntil(
      'the second user',
      () => secondConsumer.received.length,
      (count) => count === 1,
    );
    await second.close();
    expect(firstConsumer.received.map((event) => event.stream)).toEqual(['directory.user-u1']);
    expect(secondConsumer.received.map((event) => event.stream)).toEqual(['directory.user-u2']);
  });
});

describeWithServices(
  ['postgres', 'kafka'],
  'MessagingModule in Kafka mode',
  ({ postgres, kafka: brokers }) => {
    const topicPrefix = runPrefix;
    let drop: () => Promise<void>;
    let store: PostgresEventStore;

    beforeAll(async () => {
      const created = await createTestSchema(postgres);
      drop = created.drop;
      store = await PostgresEventStore.create({ connectionString: postgres, schema: created.schema });
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
      await deleteTopicsAndGroupsWithPrefix(kafkaFor(brokers), topicPrefix);
    });

    it('relays the service’s own context and feeds its consumers from Kafka', async () => {
      await provision(store, 'u1');
      const app = await NestFactory.createApplicationContext(
        appModule(store, (injected) =>
          Promise.resolve({
            mode: 'kafka',
            kafka: {
              brokers: brokers.split(','),
              clientId: 'nest-test',
              topicPrefix,
              contexts: ['directory'],
              logger: new RecordingLogger(),
            },
            relays: [{ context: 'directory', eventStore: injected }],
          }),
        ),
        { logger: false },
      );
      await app.init();
      try {
        const consumer = app.get(ProvisionedUsers);
        await waitUntil(
          'the relayed user',
          () => consumer.received.length,
          (count) => count === 1,
        );
        expect(consumer.received[0]).toEqual((await store.readStream('directory.user-u1')).events[0]);
        const [lag] = await app.get(MessagingRuntime).relayLag();
        expect(lag).toMatchObject({ subscriptionId: 'relay:kafka:directory', caughtUp: true });
      } finally {
        await app.close();
      }
    });
  },
);
