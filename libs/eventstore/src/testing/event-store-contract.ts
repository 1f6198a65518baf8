import { type Actor, comparePositions, type RecordedEvent } from '@mandate/kernel';
import { randomUUID } from 'node:crypto';
import { type AppendMetadata, type EventStore, WrongExpectedRevisionError } from '../event-store';

export interface EventStoreUnderTest {
  readonly store: EventStore;
  dispose(): Promise<void>;
}

const actor: Actor = { type: 'system', id: 'contract-suite' };
const metadata = (overrides: Partial<AppendMetadata> = {}): AppendMetadata => ({
  orgId: 'org_contract',
  actor,
  correlationId: randomUUID(),
  ...overrides,
});
const thing = (n: number) => ({ type: 'test.thing.happened', data: { n } });

/**
 * The behaviour every EventStore adapter must show. Each test works on streams of its own, so the
 * suite can share one store (and one server) with other suites.
 */
export const eventStoreContract = (name: string, factory: () => Promise<EventStoreUnderTest>): void => {
  describe(`EventStore contract: ${name}`, () => {
    let underTest: EventStoreUnderTest;
    let store: EventStore;
    let stream: string;

    beforeAll(async () => {
      underTest = await factory();
      store = underTest.store;
    });
    afterAll(async () => underTest.dispose());
    beforeEach(() => {
      stream = `contract-${randomUUID()}`;
    });

    it('appends to a new stream and reads back every envelope field', async () => {
      const occurredAt = new Date('2026-01-02T03:04:05.678Z');
      const meta = metadata({
        causationId: 'req-1',
        occurredAt,
        actor: { type: 'agent', id: 'a1', onBehalfOf: 'u1' },
      });
      const result = await store.append(
        stream,
        [{ ...thing(1), id: '01890a5d-ac96-774b-bcce-b302099a8057', schemaVersion: 2 }, thing(2)],
        { expectedRevision: 'no_stream', metadata: meta },
      );
      expect(result.nextExpectedRevision).toBe(1);

      const { events, currentRevision } = await store.readStream(stream);
      expect(currentRevision).toBe(1);
      expect(events).toHaveLength(2);
      const [first, second] = events as [RecordedEvent, RecordedEvent];
      expect(first).toMatchObject({
        id: '01890a5d-ac96-774b-bcce-b302099a8057',
        type: 'test.thing.happened',
        schemaVersion: 2,
        orgId: 'org_contract',
        stream,
        streamRevision: 0,
        actor: { type: 'agent', id: 'a1', onBehalfOf: 'u1' },
        causationId: 'req-1',
        correlationId: meta.correlationId,
        data: { n: 1 },
      });
      expect(first.occurredAt.toISOString()).toBe(occurredAt.toISOString());
      expect(second.schemaVersion).toBe(1);
      expect(second.streamRevision).toBe(1);
      expect(second.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(comparePositions(first.position, second.position)).toBeLessThan(0);
      expect(comparePositions(second.position, result.position)).toBe(0);
    });

    it('appends at the expected revision and refuses a stale one with a typed conflict, writing nothing', async () => {
      await store.append(stream, [thing(1)], { expectedRevision: 'no_stream', metadata: metadata() });
      await store.append(stream, [thing(2)], { expectedRevision: 0, metadata: metadata() });

      const stale = store.append(stream, [thing(3)], { expectedRevision: 0, metadata: metadata() });
      await expect(stale).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(stale).rejects.toMatchObject({ stream, expected: 0, actual: 1 });

      const existing = store.append(stream, [thing(3)], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      await expect(existing).rejects.toMatchObject({ code: 'EVENTSTORE_WRONG_EXPECTED_REVISION', actual: 1 });
      expect((await store.readStream(stream)).events.map((event) => event.data)).toEqual([
        { n: 1 },
        { n: 2 },
      ]);
    });

    it('refuses an expected revision on a stream that does not exist', async () => {
      await expect(
        store.append(stream, [thing(1)], { expectedRevision: 0, metadata: metadata() }),
      ).rejects.toMatchObject({ actual: null });
      await expect(
        store.append(stream, [thing(1)], { expectedRevision: 'stream_exists', metadata: metadata() }),
      ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(stream)).toEqual({ events: [], currentRevision: null });
    });

    it("appends with 'any' and 'stream_exists' whatever the revision", async () => {
      await store.append(stream, [thing(1)], { expectedRevision: 'any', metadata: metadata() });
      await store.append(stream, [thing(2), thing(3)], { expectedRevision: 'any', metadata: metadata() });
      const result = await store.append(stream, [thing(4)], {
        expectedRevision: 'stream_exists',
        metadata: metadata(),
      });
      expect(result.nextExpectedRevision).toBe(3);
      expect((await store.readStream(stream)).events.map((event) => event.streamRevision)).toEqual([
        0, 1, 2, 3,
      ]);
    });

    it('lets exactly one of many concurrent writers at the same revision win', async () => {
      await store.append(stream, [thing(0)], { expectedRevision: 'no_stream', metadata: metadata() });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, n) =>
          store.append(stream, [thing(n + 1)], { expectedRevision: 0, metadata: metadata() }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
        expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect((await store.readStream(stream)).currentRevision).toBe(1);
    });

    it('reads a stream from a revision, bounded by a count', async () => {
      await store.append(stream, [1, 2, 3, 4, 5].map(thing), {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const { events, currentRevision } = await store.readStream(stream, { fromRevision: 2, maxCount: 2 });
      expect(events.map((event) => event.data)).toEqual([{ n: 3 }, { n: 4 }]);
      expect(currentRevision).toBe(4);
    });

    it('reads $all after a position, in append order, with a type filter', async () => {
      const other = `${stream}-other`;
      const before = await store.headPosition();
      await store.append(stream, [thing(1)], { expectedRevision: 'no_stream', metadata: metadata() });
      await store.append(other, [{ type: 'test.other.happened', data: { n: 2 } }], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const last = await store.append(stream, [thing(3)], { expectedRevision: 0, metadata: metadata() });

      const mine = (events: RecordedEvent[]) => events.filter((event) => event.stream.startsWith(stream));
      const all = mine(await store.readAll({ after: before, maxCount: 10_000 }));
      expect(all.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(comparePositions(all[2]!.position, last.position)).toBe(0);

      const afterFirst = mine(await store.readAll({ after: all[0]!.position, maxCount: 10_000 }));
      expect(afterFirst.map((event) => event.data)).toEqual([{ n: 2 }, { n: 3 }]);

      const filtered = mine(
        await store.readAll({ after: before, maxCount: 10_000, filter: { types: ['test.other.happened'] } }),
      );
      expect(filtered.map((event) => event.data)).toEqual([{ n: 2 }]);
      const byPrefix = mine(
        await store.readAll({ after: before, maxCount: 10_000, filter: { typePrefixes: ['test.thing.'] } }),
      );
      expect(byPrefix.map((event) => event.data)).toEqual([{ n: 1 }, { n: 3 }]);

      const head = await store.headPosition();
      expect(head && comparePositions(head, last.position)).toBeGreaterThanOrEqual(0);
    });

    it('delivers old and new events to a durable subscription that resumes after its checkpoint', async () => {
      const subscriptionId = `sub-${stream}`;
      const seen: number[] = [];
      const handle = (events: RecordedEvent[]) => {
        for (const event of events) if (event.stream === stream) seen.push((event.data as { n: number }).n);
        return Promise.resolve();
      };
      await store.append(stream, [thing(1), thing(2)], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const head = await store.headPosition();
      const first = await store.subscribe({
        subscriptionId,
        handle,
        filter: { typePrefixes: ['test.thing.'] },
      });
      const appended = await store.append(stream, [thing(3)], { expectedRevision: 1, metadata: metadata() });
      await first.waitFor(appended.position, 10_000);
      await first.stop();
      expect(seen.slice(-3)).toEqual([1, 2, 3]);
      expect(head).not.toBeNull();

      const checkpoint = await store.getCheckpoint(subscriptionId);
      expect(checkpoint && comparePositions(checkpoint, appended.position)).toBeGreaterThanOrEqual(0);

      seen.length = 0;
      const more = await store.append(stream, [thing(4)], { expectedRevision: 2, metadata: metadata() });
      const second = await store.subscribe({ subscriptionId, handle });
      await second.waitFor(more.position, 10_000);
      await second.stop();
      expect(seen).toEqual([4]);
    });

    it('redelivers a batch whose handler failed, then moves on', async () => {
      const attempts: number[] = [];
      const errors: unknown[] = [];
      await store.append(stream, [thing(1)], { expectedRevision: 'no_stream', metadata: metadata() });
      const appended = await store.append(stream, [thing(2)], { expectedRevision: 0, metadata: metadata() });
      const subscription = await store.subscribe({
        subscriptionId: `failing-${stream}`,
        handle: async (events) => {
          for (const event of events) {
            if (event.stream !== stream) continue;
            const n = (event.data as { n: number }).n;
            attempts.push(n);
            if (n === 2 && attempts.filter((a) => a === 2).length < 3) throw new Error('transient');
          }
          await Promise.resolve();
        },
        onError: (error) => errors.push(error),
      });
      await subscription.waitFor(appended.position, 15_000);
      await subscription.stop();
      expect(attempts.filter((a) => a === 2)).toHaveLength(3);
      expect(errors).toHaveLength(2);
    });

    it('times out a wait for a position that never comes, with a clear error', async () => {
      const appended = await store.append(stream, [thing(1)], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const subscription = await store.subscribe({
        subscriptionId: `wait-${stream}`,
        handle: () => Promise.resolve(),
      });
      const future = { commit: appended.position.commit + 1_000_000_000n, prepare: 0n };
      await expect(subscription.waitFor(future, 200)).rejects.toMatchObject({
        code: 'EVENTSTORE_SUBSCRIPTION_LAG_TIMEOUT',
      });
      await subscription.stop();
    });
  });
};
