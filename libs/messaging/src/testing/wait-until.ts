import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds, at most `attempts` times `intervalMs` apart, then fails with
 * `description` and the last value seen: every wait in a test is bounded in count and in time.
 */
export const waitUntil = async <T>(
  description: string,
  probe: () => T | Promise<T>,
  condition: (value: T) => boolean,
  { attempts = 300, intervalMs = 100 }: { attempts?: number; intervalMs?: number } = {},
): Promise<T> => {
  let last: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    last = await probe();
    if (condition(last)) return last;
    await sleep(intervalMs);
  }
  throw new Error(`Timed out waiting for ${description}; last value: ${describe(last)}`);
};

const describe = (value: unknown): string => {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? String(inner) : inner));
};
