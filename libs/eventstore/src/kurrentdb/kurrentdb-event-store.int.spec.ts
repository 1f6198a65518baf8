import { BACKWARDS, END, jsonEvent } from '@kurrent/kurrentdb-client';
import { comparePositions, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { randomUUID } from 'node:crypto';
import { type AppendMetadata } from '../event-store';
import { eventStoreContract } from '../testing/event-store-contract';
import { KurrentDbEventStore } from './kurrentdb-event-store';
import { CHECKPOINT_EVENT_TYPE } from './kurrentdb-mapping';

const metadata = (): AppendMetadata => ({
  orgId: 'org_kurrentdb',
  actor: { type: 'service', id: 'kurrentdb-spec' },
  correlationId: randomUUID(),
  causationId: 'cause-1',
});

describeWithServices(['eventstoredb'], 'on a KurrentDB server', ({ eventstoredb }) => {
  eventStoreContract('KurrentDB adapter', () => {
    const store = KurrentDbEventStore.create({ connectionString: eventstoredb });
    return Promise.resolve({ store, dispose: () => store.close() });
  });

  describe('KurrentDB adapter specifics', () => {
    let store: KurrentDbEventStore;
    let stream: string;
    let type: string;

    beforeAll(() => {
      store = KurrentDbEventStore.create({ connectionString: eventstoredb });
    });
    afterAll(() => store.close());
    beforeEach(() => {
      const id = randomUUID().replaceAll('-', '');
      stream = `kurrentdb-${id}`;
      type = `test.kdb${id}.happened`;
    });

    const ours = (events: RecordedEvent[]) => events.filter((event) => event.type === type);

    it('keeps the envelope in the event metadata, readable by any KurrentDB client', async () => {
      const meta = metadata();
      await store.append(stream, [{ type, data: { n: 1 } }], {
        expectedRevision: 'no_stream',
        metadata: meta,
      });
      const raw = [];
      for await (const resolved of store.kurrentDbClient.readStream(stream)) raw.push(resolved.event);
      expect(raw).toHaveLength(1);
      expect(raw[0]).toMatchObject({
        type,
        isJson: true,
        data: { n: 1 },
        metadata: {
          orgId: 'org_kurrentdb',
          actor: { type: 'service', id: 'kurrentdb-spec' },
          correlationId: meta.correlationId,
          $correlationId: meta.correlationId,
          causationId: 'cause-1',
          $causationId: 'cause-1',
          schemaVersion: 1,
        },
      });
    });

    it('returns, for an append of many events, the $all position of its last event', async () => {
      const before = await store.headPosition();
      const result = await store.append(
        stream,
        [1, 2, 3].map((n) => ({ type, data: { n } })),
        {
          expectedRevision: 'no_stream',
          metadata: metadata(),
        },
      );
      const fromAll = ours(await store.readAll({ after: before, maxCount: 10_000 }));
      const fromStream = (await store.readStream(stream)).events;
      expect(fromAll.map((event) => event.position)).toEqual(fromStream.map((event) => event.position));
      expect(comparePositions(fromAll[2]!.position, result.position)).toBe(0);
      expect(result.nextExpectedRevision).toBe(2);
    });

    it('pages readAll past the events only the client-side filter drops, up to the count asked for', async () => {
      const noise = `${type}.noise`;
      const before = await store.headPosition();
      for (let n = 0; n < 6; n += 1) {
        await store.append(stream, [{ type: n % 2 === 0 ? type : noise, data: { n } }], {
          expectedRevision: n === 0 ? 'no_stream' : n - 1,
          metadata: metadata(),
        });
      }
      // The server narrows by the types; only the client applies the prefix, which only `noise` passes.
      const filter = { types: [type, noise], typePrefixes: [`${type}.`] };
      const page = await store.readAll({ after: before, maxCount: 2, filter });
      expect(page.map((event) => event.data)).toEqual([{ n: 1 }, { n: 3 }]);
      const next = await store.readAll({ after: page[1]!.position, maxCount: 2, filter });
      expect(next.map((event) => event.data)).toEqual([{ n: 5 }]);
    });

    it('hides system events and checkpoints from readAll and headPosition', async () => {
      const appended = await store.append(stream, [{ type, data: { n: 1 } }], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      await store.kurrentDbClient.setStreamMetadata(stream, { maxAge: 86_400 });
      const subscription = await store.subscribe({
        subscriptionId: `hide-${stream}`,
        filter: { types: [type] },
        handle: () => Promise.resolve(),
      });
      await subscription.waitFor(appended.position, 10_000);
      await subscription.stop();

      const head = await store.headPosition();
      expect(head).toEqual(appended.position);
      const after = await store.readAll({ after: appended.position, maxCount: 100 });
      expect(after.filter((event) => event.type.startsWith('$') || event.stream.startsWith('$'))).toEqual([]);
      expect(after.filter((event) => event.stream.startsWith('mandate-checkpoint-'))).toEqual([]);
    });

    it('stores each checkpoint in KurrentDB itself, keeping only the newest', async () => {
      const subscriptionId = `stored-${stream}`;
      let last: GlobalPosition | null = null;
      for (let n = 0; n < 3; n += 1) {
        last = (
          await store.append(stream, [{ type, data: { n } }], {
            expectedRevision: n === 0 ? 'no_stream' : n - 1,
            metadata: metadata(),
          })
        ).position;
      }
      const subscription = await store.subscribe({
        subscriptionId,
        handle: () => Promise.resolve(),
        batchSize: 1,
      });
      await subscription.waitFor(last!, 10_000);
      await subscription.stop();

      const checkpointStream = `mandate-checkpoint-${subscriptionId}`;
      const { metadata: streamMetadata } = await store.kurrentDbClient.getStreamMetadata(checkpointStream);
      expect(streamMetadata).toMatchObject({ maxCount: 1 });
      const newest = [];
      for await (const resolved of store.kurrentDbClient.readStream(checkpointStream, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        newest.push(resolved.event);
      }
      expect(newest[0]?.type).toBe(CHECKPOINT_EVENT_TYPE);
      const checkpoint = await store.getCheckpoint(subscriptionId);
      expect(checkpoint).toEqual(subscription.checkpoint);
      expect(comparePositions(checkpoint!, last!)).toBeGreaterThanOrEqual(0);
    });

    it("refuses to append to another organization's stream, whatever the expectation", async () => {
      await store.append(stream, [{ type, data: { n: 0 } }], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const intruder = { ...metadata(), orgId: 'org_other' };
      for (const expectedRevision of [0, 'any', 'stream_exists'] as const) {
        await expect(
          store.append(stream, [{ type, data: { n: 1 } }], { expectedRevision, metadata: intruder }),
        ).rejects.toMatchObject({
          code: 'EVENTSTORE_STREAM_ORGANIZATION_MISMATCH',
          stream,
          orgId: 'org_other',
        });
      }
      expect((await store.readStream(stream)).currentRevision).toBe(0);
    });

    it("keeps 'any' appends succeeding while concurrent writers move the stream on", async () => {
      await store.append(stream, [{ type, data: { n: 0 } }], {
        expectedRevision: 'no_stream',
        metadata: metadata(),
      });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, n) =>
          store.append(stream, [{ type, data: { n: n + 1 } }], {
            expectedRevision: 'any',
            metadata: metadata(),
          }),
        ),
      );
      expect(results.map((result) => result.nextExpectedRevision).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      expect((await store.readStream(stream)).currentRevision).toBe(10);
    });

    it('refuses, with a coded error, an event written without the envelope', async () => {
      await store.kurrentDbClient.appendToStream(stream, jsonEvent({ type, data: { n: 1 } }));
      await expect(store.readStream(stream)).rejects.toMatchObject({
        code: 'EVENTSTORE_UNREADABLE_EVENT',
        stream,
      });
    });

    it('delivers every event of concurrent appenders to a subscription, in $all order', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          store.append(`${stream}-${n}`, [{ type, data: { n } }], {
            expectedRevision: 'no_stream',
            metadata: metadata(),
          }),
        ),
      );
      const highest = results
        .map((result) => result.position)
        .reduce((a, b) => (comparePositions(a, b) >= 0 ? a : b));
      const seen: RecordedEvent[] = [];
      const subscription = await store.subscribe({
        subscriptionId: `concurrent-${stream}`,
        filter: { types: [type] },
        handle: (events) => {
          seen.push(...events);
          return Promise.resolve();
        },
      });
      await subscription.waitFor(highest, 20_000);
      await subscription.stop();
      expect(seen).toHaveLength(20);
      const positions = seen.map((event) => event.position);
      expect([...positions].sort(comparePositions)).toEqual(positions);
    });
  });
});
