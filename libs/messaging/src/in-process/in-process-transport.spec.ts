import { type Context, defineIntegrationEvent } from '@mandate/contracts';
import {
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  matchesFilter,
  type ReadAllOptions,
  type ReadStreamResult,
  type SubscribeOptions,
  type Subscription,
  uuidv7,
} from '@mandate/eventstore';
import { comparePositions, type Event, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type DeadLetter } from '../delivery/dead-letter';
import { RecordingLogger } from '../testing/recording-logger';
import { waitUntil } from '../testing/wait-until';
import { consumerSubscriptionId, InProcessTransport } from './in-process-transport';

defineIntegrationEvent('authz.sample.assigned', 1, z.object({ roleId: z.string() }));

/** Just enough of an event store for these tests: ordered, durable checkpoints, subscriptions that poll. */
class InMemoryEventStore implements EventStore {
  readonly events: RecordedEvent[] = [];
  readonly checkpoints = new Map<string, GlobalPosition>();

  append<E extends Event>(
    stream: string,
    events: readonly EventToAppend<E>[],
    { metadata }: AppendOptions,
  ): Promise<AppendResult> {
    let revision = this.events.filter((event) => event.stream === stream).length - 1;
    for (const event of events) {
      revision += 1;
      this.events.push({
        id: event.id ?? uuidv7(),
        type: event.type,
        schemaVersion: event.schemaVersion ?? 1,
        orgId: metadata.orgId,
        stream,
        streamRevision: revision,
        position: { commit: BigInt(this.events.length + 1), prepare: 0n },
        occurredAt: metadata.occurredAt ?? new Date('2026-03-01T10:00:00.000Z'),
        actor: metadata.actor,
        causationId: metadata.causationId ?? null,
        correlationId: metadata.correlationId,
        data: event.data,
      });
    }
    return Promise.resolve({ nextExpectedRevision: revision, position: this.events.at(-1)!.position });
  }

  readStream<E extends Event = Event>(): Promise<ReadStreamResult<E>> {
    return Promise.reject(new Error('not needed here'));
  }

  readAll({ after, maxCount = Infinity, filter }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return Promise.resolve(
      this.events
        .filter((event) => !after || comparePositions(event.position, after) > 0)
        .filter((event) => matchesFilter(event.type, filter))
        .slice(0, maxCount),
    );
  }

  headPosition(): Promise<GlobalPosition | null> {
    return Promise.resolve(this.events.at(-1)?.position ?? null);
  }

  subscribe({
    subscriptionId,
    filter,
    handle,
    batchSize = 2,
    onError,
  }: SubscribeOptions): Promise<Subscription> {
    const checkpoints = this.checkpoints;
    let running = true;
    const loop = (async () => {
      await sleep(0);
      while (running) {
        const after = checkpoints.get(subscriptionId) ?? null;
        const page = this.events
          .filter((event) => !after || comparePositions(event.position, after) > 0)
          .slice(0, batchSize);
        try {
          const matching = page.filter((event) => matchesFilter(event.type, filter));
          if (matching.length > 0) await handle(matching);
          if (page.length > 0) checkpoints.set(subscriptionId, page.at(-1)!.position);
        } catch (error) {
          onError?.(error, page);
        }
        await sleep(page.length > 0 ? 0 : 2);
      }
    })();
    return Promise.resolve({
      subscriptionId,
      get checkpoint() {
        return checkpoints.get(subscriptionId) ?? null;
      },
      waitFor: () => Promise.reject(new Error('not needed here')),
      stop: async () => {
        running = false;
        await loop;
      },
    });
  }

  getCheckpoint(subscriptionId: string): Promise<GlobalPosition | null> {
    return Promise.resolve(this.checkpoints.get(subscriptionId) ?? null);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const actor = { type: 'service', id: 'test' } as const;

const append = (store: EventStore, orgId: string, stream: string, type: string, data: unknown) =>
  store.append(stream, [{ type, data }], { metadata: { orgId, actor, correlationId: `corr-${stream}` } });

describe('InProcessTransport', () => {
  const setUp = (handlerFailures: (event: RecordedEvent) => boolean = () => false) => {
    const directory = new InMemoryEventStore();
    const authz = new InMemoryEventStore();
    const parked: DeadLetter[] = [];
    const logger = new RecordingLogger();
    const transport = new InProcessTransport({
      eventStoreFor: (context: Context) => (context === 'authz' ? authz : directory),
      deadLetters: { park: (letter) => Promise.resolve(void parked.push(letter)) },
      retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      batchSize: 2,
      logger,
    });
    const received: RecordedEvent[] = [];
    const handle = (event: RecordedEvent) =>
      handlerFailures(event) ? Promise.reject(new Error('no')) : Promise.resolve(void received.push(event));
    return { directory, authz, parked, logger, transport, received, handle };
  };

  it('consumes nothing of a context this process does not run, and the rest as usual', async () => {
    const directory = new InMemoryEventStore();
    const transport = new InProcessTransport({
      eventStoreFor: (context: Context) => (context === 'directory' ? directory : undefined),
      deadLetters: { park: () => Promise.resolve() },
      logger: new RecordingLogger(),
    });
    const received: RecordedEvent[] = [];
    await append(directory, 'org_0', 'directory.user-u1', 'directory.sample.recorded', { userId: 'u1' });
    const consumer = await transport.consume({
      groupId: 'g-partial',
      contexts: ['directory', 'authn'],
      handle: (event) => Promise.resolve(void received.push(event)),
    });
    await waitUntil(
      'the directory event',
      () => received.length,
      (count) => count >= 1,
    );
    await consumer.stop();
    expect(received.map((event) => event.type)).toEqual(['directory.sample.recorded']);
  });

  it('delivers each context’s events in store order, as the wire envelope decodes them', async () => {
    const { directory, authz, transport, received, handle } = setUp();
    for (let index = 0; index < 3; index += 1) {
      await append(directory, `org_${index % 2}`, `directory.user-u${index}`, 'directory.sample.recorded', {
        userId: `u${index}`,
        joinedAt: new Date('2026-03-01T09:00:00.000Z'),
      });
      await append(authz, 'org_0', `authz.role-r${index}`, 'authz.sample.assigned', {
        roleId: `r${index}`,
        extra: 1,
      });
    }
    await append(directory, 'org_0', 'audit.chain-org_0', 'audit.entry.recorded', { n: 1 });

    const consumer = await transport.consume({ groupId: 'g1', contexts: ['directory', 'authz'], handle });
    await waitUntil(
      'six events',
      () => received.length,
      (count) => count >= 6,
    );
    await consumer.stop();

    const byContext = (prefix: string) => received.filter((event) => event.type.startsWith(prefix));
    expect(byContext('directory.')).toEqual(
      directory.events
        .filter((event) => event.type.startsWith('directory.'))
        // Unknown (type, version): the data arrives as its JSON form.
        .map((event) => ({
          ...event,
          data: { ...(event.data as object), joinedAt: '2026-03-01T09:00:00.000Z' },
        })),
    );
    // Known (type, version): the data arrives as its schema's output.
    expect(byContext('authz.')).toEqual(
      authz.events.map((event) => ({
        ...event,
        data: { roleId: (event.data as { roleId: string }).roleId },
      })),
    );
    expect(received).toHaveLength(6);
  });

  it('delivers only the event types a consumer asks for, exact or by prefix', async () => {
    const { directory, transport, received, handle } = setUp();
    await append(directory, 'org_0', 'directory.user-u1', 'directory.sample.recorded', {});
    await append(directory, 'org_0', 'directory.user-u2', 'directory.other.recorded', {});
    await append(directory, 'org_0', 'directory.user-u3', 'directory.sample.updated', {});
    await append(directory, 'org_0', 'directory.user-u4', 'directory.third.recorded', {});
    const consumer = await transport.consume({
      groupId: 'picky',
      contexts: ['directory'],
      types: ['directory.sample.', 'directory.third.recorded'],
      handle,
    });
    await waitUntil(
      'three events',
      () => received.length,
      (count) => count >= 3,
    );
    await sleep(20);
    await consumer.stop();
    expect(received.map((event) => event.type)).toEqual([
      'directory.sample.recorded',
      'directory.sample.updated',
      'directory.third.recorded',
    ]);
  });

  it('publishes nothing, because consumers read the store itself', async () => {
    const { directory, transport } = setUp();
    await append(directory, 'org_0', 'directory.user-u1', 'directory.sample.recorded', {});
    const before = [...directory.events];
    await transport.publish('directory', before);
    expect(directory.events).toEqual(before);
  });

  it('refuses a consumer of no context', async () => {
    const { transport, handle } = setUp();
    await expect(transport.consume({ groupId: 'g1', contexts: [], handle })).rejects.toThrow(
      /consumes no context/,
    );
  });

  it('resumes a group from its checkpoint, and a new group from the beginning', async () => {
    const { directory, transport, received, handle } = setUp();
    await append(directory, 'org_0', 'directory.user-u1', 'directory.sample.recorded', {});
    const first = await transport.consume({ groupId: 'g1', contexts: ['directory'], handle });
    await waitUntil(
      'the first event',
      () => received.length,
      (count) => count === 1,
    );
    await first.stop();

    await append(directory, 'org_0', 'directory.user-u2', 'directory.sample.recorded', {});
    const resumed = await transport.consume({ groupId: 'g1', contexts: ['directory'], handle });
    await waitUntil(
      'the second event',
      () => received.length,
      (count) => count === 2,
    );
    await resumed.stop();
    expect(received.map((event) => event.stream)).toEqual(['directory.user-u1', 'directory.user-u2']);
    expect(directory.checkpoints.get(consumerSubscriptionId('g1', 'directory'))).toEqual(
      directory.events.at(-1)!.position,
    );

    const other = await transport.consume({ groupId: 'g2', contexts: ['directory'], handle });
    await waitUntil(
      'both events again',
      () => received.length,
      (count) => count === 4,
    );
    await other.stop();
  });

  it('parks an event with invalid data and one its handler keeps failing, and moves on', async () => {
    const { authz, transport, received, parked, logger, handle } = setUp(
      (event) => event.stream === 'authz.role-r2',
    );
    await append(authz, 'org_0', 'authz.role-r1', 'authz.sample.assigned', { roleId: 1 });
    await append(authz, 'org_0', 'authz.role-r2', 'authz.sample.assigned', { roleId: 'r2' });
    await append(authz, 'org_0', 'authz.role-r3', 'authz.sample.assigned', { roleId: 'r3' });

    const consumer = await transport.consume({ groupId: 'g1', contexts: ['authz'], handle });
    await waitUntil(
      'the last event',
      () => received.length,
      (count) => count === 1,
    );
    await consumer.stop();

    expect(received.map((event) => event.stream)).toEqual(['authz.role-r3']);
    expect(
      parked.map((letter) => [letter.reason, letter.errorCode, letter.attempts, letter.message.origin]),
    ).toEqual([
      [
        'malformed',
        'CONTRACTS_INVALID_DATA',
        0,
        { kind: 'event-store', subscriptionId: 'consumer:g1:authz', position: '1-0' },
      ],
      [
        'handler-failed',
        'Error',
        2,
        { kind: 'event-store', subscriptionId: 'consumer:g1:authz', position: '2-0' },
      ],
    ]);
    expect(logger.messages('error')).toEqual([expect.stringContaining('MESSAGING_POISON_MESSAGE_PARKED')]);
  });

  it('stops in the middle of a batch without acknowledging it, so it is delivered again', async () => {
    const { directory, transport } = setUp();
    await append(directory, 'org_0', 'directory.user-u1', 'directory.sample.recorded', {});
    await append(directory, 'org_0', 'directory.user-u2', 'directory.sample.recorded', {});
    let consumer: { stop(): Promise<void> } | undefined;
    const seen: string[] = [];
    let stopped: Promise<void> | undefined;
    consumer = await transport.consume({
      groupId: 'g1',
      contexts: ['directory'],
      handle: (event) => {
        seen.push(event.stream);
        stopped ??= consumer!.stop();
        return Promise.resolve();
      },
    });
    await waitUntil('the stop', () => stopped !== undefined, Boolean);
    await stopped;
    expect(seen).toEqual(['directory.user-u1']);
    expect(directory.checkpoints.get(consumerSubscriptionId('g1', 'directory'))).toBeUndefined();

    consumer = await transport.consume({
      groupId: 'g1',
      contexts: ['directory'],
      handle: (event) => Promise.resolve(void seen.push(event.stream)),
    });
    await waitUntil(
      'both events',
      () => seen.length,
      (count) => count === 3,
    );
    await transport.close();
    expect(seen).toEqual(['directory.user-u1', 'directory.user-u1', 'directory.user-u2']);
  });
});
