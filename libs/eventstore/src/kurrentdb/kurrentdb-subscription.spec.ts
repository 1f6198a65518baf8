import { type AllStreamResolvedEvent } from '@kurrent/kurrentdb-client';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { PassThrough } from 'node:stream';
import { toEventData } from './kurrentdb-mapping';
import {
  KurrentDbFeedEndedError,
  KurrentDbSubscription,
  type KurrentDbSubscriptionOptions,
  type LiveFeed,
} from './kurrentdb-subscription';

/**
 * The subscription's own logic — batching, filtering, checkpoints, retries, reopening the feed —
 * against feeds that behave like the client's `subscribeToAll` stream: paused, object mode, and
 * failing with an 'error' event that does not end the stream.
 */
class Feed extends PassThrough implements LiveFeed {
  unsubscribed = false;

  constructor(events: AllStreamResolvedEvent[] = []) {
    super({ objectMode: true });
    for (const event of events) this.write(event);
  }

  unsubscribe(): Promise<void> {
    this.unsubscribed = true;
    return Promise.resolve();
  }
}

const at = (n: number): GlobalPosition => ({ commit: BigInt(n * 100), prepare: BigInt(n * 100) });

const resolved = (n: number, type = 'test.thing.happened', streamId = 'thing-1'): AllStreamResolvedEvent => {
  const data = toEventData(
    { type, data: { n } },
    { orgId: 'org_1', actor: { type: 'system', id: 'spec' }, correlationId: 'c' },
    new Date('2026-01-01T00:00:00.000Z'),
    () => `event-${n}`,
  );
  return {
    event: {
      streamId,
      id: data.id,
      isJson: true,
      revision: BigInt(n),
      type,
      created: new Date('2026-01-01T00:00:00.000Z'),
      data: { n },
      metadata: JSON.parse(JSON.stringify(data.metadata)) as Record<string, unknown>,
      position: at(n),
    },
  };
};

const unreadable = (n: number): AllStreamResolvedEvent => {
  const event = resolved(n);
  return { event: { ...event.event!, metadata: { written: 'elsewhere' } } };
};

const numbers = (events: RecordedEvent[]) => events.map((event) => (event.data as { n: number }).n);

interface Harness {
  readonly subscription: KurrentDbSubscription;
  readonly handled: number[][];
  readonly saved: GlobalPosition[];
  readonly errors: { error: unknown; events: number[] }[];
  readonly opened: (GlobalPosition | null)[];
  readonly stopped: jest.Mock;
}

const start = (
  feeds: Feed[] | ((after: GlobalPosition | null) => Feed),
  overrides: Partial<KurrentDbSubscriptionOptions> = {},
): Harness => {
  const handled: number[][] = [];
  const saved: GlobalPosition[] = [];
  const errors: { error: unknown; events: number[] }[] = [];
  const opened: (GlobalPosition | null)[] = [];
  const stopped = jest.fn();
  const subscription = new KurrentDbSubscription({
    subscriptionId: 'spec',
    checkpoint: null,
    handle: (events) => {
      handled.push(numbers(events));
      return Promise.resolve();
    },
    onError: (error, events) => errors.push({ error, events: numbers(events) }),
    open: (after) => {
      opened.push(after);
      const feed = typeof feeds === 'function' ? feeds(after) : feeds.shift();
      if (!feed) throw new Error('no more feeds');
      return feed;
    },
    saveCheckpoint: (position) => {
      saved.push(position);
      return Promise.resolve();
    },
    onStopped: stopped,
    retryDelayMs: () => 1,
    ...overrides,
  });
  subscription.start();
  return { subscription, handled, saved, errors, opened, stopped };
};

describe('KurrentDbSubscription', () => {
  let running: KurrentDbSubscription | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('hands matching events over in batches and checkpoints each batch at its last event, matching or not', async () => {
    const feed = new Feed([
      resolved(1),
      resolved(2, 'test.other.happened'),
      resolved(3),
      resolved(4, 'test.other.happened'),
    ]);
    const { subscription, handled, saved } = start([feed], {
      batchSize: 2,
      filter: { types: ['test.thing.happened'] },
    });
    running = subscription;
    await subscription.waitFor(at(4), 1_000);
    expect(handled).toEqual([[1], [3]]);
    expect(saved).toEqual([at(2), at(4)]);
    expect(subscription.checkpoint).toEqual(at(4));
  });

  it('reads on as events arrive after it caught up', async () => {
    const feed = new Feed([resolved(1)]);
    const { subscription, handled } = start([feed]);
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    feed.write(resolved(2));
    feed.write(resolved(3));
    await subscription.waitFor(at(3), 1_000);
    expect(handled.flat()).toEqual([1, 2, 3]);
  });

  it('resumes strictly after its checkpoint, whatever the feed replays', async () => {
    const { subscription, handled, opened } = start([new Feed([resolved(1), resolved(2), resolved(3)])], {
      checkpoint: at(2),
    });
    running = subscription;
    await subscription.waitFor(at(3), 1_000);
    expect(opened).toEqual([at(2)]);
    expect(handled.flat()).toEqual([3]);
  });

  it('never shows system events to the handler', async () => {
    const feed = new Feed([
      resolved(1, '$metadata', '$$thing-1'),
      resolved(2),
      resolved(3, 'test.thing.happened', '$ce-thing'),
    ]);
    const { subscription, handled } = start([feed]);
    running = subscription;
    await subscription.waitFor(at(2), 1_000);
    expect(handled.flat()).toEqual([2]);
  });

  it('retries the same batch after the handler throws, reporting each failure, then moves on', async () => {
    let attempts = 0;
    const { subscription, errors, saved } = start([new Feed([resolved(1), resolved(2)])], {
      handle: () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error('transient')) : Promise.resolve();
      },
    });
    running = subscription;
    await subscription.waitFor(at(2), 1_000);
    expect(attempts).toBe(3);
    expect(errors).toEqual([
      { error: new Error('transient'), events: [1, 2] },
      { error: new Error('transient'), events: [1, 2] },
    ]);
    expect(saved).toEqual([at(2)]);
  });

  it('reopens a failed feed after the last event it handled, and handles nothing twice', async () => {
    const first = new Feed([resolved(1), resolved(2)]);
    const second = new Feed([resolved(2), resolved(3)]);
    const { subscription, handled, opened, errors } = start([first, second]);
    running = subscription;
    await subscription.waitFor(at(2), 1_000);
    const lost = new Error('14 UNAVAILABLE: connection reset');
    first.emit('error', lost);
    await subscription.waitFor(at(3), 1_000);
    expect(opened).toEqual([null, at(2)]);
    expect(handled.flat()).toEqual([1, 2, 3]);
    expect(errors).toEqual([{ error: lost, events: [] }]);
    expect(first.unsubscribed).toBe(true);
  });

  it('reopens a feed the server ended', async () => {
    const first = new Feed([resolved(1)]);
    const { subscription, handled, errors } = start([first, new Feed([resolved(2)])]);
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    first.end();
    await subscription.waitFor(at(2), 1_000);
    expect(handled.flat()).toEqual([1, 2]);
    expect(errors[0]?.error).toBeInstanceOf(KurrentDbFeedEndedError);
  });

  it('keeps retrying when a feed cannot even be opened', async () => {
    let attempts = 0;
    const { subscription, handled, errors } = start(() => {
      attempts += 1;
      if (attempts < 3) throw new Error('not connected');
      return new Feed([resolved(1)]);
    });
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    expect(handled.flat()).toEqual([1]);
    expect(errors.map(({ error }) => (error as Error).message)).toEqual(['not connected', 'not connected']);
  });

  it('stops at an event it cannot read and reports it, rather than skip it', async () => {
    const { subscription, handled, errors } = start(
      (after) => new Feed(after ? [unreadable(2), resolved(3)] : [resolved(1), unreadable(2), resolved(3)]),
      { batchSize: 1 },
    );
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    await expect(subscription.waitFor(at(3), 100)).rejects.toMatchObject({
      code: 'EVENTSTORE_SUBSCRIPTION_LAG_TIMEOUT',
    });
    expect(handled.flat()).toEqual([1]);
    expect(subscription.checkpoint).toEqual(at(1));
    expect(errors.length).toBeGreaterThan(1);
    expect(errors[0]?.error).toMatchObject({ code: 'EVENTSTORE_UNREADABLE_EVENT', eventId: 'event-2' });
  });

  it('does not handle a batch again when only its checkpoint failed to save', async () => {
    let saves = 0;
    const { subscription, handled, errors } = start([new Feed([resolved(1)])], {
      saveCheckpoint: () => {
        saves += 1;
        return saves === 1 ? Promise.reject(new Error('checkpoint write failed')) : Promise.resolve();
      },
    });
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handled).toEqual([[1]]);
    expect(saves).toBe(2);
    expect(errors).toEqual([{ error: new Error('checkpoint write failed'), events: [1] }]);
  });

  it('stops while waiting for events: the feed is closed and the store told', async () => {
    const feed = new Feed();
    const { subscription, stopped } = start([feed]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await subscription.stop();
    expect(feed.unsubscribed).toBe(true);
    expect(feed.destroyed).toBe(true);
    expect(stopped).toHaveBeenCalledTimes(1);
    await subscription.stop();
    expect(stopped).toHaveBeenCalledTimes(1);
  });

  it('stops during a back-off without waiting it out', async () => {
    const { subscription } = start([new Feed([resolved(1)])], {
      handle: () => Promise.reject(new Error('always')),
      retryDelayMs: () => 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const began = Date.now();
    await subscription.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(subscription.checkpoint).toBeNull();
  });

  it('times out a wait for a position it never reaches, with a coded error', async () => {
    const { subscription } = start([new Feed([resolved(1)])]);
    running = subscription;
    await subscription.waitFor(at(1), 1_000);
    await expect(subscription.waitFor(at(99), 50)).rejects.toMatchObject({
      code: 'EVENTSTORE_SUBSCRIPTION_LAG_TIMEOUT',
      subscriptionId: 'spec',
    });
  });
});
