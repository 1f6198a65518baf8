import { defineIntegrationEvent } from '@mandate/contracts';
import { PostgresEventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { type DataSource } from 'typeorm';
import { z } from 'zod';
import { PostgresDeadLetterSink } from '../postgres/postgres-dead-letter-sink';
import { createTestSchema, describeOnDatabases } from '../testing/databases';
import { RecordingLogger } from '../testing/recording-logger';
import { waitUntil } from '../testing/wait-until';
import { consumerSubscriptionId, InProcessTransport } from './in-process-transport';

jest.setTimeout(60_000);

defineIntegrationEvent('authz.sample.granted', 1, z.object({ mandateId: z.string(), scope: z.string() }));

const actor = { type: 'user', id: 'user_admin' } as const;

describeOnDatabases('InProcessTransport over the event store', (connectionString) => {
  let dataSource: DataSource;
  let schema: string;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  let deadLetters: PostgresDeadLetterSink;
  const logger = new RecordingLogger();

  const transport = () =>
    new InProcessTransport({
      eventStoreFor: () => store,
      deadLetters,
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      batchSize: 7,
      logger,
    });

  const grant = (orgId: string, mandate: string, sequence: number, scope: unknown = `scope-${sequence}`) =>
    store.append(
      `authz.mandate-${mandate}`,
      [{ type: 'authz.sample.granted', data: { mandateId: mandate, scope, sequence } }],
      { metadata: { orgId, actor, correlationId: `corr-${mandate}` } },
    );

  beforeAll(async () => {
    ({ dataSource, schema, drop } = await createTestSchema(connectionString()));
    store = await PostgresEventStore.create({
      connectionString: connectionString(),
      schema,
      pollIntervalMs: 20,
    });
    deadLetters = await PostgresDeadLetterSink.create(dataSource, { schema });
  });
  afterAll(async () => {
    await store?.close();
    await drop();
  });

  it('delivers every organization’s events in order, and a restarted group resumes after its checkpoint', async () => {
    const organizations = ['org_a', 'org_b', 'org_c'];
    for (let sequence = 0; sequence < 20; sequence += 1)
      for (const orgId of organizations) await grant(orgId, `${orgId}-m${sequence % 2}`, sequence);
    await store.append('directory.user-u1', [{ type: 'directory.sample.recorded', data: {} }], {
      metadata: { orgId: 'org_a', actor, correlationId: 'c' },
    });

    const received: RecordedEvent[] = [];
    const handle = (event: RecordedEvent) => Promise.resolve(void received.push(event));
    const first = await transport().consume({ groupId: 'authz-readers', contexts: ['authz'], handle });
    await waitUntil(
      'sixty grants',
      () => received.length,
      (count) => count >= 60,
    );
    await first.stop();

    expect(received).toHaveLength(60);
    for (const orgId of organizations) {
      const sequences = received
        .filter((event) => event.orgId === orgId)
        .map((event) => (event.data as { sequence?: number }).sequence);
      // The schema's output: fields it does not declare are not delivered.
      expect(sequences.every((sequence) => sequence === undefined)).toBe(true);
      expect(
        received
          .filter((event) => event.orgId === orgId)
          .map((event) => (event.data as { scope: string }).scope),
      ).toEqual(Array.from({ length: 20 }, (_, sequence) => `scope-${sequence}`));
    }
    // The checkpoint passes the directory event the filter skipped, too.
    expect(await store.getCheckpoint(consumerSubscriptionId('authz-readers', 'authz'))).toEqual(
      await store.headPosition(),
    );

    await grant('org_a', 'org_a-m9', 20);
    const resumed = await transport().consume({ groupId: 'authz-readers', contexts: ['authz'], handle });
    await waitUntil(
      'the new grant',
      () => received.length,
      (count) => count >= 61,
    );
    await resumed.stop();
    expect(received.slice(60).map((event) => event.stream)).toEqual(['authz.mandate-org_a-m9']);
  });

  it('parks an event with invalid data in the dead-letter table and moves on', async () => {
    const bad = await grant('org_d', 'org_d-bad', 0, 42);
    await grant('org_d', 'org_d-good', 1);
    const received: RecordedEvent[] = [];
    const consumer = await transport().consume({
      groupId: 'authz-parking',
      contexts: ['authz'],
      handle: (event) => Promise.resolve(void received.push(event)),
    });
    await waitUntil(
      'the good grant',
      () => received.some((event) => event.stream === 'authz.mandate-org_d-good'),
      Boolean,
    );
    await consumer.stop();

    const parked = await deadLetters.list('authz-parking');
    expect(parked).toEqual([
      expect.objectContaining({
        consumerGroup: 'authz-parking',
        reason: 'malformed',
        errorCode: 'CONTRACTS_INVALID_DATA',
        attempts: 0,
        origin: {
          kind: 'event-store',
          subscriptionId: 'consumer:authz-parking:authz',
          position: `${bad.position.commit}-${bad.position.prepare}`,
        },
        headers: expect.objectContaining({ ce_subject: 'authz.mandate-org_d-bad' }) as unknown,
      }),
    ]);
    expect(JSON.parse(parked[0]!.value!)).toMatchObject({
      stream: 'authz.mandate-org_d-bad',
      data: { scope: 42 },
    });
  });
});
