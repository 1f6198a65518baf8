import { type Decider, DomainError, type Event } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { commandHandler } from './command-handler';
import { WrongExpectedRevisionError } from './event-store';
import { EmbeddedPostgres } from './postgres/embedded-postgres';
import { PostgresEventStore } from './postgres/postgres-event-store';

type Incremented = Event<'test.counter.incremented', { by: number }>;
type Increment = { type: 'Increment'; by: number; max: number };
const counter: Decider<number, Increment, Incremented> = {
  initialState: () => 0,
  decide: ({ by, max }, total) => {
    if (by === 0) return [];
    if (total + by > max) throw new DomainError('conflict', 'TEST_COUNTER_LIMIT', 'Over the limit');
    return [{ type: 'test.counter.incremented', data: { by } }];
  },
  evolve: (total, event) => total + event.data.by,
};
const metadata = { orgId: 'org_test', actor: { type: 'system' as const, id: 'test' }, correlationId: 'c' };

const commandHandlerSuite = (
  name: string,
  connect: () => Promise<{ connectionString: string; stop(): Promise<void> }>,
) =>
  describe(`commandHandler on ${name}`, () => {
    let database: { connectionString: string; stop(): Promise<void> };
    let store: PostgresEventStore;
    let handle: ReturnType<typeof commandHandler<number, Increment, Incremented>>;
    const schema = `handler_${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      database = await connect();
      store = await PostgresEventStore.create({ connectionString: database.connectionString, schema });
      handle = commandHandler(store, counter, { maxAttempts: 50 });
    });
    afterAll(async () => {
      await store.connectionPool.query(`drop schema ${schema} cascade`);
      await store.close();
      await database.stop();
    });

    it('loads, decides and appends, returning the new state and a position', async () => {
      const first = await handle('counter-1', { type: 'Increment', by: 2, max: 10 }, metadata);
      const second = await handle('counter-1', { type: 'Increment', by: 3, max: 10 }, metadata);
      expect(first.newState).toBe(2);
      expect(second).toMatchObject({ newState: 5, nextExpectedRevision: 1 });
      expect(second.position).not.toBeNull();
    });

    it('appends nothing when the decision is empty', async () => {
      const result = await handle('counter-2', { type: 'Increment', by: 0, max: 10 }, metadata);
      expect(result).toMatchObject({ newEvents: [], position: null, nextExpectedRevision: null });
      expect((await store.readStream('counter-2')).currentRevision).toBeNull();
    });

    it('decides again on fresh state when a concurrent writer got there first', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          handle('counter-3', { type: 'Increment', by: 1, max: 100 }, metadata),
        ),
      );
      expect(results.map((result) => result.newState).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      expect((await store.readStream('counter-3')).currentRevision).toBe(9);
    });

    it('enforces an invariant across concurrent commands: never more than the limit', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => handle('counter-4', { type: 'Increment', by: 1, max: 5 }, metadata)),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(3);
    });

    it('returns a conflict when the caller pins an expected revision that moved', async () => {
      await handle('counter-5', { type: 'Increment', by: 1, max: 10 }, metadata);
      await expect(
        handle('counter-5', { type: 'Increment', by: 1, max: 10 }, metadata, {
          expectedRevision: 'no_stream',
        }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    });
  });

commandHandlerSuite('embedded PGlite', () => EmbeddedPostgres.start());
describeWithServices(['postgres'], 'with a PostgreSQL server', ({ postgres }) =>
  commandHandlerSuite('a PostgreSQL server', () =>
    Promise.resolve({ connectionString: postgres, stop: () => Promise.resolve() }),
  ),
);
