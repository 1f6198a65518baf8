import { comparePositions, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { type EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { matchesFilter, type SubscribeOptions, type Subscription } from '../event-store';

export interface PollingSubscriptionOptions extends SubscribeOptions {
  readonly checkpoint: GlobalPosition | null;
  /** Reads events after a position in store order, unfiltered. */
  readonly readPage: (after: GlobalPosition | null, maxCount: number) => Promise<RecordedEvent[]>;
  readonly saveCheckpoint: (position: GlobalPosition) => Promise<void>;
  /**
   * Emits 'appended' (with the appended event types, when known) when this process appended: a
   * subscription that wants them reads at once instead of waiting to poll.
   */
  readonly wakeups: EventEmitter;
  readonly pollIntervalMs: number;
  readonly onStopped: () => void;
}

interface Waiter {
  readonly position: GlobalPosition;
  readonly resolve: () => void;
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * A catch-up subscription: reads pages after its checkpoint, hands matching events to the handler,
 * then stores the checkpoint (at-least-once). Events the filter rejects still move the checkpoint,
 * so `waitFor` resolves for any position, matching or not.
 */
export class PollingSubscription implements Subscription {
  private current: GlobalPosition | null;
  /** Handled up to here; ahead of `current` while the checkpoint is being saved. */
  private handled: GlobalPosition | null;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private pendingWakeup = false;
  private readonly waiters = new Set<Waiter>();
  /** Events the filter rejects only move the checkpoint: they need no read now, unless someone waits for it. */
  private readonly onAppended = (types?: readonly string[]) => {
    if (!types || this.waiters.size > 0 || types.some((type) => matchesFilter(type, this.options.filter)))
      this.signal();
  };

  constructor(private readonly options: PollingSubscriptionOptions) {
    this.current = options.checkpoint;
    this.handled = options.checkpoint;
  }

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  get checkpoint(): GlobalPosition | null {
    return this.current;
  }

  start(): void {
    this.running = true;
    this.options.wakeups.on('appended', this.onAppended);
    this.loop = this.run();
  }

  async waitFor(position: GlobalPosition, timeoutMs: number): Promise<void> {
    if (this.reached(position)) return;
    let waiter: Waiter | undefined;
    const reached = new Promise<void>((resolve) => {
      waiter = { position, resolve };
      this.waiters.add(waiter);
    });
    // The append may have skipped waking a subscription that does not want its events: read now.
    this.signal();
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
    this.options.wakeups.off('appended', this.onAppended);
    this.signal();
    await this.loop;
    this.options.onStopped();
  }

  private reached(position: GlobalPosition): boolean {
    return this.handled !== null && comparePositions(this.handled, position) >= 0;
  }

  private signal(): void {
    this.pendingWakeup = true;
    this.wake?.();
  }

  private async idle(ms: number): Promise<void> {
    if (this.pendingWakeup || !this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    let failures = 0;
    let emptyReadsAfterWakeup = 0;
    while (this.running) {
      const woken = this.pendingWakeup;
      this.pendingWakeup = false;
      let page: RecordedEvent[] = [];
      try {
        page = await this.options.readPage(this.current, batchSize);
        if (page.length > 0) {
          const matching = page.filter((event) => matchesFilter(event.type, this.options.filter));
          if (matching.length > 0) await this.options.handle(matching);
          const last = page[page.length - 1]!.position;
          // Handled means waiters may read what the handler wrote: they need not wait for the checkpoint
          // write too. Should it fail, the page is delivered again, as after any failure.
          this.handled = last;
          this.releaseWaiters();
          await this.options.saveCheckpoint(last);
          this.current = last;
          failures = 0;
        }
      } catch (error) {
        failures += 1;
        this.options.onError?.(error, page);
        await this.idle(Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** Math.min(failures, 7)));
        continue;
      }
      // A full page means more may be waiting: read on at once. A wake-up that found nothing means an
      // older transaction still hides the new event, so look again soon; otherwise wait or poll.
      if (page.length === batchSize) continue;
      emptyReadsAfterWakeup = woken && page.length === 0 ? emptyReadsAfterWakeup + 1 : 0;
      await this.idle(
        emptyReadsAfterWakeup > 0 && emptyReadsAfterWakeup < 8
          ? Math.min(this.options.pollIntervalMs, 2 ** emptyReadsAfterWakeup)
          : this.options.pollIntervalMs,
      );
    }
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

export class SubscriptionLagTimeoutError extends Error {
  override readonly name = 'SubscriptionLagTimeoutError';
  readonly code = 'EVENTSTORE_SUBSCRIPTION_LAG_TIMEOUT';

  constructor(
    readonly subscriptionId: string,
    readonly position: GlobalPosition,
    readonly timeoutMs: number,
  ) {
    super(
      `Subscription "${subscriptionId}" did not reach position ${position.commit}-${position.prepare} within ${timeoutMs} ms`,
    );
  }
}
