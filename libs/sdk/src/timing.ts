/** Waits `ms`, or less when `signal` aborts (then it resolves, it does not throw). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface BackoffOptions {
  /** The first delay, in ms (500 by default). */
  readonly initialMs?: number;
  /** The longest delay, in ms (30 s by default). */
  readonly maxMs?: number;
}

/** Exponential backoff with jitter: between half and all of `min(max, initial · 2^attempt)`. */
export const backoffDelay = (
  attempt: number,
  { initialMs = 500, maxMs = 30_000 }: BackoffOptions,
  random: () => number = Math.random,
): number => {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};

/** A promise with its resolve and reject, whose rejection is never reported as unhandled. */
export const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  let settled = false;
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve: (value: T) => {
      settled = true;
      resolve(value);
    },
    reject: (reason: unknown) => {
      settled = true;
      reject(reason);
    },
  };
};
