import { excludeSystemEvents, KurrentDBClient, START } from '@kurrent/kurrentdb-client';
import { createServer } from 'node:net';
import { EventStoreClosedError, WrongExpectedRevisionError } from '../event-store';
import { KurrentDbEventStore } from './kurrentdb-event-store';
import { toClientPosition } from './kurrentdb-mapping';
import { KurrentDbSubscription } from './kurrentdb-subscription';

/** A loopback port nothing listens on: the real client fails its calls there as with a server that is down. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

const metadata = { orgId: 'org_1', actor: { type: 'system', id: 'spec' }, correlationId: 'c' } as const;

describe('KurrentDbEventStore without a reachable server', () => {
  let url: string;
  beforeAll(async () => {
    url = `kurrentdb://127.0.0.1:${await closedPort()}?tls=false`;
  });

  it('needs a connection string or a client', () => {
    expect(() => KurrentDbEventStore.create({})).toThrow(/connectionString or a client/);
  });

  it("fails an append at once with the client's own error, not a revision conflict", async () => {
    const store = KurrentDbEventStore.create({ connectionString: url });
    const append = store.append('s-1', [{ type: 'x.y.z', data: {} }], { expectedRevision: 0, metadata });
    await expect(append).rejects.toThrow(/UNAVAILABLE|Unavailable/);
    await expect(append).rejects.not.toBeInstanceOf(WrongExpectedRevisionError);
    await store.close();
  });

  it('refuses an empty append before it reaches the server', async () => {
    const store = KurrentDbEventStore.create({ connectionString: url });
    await expect(store.append('s-1', [], { metadata })).rejects.toThrow('append needs at least one event');
    await store.close();
  });

  it('refuses a subscription whose checkpoint it cannot load', async () => {
    const store = KurrentDbEventStore.create({ connectionString: url });
    await expect(
      store.subscribe({ subscriptionId: 'spec', handle: () => Promise.resolve() }),
    ).rejects.toThrow();
    await store.close();
  });

  it('refuses every call once closed, and leaves a client it was given open', async () => {
    const client = KurrentDBClient.connectionString(url);
    const store = KurrentDbEventStore.create({ client });
    await store.close();
    await store.close();
    await expect(store.readStream('s-1')).rejects.toBeInstanceOf(EventStoreClosedError);
    await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreClosedError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreClosedError);
    await expect(store.getCheckpoint('spec')).rejects.toBeInstanceOf(EventStoreClosedError);
    expect(store.kurrentDbClient).toBe(client);
    await client.dispose();
  });

  it("keeps reopening the client's $all feed while the server is down, and stops promptly", async () => {
    const client = KurrentDBClient.connectionString(url);
    const errors: unknown[] = [];
    const opened: unknown[] = [];
    const stopped = jest.fn();
    const subscription = new KurrentDbSubscription({
      subscriptionId: 'spec',
      checkpoint: { commit: 100n, prepare: 100n },
      handle: () => Promise.resolve(),
      onError: (error) => errors.push(error),
      open: (after, batchSize) => {
        opened.push(after);
        return client.subscribeToAll(
          { fromPosition: after ? toClientPosition(after) : START, filter: excludeSystemEvents() },
          { highWaterMark: batchSize },
        );
      },
      saveCheckpoint: () => Promise.resolve(),
      onStopped: stopped,
      retryDelayMs: () => 10,
    });
    subscription.start();
    for (let waited = 0; errors.length < 2 && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toMatchObject({ type: 'unavailable' });
    expect(opened.length).toBeGreaterThanOrEqual(2);
    // Every reopened feed starts after the checkpoint, never from the start of $all.
    expect(opened).toEqual(opened.map(() => ({ commit: 100n, prepare: 100n })));
    const began = Date.now();
    await subscription.stop();
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(stopped).toHaveBeenCalledTimes(1);
    await client.dispose();
  });
});
