import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What happens when a handler throws. The event is retried in place with an exponential back-off,
 * holding back the events behind it on the same partition, so per-organization order survives a
 * transient failure (a database restart, a lock timeout). After `maxAttempts` it is a poison
 * message: parked on the dead-letter topic with an alert in the log, and the partition moves on.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 40 seconds of retries in all before an event is parked. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 10_000 };

export const retryPolicy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new Error(`maxAttempts must be a positive integer, not ${policy.maxAttempts}`);
  if (policy.initialDelayMs < 0 || policy.maxDelayMs < policy.initialDelayMs)
    throw new Error('Retry delays must satisfy 0 <= initialDelayMs <= maxDelayMs');
  return policy;
};

/** The pause after the `failedAttempts`-th failure: doubling from the initial delay, capped. */
export const backoffDelay = (policy: RetryPolicy, failedAttempts: number): number =>
  Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failedAttempts - 1));

/**
 * Waits `delayMs` in slices of at most `keepAliveEveryMs`, calling `keepAlive` between them (a Kafka
 * consumer must heartbeat while it holds a partition). Rejects as soon as `signal` aborts.
 */
export const waitWithKeepAlive = async (
  delayMs: number,
  signal: AbortSignal,
  keepAlive: (() => Promise<void>) | undefined,
  keepAliveEveryMs = 1_000,
): Promise<void> => {
  let remaining = delayMs;
  while (remaining > 0) {
    const slice = Math.min(remaining, keepAliveEveryMs);
    await sleep(slice, undefined, { signal });
    remaining -= slice;
    if (keepAlive) await keepAlive();
  }
  signal.throwIfAborted();
};
