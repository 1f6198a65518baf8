import { defineIntegrationEvent } from '@mandate/contracts';
import { PostgresEventStore } from '@mandate/eventstore';
import { comparePositions, type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { type Kafka } from 'kafkajs';
import { type DataSource } from 'typeorm';
import { z } from 'zod';
import { type EventTransport, type RunningConsumer } from '../event-transport';
import { InProcessTransport } from '../in-process/in-process-transport';
import { KafkaTransport } from '../kafka/kafka-transport';
import { IdempotentConsumer } from '../postgres/idempotent-consumer';
import { PostgresDeadLetterSink } from '../postgres/postgres-dead-letter-sink';
import { createTestSchema } from '../testing/databases';
import { collectMessages, deleteTopicsAndGroupsWithPrefix, kafkaFor } from '../testing/kafka-test-topics';
import { uniqueName } from '../testing/recorded-events';
import { RecordingLogger } from '../testing/recording-logger';
import { waitUntil } from '../testing/wait-until';
import { EventRelay, relayLag, relaySubscriptionId } from './event-relay';

jest.setTimeout(90_000);

defineIntegrationEvent('directory.sample.grouped', 1, z.object({ groupId: z.string(), name: z.string() }));

const actor = { type: 'directory', id: 'scim-directory-1', via: 'scim' } as const;

describeWithServices(['postgres', 'kafka'], 'EventRelay', ({ postgres, kafka: brokers }) => {
  const topicPrefix = `${uniqueName('test')}.`;
  const groupName = (label: string) => `${topicPrefix}${uniqueName(label)}`;
  const logger = new RecordingLogger();
  let kafka: Kafka;
  let dataSource: DataSource;
  let schema: string;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  let transport: KafkaTransport;
  const running: { stop(): Promise<void> }[] = [];

  const start = async <T extends { stop(): Promise<void> }>(started: Promise<T>): Promise<T> => {
    const value = await started;
    running.push(value);
    return value;
  };

  const provisionUsers = async (orgId: string, count: number) => {
    for (let index = 0; index < count; index += 1)
      await store.append(
        `directory.user-${orgId}-${index}`,
        [{ type: 'directory.sample.recorded', data: { userId: `${orgId}-${index}` } }],
        { metadata: { orgId, actor, correlationId: `corr-${orgId}` } },
      );
  };

  beforeAll(async () => {
    kafka = kafkaFor(brokers);
    ({ dataSource, schema, drop } = await createTestSchema(postgres));
    store = await PostgresEventStore.create({ connectionString: postgres, schema, pollIntervalMs: 20 });
    transport = await KafkaTransport.connect({
      brokers: brokers.split(','),
      clientId: 'relay-tests',
      topicPrefix,
      contexts: ['directory'],
      logger,
    });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((value) => value.stop()));
  });

  afterAll(async () => {
    await transport?.close();
    await store?.close();
    await drop?.();
    if (kafka) await deleteTopicsAndGroupsWithPrefix(kafka, topicPrefix);
  });

  it('publishes its context’s events from a durable checkpoint and reports its lag', async () => {
    await provisionUsers('org_relay', 30);
    await store.append('authz.role-r1', [{ type: 'authz.sample.created', data: {} }], {
      metadata: { orgId: 'org_relay', actor, correlationId: 'c' },
    });
    expect(await relayLag(store, 'directory')).toMatchObject({ checkpoint: null, caughtUp: false });

    const topic = collectMessages(kafka, [transport.topicFor('directory')], groupName('raw'));
    const raw = await start(topic);
    const relay = await EventRelay.start({
      context: 'directory',
      eventStore: store,
      transport,
      batchSize: 8,
    });
    await waitUntil(
      'thirty records',
      () => raw.messages.length,
      (count) => count >= 30,
    );
    await waitUntil(
      'the relay caught up',
      () => relay.lag(),
      (lag) => lag.caughtUp,
    );
    await relay.stop();

    expect(await relay.lag()).toEqual({
      subscriptionId: 'relay:kafka:directory',
      head: await store.headPosition(),
      checkpoint: await store.headPosition(),
      caughtUp: true,
    });
    await provisionUsers('org_relay_later', 3);
    const behind = await relayLag(store, 'directory');
    expect(behind.caughtUp).toBe(false);
    expect(comparePositions(behind.checkpoint!, behind.head!)).toBeLessThan(0);

    const restarted = await start(EventRelay.start({ context: 'directory', eventStore: store, transport }));
    await waitUntil(
      'three more records',
      () => raw.messages.length,
      (count) => count >= 33,
    );
    await waitUntil(
      'the relay caught up again',
      () => restarted.lag(),
      (lag) => lag.caughtUp,
    );

    const published = raw.messages.map(
      ({ message }) => JSON.parse(message.value!.toString()) as { type: string },
    );
    expect(published).toHaveLength(33);
    expect(new Set(published.map((envelope) => envelope.type))).toEqual(
      new Set(['directory.sample.recorded']),
    );
    expect(await store.getCheckpoint(relaySubscriptionId('directory'))).toEqual(await store.headPosition());
  });

  it('gives a handler the same events whether they came over Kafka or from the store', async () => {
    await store.append(
      'directory.group-g1',
      [
        { type: 'directory.sample.grouped', data: { groupId: 'g1', name: 'Finance', undeclared: 'dropped' } },
        { type: 'directory.group.renamed', data: { groupId: 'g1', name: 'Accounting', at: '2026-03-01' } },
      ],
      {
        metadata: {
          orgId: 'org_modes',
          actor: { type: 'agent', id: 'agent_1', onBehalfOf: 'user_1', via: 'client_1' },
          correlationId: 'corr-modes',
          causationId: 'cause-1',
        },
      },
    );
    await start(EventRelay.start({ context: 'directory', eventStore: store, transport }));
    const inProcess = new InProcessTransport({
      eventStoreFor: () => store,
      deadLetters: await PostgresDeadLetterSink.create(dataSource, { schema }),
      logger,
    });

    const receivedBy = async (via: EventTransport): Promise<RecordedEvent[]> => {
      const received: RecordedEvent[] = [];
      const consumer: RunningConsumer = await via.consume({
        groupId: groupName('modes'),
        contexts: ['directory'],
        handle: (event) => Promise.resolve(void (event.orgId === 'org_modes' && received.push(event))),
      });
      await waitUntil(
        `both events via ${via.mode}`,
        () => received.length,
        (count) => count >= 2,
      );
      await consumer.stop();
      return received.sort((a, b) => comparePositions(a.position, b.position));
    };

    const overKafka = await receivedBy(transport);
    const fromStore = await receivedBy(inProcess);
    expect(overKafka).toEqual(fromStore);
    expect(fromStore.map((event) => event.data)).toEqual([
      { groupId: 'g1', name: 'Finance' },
      { groupId: 'g1', name: 'Accounting', at: '2026-03-01' },
    ]);
    const { events: stored } = await store.readStream('directory.group-g1');
    expect(fromStore.map(({ data: _data, ...envelope }) => envelope)).toEqual(
      stored.map(({ data: _data, ...envelope }) => envelope),
    );
  });

  it('lets an idempotent consumer absorb a batch the relay published twice', async () => {
    await provisionUsers('org_twice', 5);
    const events = (await store.readAll({ filter: { typePrefixes: ['directory.'] } })).filter(
      (event) => event.orgId === 'org_twice',
    );
    // What a relay killed between the broker's acknowledgement and its checkpoint does on restart.
    await transport.publish('directory', events);
    await transport.publish('directory', events);

    const idempotency = await IdempotentConsumer.create(dataSource, { schema });
    await dataSource.query(
      `create table ${schema}.org_users (org_id text primary key, users integer not null)`,
    );
    let deliveries = 0;
    const countUsers = idempotency.handler('org-users', async (event, manager) => {
      await manager.query(
        `insert into ${schema}.org_users values ($1, 1) on conflict (org_id) do update set users = org_users.users + 1`,
        [event.orgId],
      );
    });
    await start(
      transport.consume({
        groupId: groupName('idempotent'),
        contexts: ['directory'],
        handle: async (event) => {
          if (event.orgId !== 'org_twice') return;
          deliveries += 1;
          await countUsers(event);
        },
      }),
    );
    await waitUntil(
      'every copy delivered',
      () => deliveries,
      (count) => count >= 10,
    );

    const [row] = await dataSource.query<{ users: number }[]>(
      `select users from ${schema}.org_users where org_id = 'org_twice'`,
    );
    expect(row?.users).toBe(5);
  });
});
