import { comparePositions, type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { uuidv7 } from '../uuid';
import { EmbeddedPostgres } from './embedded-postgres';
import { PostgresEventStore } from './postgres-event-store';

const WRITERS = 12;
const APPENDS_PER_WRITER = 120;
const STREAMS = 30;
const metadata = { orgId: 'org_noskip', actor: { type: 'system' as const, id: 'test' }, correlationId: 'c' };

/**
 * Many writers append concurrently — a third of them inside a transaction they keep open for a few
 * milliseconds after the append, so events often commit out of sequence-number order — while a
 * subscriber reads $all. It must see every event exactly once, in strictly increasing position
 * order, and each stream's events in revision order.
 */
const concurrentAppendersAndOneSubscriber = async (store: PostgresEventStore) => {
  const received: RecordedEvent[] = [];
  const subscription = await store.subscribe({
    subscriptionId: `noskip-${randomBytes(4).toString('hex')}`,
    batchSize: 64,
    filter: { types: ['test.noskip.appended'] },
    handle: async (events) => {
      received.push(...events);
      await Promise.resolve();
    },
  });

  const appendedIds: string[] = [];
  const pool = store.connectionPool;
  const writer = async (writerIndex: number) => {
    for (let i = 0; i < APPENDS_PER_WRITER; i++) {
      const stream = `noskip-${randomInt(STREAMS)}`;
      const events = Array.from({ length: 1 + randomInt(3) }, () => ({
        id: uuidv7(),
        type: 'test.noskip.appended',
        data: { writerIndex, i },
      }));
      if (writerIndex % 3 === 0) {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await sleep(randomInt(3));
          await store.appendInTransaction(client, stream, events, { expectedRevision: 'any', metadata });
          await client.query('select pg_current_xact_id()');
          await sleep(randomInt(4));
          await client.query('commit');
        } finally {
          client.release();
        }
        store.notifyAppended();
      } else {
        await store.append(stream, events, { expectedRevision: 'any', metadata });
      }
      appendedIds.push(...events.map((event) => event.id));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, index) => writer(index)));

  const head = await store.headPosition();
  await subscription.waitFor(head!, 30_000);
  await subscription.stop();

  const receivedIds = received.map((event) => event.id);
  expect(new Set(receivedIds).size).toBe(receivedIds.length);
  expect([...receivedIds].sort()).toEqual([...appendedIds].sort());
  for (let i = 1; i < received.length; i++) {
    expect(comparePositions(received[i - 1]!.position, received[i]!.position)).toBeLessThan(0);
  }
  const lastRevision = new Map<string, number>();
  for (const event of received) {
    expect(event.streamRevision).toBeGreaterThan(lastRevision.get(event.stream) ?? -1);
    lastRevision.set(event.stream, event.streamRevision);
  }
  // How often a reader ordering by sequence number alone would have been overtaken (informative).
  const overtaken = received.filter(
    (event, i) => i > 0 && event.position.prepare < received[i - 1]!.position.prepare,
  );
  return { events: received.length, overtaken: overtaken.length };
};

describe('no skipped events on embedded PGlite', () => {
  it('a concurrent subscriber sees every event once, in order', async () => {
    const embedded = await EmbeddedPostgres.start();
    const store = await PostgresEventStore.create({
      connectionString: embedded.connectionString,
      schema: 'noskip',
    });
    try {
      const { events } = await concurrentAppendersAndOneSubscriber(store);
      expect(events).toBeGreaterThanOrEqual(WRITERS * APPENDS_PER_WRITER);
    } finally {
      await store.close();
      await embedded.stop();
    }
  });
});

describeWithServices(['postgres'], 'no skipped events on a PostgreSQL server', ({ postgres }) => {
  const schema = `noskip_${randomBytes(6).toString('hex')}`;
  let store: PostgresEventStore;

  beforeAll(async () => {
    store = await PostgresEventStore.create({ connectionString: postgres, schema, poolSize: 24 });
  });
  afterAll(async () => {
    await store.close();
    const pool = new Pool({ connectionString: postgres, max: 1 });
    await pool.query(`drop schema ${schema} cascade`);
    await pool.end();
  });

  it('refuses an append in a transaction that already wrote, which could reorder its stream', async () => {
    const client = await store.connectionPool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_current_xact_id()');
      await expect(
        store.appendInTransaction(client, 'after-a-write', [{ type: 'test.late', data: {} }], { metadata }),
      ).rejects.toThrow(/first write/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('hides an event that committed early until an older open transaction has committed', async () => {
    const before = await store.headPosition();
    const late = await store.connectionPool.connect();
    try {
      await late.query('begin');
      const lateAppend = await store.appendInTransaction(
        late,
        'scripted-late',
        [{ type: 'test.late', data: {} }],
        {
          metadata,
        },
      );
      const early = await store.append('scripted-early', [{ type: 'test.early', data: {} }], { metadata });
      expect(early.position.prepare).toBeGreaterThan(lateAppend.position.prepare);

      const whileOpen = await store.readAll({ after: before, maxCount: 100 });
      expect(whileOpen.map((event) => event.type)).not.toContain('test.early');

      await late.query('commit');
    } finally {
      late.release();
    }
    const afterCommit = await store.readAll({ after: before, maxCount: 100 });
    expect(afterCommit.map((event) => event.type)).toEqual(['test.late', 'test.early']);
  });

  it('a concurrent subscriber sees every event once, in order', async () => {
    const { events, overtaken } = await concurrentAppendersAndOneSubscriber(store);
    expect(events).toBeGreaterThanOrEqual(WRITERS * APPENDS_PER_WRITER);
    process.stdout.write(
      `no-skip: ${events} events, ${overtaken} committed behind a later sequence number\n`,
    );
  });
});
