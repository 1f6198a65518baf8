import { backoffDelay, DEFAULT_RETRY_POLICY, retryPolicy, waitWithKeepAlive } from './retry-policy';

describe('retry policy', () => {
  it('doubles the pause after each failure up to the cap', () => {
    const policy = retryPolicy({ initialDelayMs: 100, maxDelayMs: 1_000 });
    expect([1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(policy, failures))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('retries for about forty seconds by default before parking', () => {
    const total = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, index) =>
      backoffDelay(DEFAULT_RETRY_POLICY, index + 1),
    ).reduce((sum, delay) => sum + delay, 0);
    expect(total).toBe(42_600);
  });

  it('refuses policies that could never deliver or never wait', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ maxAttempts: 2.5 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/initialDelayMs/);
  });
});

describe('waitWithKeepAlive', () => {
  it('keeps the consumer alive between slices of the wait', async () => {
    let keepAlives = 0;
    await waitWithKeepAlive(
      5,
      new AbortController().signal,
      () => Promise.resolve(void (keepAlives += 1)),
      2,
    );
    expect(keepAlives).toBe(3);
  });

  it('gives up as soon as the consumer stops', async () => {
    const stopping = new AbortController();
    const waiting = waitWithKeepAlive(60_000, stopping.signal, undefined);
    stopping.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
