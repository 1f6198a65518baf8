import { type AllStreamResolvedEvent } from '@kurrent/kurrentdb-client';
import { comparePositions, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { setTimeout as sleep } from 'node:timers/promises';
import { matchesFilter, type SubscribeOptions, type Subscription } from '../event-store';
import { SubscriptionLagTimeoutError } from '../postgres/polling-subscription';
import { fromResolvedEvent, isAfter } from './kurrentdb-mapping';

/** What `subscribeToAll` returns, as far as this subscription uses it: a paused object-mode stream. */
export interface LiveFeed {
  read(): unknown;
  on(event: 'readable' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  unsubscribe(): Promise<void>;
  destroy(): unknown;
}

export interface KurrentDbSubscriptionOptions extends SubscribeOptions {
  readonly checkpoint: GlobalPosition | null;
  /** Opens a catch-up subscription to `$all` after a position (from the start when null), system events excluded. */
  readonly open: (after: GlobalPosition | null, batchSize: number) => LiveFeed;
  readonly saveCheckpoint: (position: GlobalPosition) => Promise<void>;
  readonly onStopped: () => void;
  /** Delay before retry number `failures` (1, 2, …); exponential up to 5 s by default. */
  readonly retryDelayMs?: (failures: number) => number;
}

interface Waiter {
  readonly position: GlobalPosition;
  readonly resolve: () => void;
}

const defaultRetryDelayMs = (failures: number): number => Math.min(5_000, 50 * 2 ** Math.min(failures, 7));

/** The feed ended without an error: the server closed the call (a restart, a leader change). */
export class KurrentDbFeedEndedError extends Error {
  override readonly name = 'KurrentDbFeedEndedError';
  readonly code = 'EVENTSTORE_SUBSCRIPTION_FEED_ENDED';
}

/**
 * Reads a live feed in batches: everything already buffered, up to a maximum, waiting only when
 * nothing is. Ends with the feed's error, or `KurrentDbFeedEndedError` when it closes.
 */
class BatchReader {
  private failure: { readonly error: unknown } | null = null;
  private ended = false;
  private pending = false;
  private notify: (() => void) | null = null;

  constructor(private readonly feed: LiveFeed) {
    const poke = () => {
      this.pending = true;
      this.notify?.();
    };
    feed.on('readable', poke);
    feed.on('end', () => {
      this.ended = true;
      poke();
    });
    // Stays attached after `close`, so a late error never goes unhandled.
    feed.on('error', (error: Error) => {
      this.failure ??= { error };
      poke();
    });
  }

  /** The next batch, or an empty one once `stopped` is aborted. */
  async next(max: number, stopped: AbortSignal): Promise<AllStreamResolvedEvent[]> {
    for (;;) {
      this.pending = false;
      const batch: AllStreamResolvedEvent[] = [];
      while (batch.length < max) {
        const item = this.feed.read() as AllStreamResolvedEvent | null;
        if (item === null) break;
        batch.push(item);
      }
      if (batch.length > 0) return batch;
      if (this.failure) throw this.failure.error;
      if (this.ended) throw new KurrentDbFeedEndedError('The $all subscription ended');
      if (stopped.aborted) return [];
      if (this.pending) continue;
      let wake: () => void = () => undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.notify = resolve;
        stopped.addEventListener('abort', wake, { once: true });
      });
      stopped.removeEventListener('abort', wake);
      this.notify = null;
    }
  }

  async close(): Promise<void> {
    await this.feed.unsubscribe().catch(() => undefined);
    this.feed.destroy();
  }
}

/**
 * A durable catch-up subscription to `$all`. It reads the live feed in batches, hands the events that
 * match its filter to the handler, then stores its checkpoint (at-least-once). Events the filter
 * rejects still move the checkpoint, so `waitFor` resolves for any position, matching or not.
 *
 * When the handler throws, the same batch is retried after a back-off. When the feed fails (the
 * connection dropped, the server restarted), the subscription reopens it after the last event it
 * handled, and events it already handled are skipped by position.
 */
export class KurrentDbSubscription implements Subscription {
  private current: GlobalPosition | null;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();
  private readonly waiters = new Set<Waiter>();
  private readonly retryDelayMs: (failures: number) => number;

  constructor(private readonly options: KurrentDbSubscriptionOptions) {
    this.current = options.checkpoint;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
  }

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  get checkpoint(): GlobalPosition | null {
    return this.current;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async waitFor(position: GlobalPosition, timeoutMs: number): Promise<void> {
    if (this.reached(position)) return;
    let waiter: Waiter | undefined;
    const reached = new Promise<void>((resolve) => {
      waiter = { position, resolve };
      this.waiters.add(waiter);
    });
    const timeout = new AbortController();
    try {
      await Promise.race([
        reached,
        sleep(timeoutMs, undefined, { signal: timeout.signal }).then(() => {
          throw new SubscriptionLagTimeoutError(this.subscriptionId, position, timeoutMs);
        }),
      ]);
    } finally {
      timeout.abort();
      if (waiter) this.waiters.delete(waiter);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping.abort();
    await this.loop;
    this.options.onStopped();
  }

  private reached(position: GlobalPosition): boolean {
    return this.current !== null && comparePositions(this.current, position) >= 0;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    let failures = 0;
    while (this.running) {
      let reader: BatchReader | null = null;
      let failure: { readonly error: unknown } | null = null;
      try {
        reader = new BatchReader(this.options.open(this.current, batchSize));
        for (;;) {
          const batch = await reader.next(batchSize, this.stopping.signal);
          if (batch.length === 0) break;
          // A reopened feed may start at or before the checkpoint: skip what was handled already.
          const events = batch
            .map(fromResolvedEvent)
            .filter(
              (event): event is RecordedEvent => event !== null && isAfter(event.position, this.current),
            );
          if (events.length > 0 && !(await this.deliver(events))) break;
          failures = 0;
        }
      } catch (error) {
        failure = { error };
      }
      await reader?.close();
      if (failure) {
        // The feed failed, or an event could not be read (never skipped): report it, then reopen the
        // feed after the last handled event.
        failures += 1;
        this.options.onError?.(failure.error, []);
        await this.idle(this.retryDelayMs(failures));
      }
    }
  }

  /** Hands one batch to the handler until it succeeds, then checkpoints it; false when stopped first. */
  private async deliver(events: RecordedEvent[]): Promise<boolean> {
    const matching = events.filter((event) => matchesFilter(event.type, this.options.filter));
    for (let failures = 1; matching.length > 0; failures += 1) {
      if (!this.running) return false;
      try {
        await this.options.handle(matching);
        break;
      } catch (error) {
        this.options.onError?.(error, matching);
        await this.idle(this.retryDelayMs(failures));
      }
    }
    const last = events[events.length - 1]!.position;
    this.current = last;
    this.releaseWaiters();
    for (let failures = 1; ; failures += 1) {
      try {
        await this.options.saveCheckpoint(last);
        return true;
      } catch (error) {
        // The batch is handled; only its checkpoint is not stored yet. A restart before it is stored
        // delivers the batch again (at-least-once).
        this.options.onError?.(error, matching);
        if (!this.running) return false;
        await this.idle(this.retryDelayMs(failures));
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    if (!this.running) return;
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private releaseWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.reached(waiter.position)) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
