import { comparePositions, type GlobalPosition } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError } from 'pg';
import { type AppendOptions, type AppendResult, WrongExpectedRevisionError } from '../event-store';
import { uuidv7 } from '../uuid';
import { EmbeddedPostgres } from './embedded-postgres';
import { PostgresEventStore, StreamOrganizationMismatchError } from './postgres-event-store';

const metadata = { orgId: 'org_group', actor: { type: 'system' as const, id: 'test' }, correlationId: 'c' };
const at = (expectedRevision: AppendOptions['expectedRevision']): AppendOptions => ({
  expectedRevision,
  metadata,
});
const thing = (n: number, id?: string) => ({ type: 'test.group.thing', data: { n }, ...(id ? { id } : {}) });
const fulfilled = <T>(outcomes: PromiseSettledResult<T>[]) =>
  outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
const rejected = <T>(outcomes: PromiseSettledResult<T>[]): unknown[] =>
  outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));

interface Database {
  readonly connectionString: string;
  stop(): Promise<void>;
}

const groupCommitSuite = (name: string, connect: () => Promise<Database>) =>
  describe(`group commit on ${name}`, () => {
    let database: Database;
    /** Default settings: up to 4 groups in flight. */
    let store: PostgresEventStore;
    /** One group at a time, so a burst submitted while a group is in flight forms the next group. */
    let serial: PostgresEventStore;
    const schema = `group_${randomBytes(6).toString('hex')}`;
    let prefix: string;

    beforeAll(async () => {
      database = await connect();
      store = await PostgresEventStore.create({ connectionString: database.connectionString, schema });
      serial = await PostgresEventStore.create({
        connectionString: database.connectionString,
        schema,
        groupCommit: { maxConcurrentGroups: 1 },
      });
    });
    afterAll(async () => {
      await store.connectionPool.query(`drop schema ${schema} cascade`);
      await Promise.all([store.close(), serial.close()]);
      await database.stop();
    });
    beforeEach(() => {
      prefix = `g-${randomUUID()}`;
    });

    /** Appends `burst` as one group of `serial`: a first append keeps the only committer busy meanwhile. */
    const inOneGroup = async (burst: (() => Promise<AppendResult>)[]) => {
      const blocker = serial.append(`${prefix}-blocker`, [thing(0)], at('any'));
      const outcomes = Promise.allSettled(burst.map((append) => append()));
      await blocker;
      return outcomes;
    };

    it('runs concurrent appends to one stream one after the other, in call order', async () => {
      const results = await Promise.all([
        ...Array.from({ length: 20 }, (_, n) =>
          store.append(`${prefix}-hot`, [thing(n)], at(n === 0 ? 'no_stream' : n - 1)),
        ),
        ...Array.from({ length: 20 }, (_, n) => store.append(`${prefix}-${n}`, [thing(n)], at('no_stream'))),
      ]);
      expect(results.slice(0, 20).map((result) => result.nextExpectedRevision)).toEqual(
        Array.from({ length: 20 }, (_, n) => n),
      );
      const { events } = await store.readStream(`${prefix}-hot`);
      expect(events.map((event) => event.data)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })));
      // The other streams' appends shared transactions.
      expect(new Set(results.map((result) => result.position.commit)).size).toBeLessThan(results.length);
    });

    it('lets exactly one of many concurrent writers at the same revision win, on every stream', async () => {
      const streams = Array.from({ length: 5 }, (_, s) => `${prefix}-${s}`);
      await Promise.all(streams.map((stream) => store.append(stream, [thing(0)], at('no_stream'))));
      const outcomes = await Promise.all(
        streams.map((stream) =>
          Promise.allSettled(
            Array.from({ length: 8 }, (_, n) => store.append(stream, [thing(n + 1)], at(0))),
          ),
        ),
      );
      for (const [s, perStream] of outcomes.entries()) {
        expect(fulfilled(perStream)).toHaveLength(1);
        for (const reason of rejected(perStream)) {
          expect(reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(reason).toMatchObject({ stream: streams[s], expected: 0, actual: 1 });
        }
        expect((await store.readStream(streams[s]!)).currentRevision).toBe(1);
      }
    });

    it('refuses the conflicting appends of a group alone and commits the others together', async () => {
      await store.append(`${prefix}-existing`, [thing(0)], at('no_stream'));
      await store.append(`${prefix}-foreign`, [thing(0)], { metadata: { ...metadata, orgId: 'org_other' } });
      const outcomes = await inOneGroup([
        ...Array.from(
          { length: 5 },
          (_, n) => () => serial.append(`${prefix}-${n}`, [thing(n)], at('no_stream')),
        ),
        () => serial.append(`${prefix}-existing`, [thing(1)], at(3)),
        () => serial.append(`${prefix}-existing-too`, [thing(1)], at('stream_exists')),
        () => serial.append(`${prefix}-foreign`, [thing(1)], at('any')),
        ...Array.from(
          { length: 5 },
          (_, n) => () => serial.append(`${prefix}-${n + 5}`, [thing(n), thing(n)], at('any')),
        ),
      ]);
      const committed = [...outcomes.slice(0, 5), ...outcomes.slice(8)];
      expect(fulfilled(committed)).toHaveLength(10);
      expect(new Set(fulfilled(committed).map((result) => result.position.commit)).size).toBe(1);
      expect(rejected(outcomes.slice(5, 6))[0]).toMatchObject({
        name: 'WrongExpectedRevisionError',
        actual: 0,
      });
      expect(rejected(outcomes.slice(6, 7))[0]).toMatchObject({
        name: 'WrongExpectedRevisionError',
        actual: null,
      });
      expect(rejected(outcomes.slice(7, 8))[0]).toBeInstanceOf(StreamOrganizationMismatchError);
      expect((await store.readStream(`${prefix}-existing`)).currentRevision).toBe(0);
      expect((await store.readStream(`${prefix}-foreign`)).currentRevision).toBe(0);
      expect((await store.readStream(`${prefix}-9`)).events.map((event) => event.streamRevision)).toEqual([
        0, 1,
      ]);
    });

    it('fails only the append carrying a duplicate event id; the rest of its group is committed', async () => {
      const taken = uuidv7();
      const twice = uuidv7();
      await store.append(`${prefix}-first`, [thing(0, taken)], at('no_stream'));
      const outcomes = await inOneGroup([
        ...Array.from(
          { length: 4 },
          (_, n) => () => serial.append(`${prefix}-${n}`, [thing(n)], at('no_stream')),
        ),
        () => serial.append(`${prefix}-dup`, [thing(1), thing(2, taken)], at('no_stream')),
        () => serial.append(`${prefix}-twice-a`, [thing(3, twice)], at('no_stream')),
        () => serial.append(`${prefix}-twice-b`, [thing(3, twice)], at('no_stream')),
        ...Array.from(
          { length: 4 },
          (_, n) => () => serial.append(`${prefix}-${n + 4}`, [thing(n)], at('no_stream')),
        ),
      ]);
      expect(fulfilled([...outcomes.slice(0, 4), ...outcomes.slice(7)])).toHaveLength(8);
      const duplicate = rejected(outcomes.slice(4, 5))[0];
      expect(duplicate).toBeInstanceOf(DatabaseError);
      expect(duplicate).toMatchObject({ code: '23505' });
      expect(await store.readStream(`${prefix}-dup`)).toEqual({ events: [], currentRevision: null });
      // Two appends of one group carrying the same new id: they were concurrent, so either may win.
      expect(fulfilled(outcomes.slice(5, 7))).toHaveLength(1);
      expect(rejected(outcomes.slice(5, 7))[0]).toMatchObject({ code: '23505' });
    });

    it("keeps every stream's events in revision order in $all under concurrent grouped appends", async () => {
      const before: GlobalPosition | null = await store.headPosition();
      const streams = Array.from({ length: 4 }, (_, s) => `${prefix}-${s}`);
      const appended: string[] = [];
      const commits = new Set<bigint>();
      // Grouped appends from two stores (as from two processes) race on the same streams with
      // appends in transactions kept open a little while, which hold their stream's lock.
      const writer = async (index: number) => {
        for (let i = 0; i < 40; i++) {
          const stream = streams[randomInt(streams.length)]!;
          const events = Array.from({ length: 1 + randomInt(3) }, () => ({ ...thing(i), id: uuidv7() }));
          if (index % 4 === 3) {
            const client = await store.connectionPool.connect();
            try {
              await client.query('begin');
              await store.appendInTransaction(client, stream, events, at('any'));
              await sleep(randomInt(3));
              await client.query('commit');
            } finally {
              client.release();
            }
          } else {
            const result = await (index % 2 ? serial : store).append(stream, events, at('any'));
            commits.add(result.position.commit);
          }
          appended.push(...events.map((event) => event.id));
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, index) => writer(index)));
      expect(commits.size).toBeLessThan(12 * 40);

      const mine = (await store.readAll({ after: before, maxCount: 1_000_000 })).filter((event) =>
        event.stream.startsWith(prefix),
      );
      expect(mine.map((event) => event.id).sort()).toEqual([...appended].sort());
      for (let i = 1; i < mine.length; i++) {
        expect(comparePositions(mine[i - 1]!.position, mine[i]!.position)).toBeLessThan(0);
      }
      const next = new Map<string, number>();
      for (const event of mine) {
        expect(event.streamRevision).toBe(next.get(event.stream) ?? 0);
        next.set(event.stream, event.streamRevision + 1);
      }
    });
  });

groupCommitSuite('embedded PGlite', () => EmbeddedPostgres.start());

describeWithServices(['postgres'], 'group commit on a PostgreSQL server', ({ postgres }) => {
  groupCommitSuite('a PostgreSQL server', () =>
    // The suite drops its schema; a shared server has nothing else to stop.
    Promise.resolve({ connectionString: postgres, stop: () => Promise.resolve() }),
  );
});
