import { type DataSource } from 'typeorm';
import { createTestDataSource, describeOnDatabases } from '../testing/test-data-source';
import { IDEMPOTENCY_KEY_TTL_MS } from './idempotency';
import { IdempotencyCleanup } from './idempotency-cleanup';
import { IdempotencyRepository, type IdempotentRequest } from './idempotency.repository';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describeOnDatabases('IdempotencyRepository', (connectionString) => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let schema: string;
  let store: IdempotencyRepository;
  let n = 0;

  beforeAll(async () => {
    ({ dataSource, drop, schema } = await createTestDataSource(connectionString()));
    store = new IdempotencyRepository(dataSource);
  });
  afterAll(() => drop());

  const request = (overrides: Partial<IdempotentRequest> = {}): IdempotentRequest => ({
    principal: 'api_key:0123456789abcdef0123',
    key: `key-${++n}`,
    method: 'POST',
    path: '/api/v1/things',
    requestHash: 'hash-a',
    ...overrides,
  });
  const created = {
    status: 201,
    headers: { location: '/api/v1/things/1' },
    body: { z: 1, a: [2, { y: null }] },
  };

  it('claims a key once; a retry sees it in progress, then the stored response', async () => {
    const first = request();
    expect(await store.claim(first, t0)).toEqual({ type: 'claimed' });
    expect(await store.claim(first, later(10))).toEqual({ type: 'in_progress' });
    await store.complete(first, created, later(20));
    const replay = await store.claim(first, later(30));
    expect(replay).toEqual({ type: 'completed', response: created });
    // `json`, not `jsonb`: the body comes back with its keys in the order they were sent.
    expect(replay.type === 'completed' && JSON.stringify(replay.response.body)).toBe(
      JSON.stringify(created.body),
    );
  });

  it('replays a response without a body', async () => {
    const first = request();
    await store.claim(first, t0);
    await store.complete(first, { status: 204, headers: {}, body: undefined }, t0);
    expect(await store.claim(first, t0)).toEqual({
      type: 'completed',
      response: { status: 204, headers: {}, body: undefined },
    });
  });

  it('refuses the same key for another body, path or method, while running and after', async () => {
    const first = request();
    await store.claim(first, t0);
    expect(await store.claim({ ...first, requestHash: 'hash-b' }, t0)).toEqual({ type: 'mismatch' });
    await store.complete(first, created, t0);
    expect(await store.claim({ ...first, path: '/api/v1/other' }, t0)).toEqual({ type: 'mismatch' });
    expect(await store.claim({ ...first, method: 'PUT' }, t0)).toEqual({ type: 'mismatch' });
  });

  it('keeps keys apart per principal', async () => {
    const first = request();
    await store.claim(first, t0);
    expect(await store.claim({ ...first, principal: 'admin', requestHash: 'other' }, t0)).toEqual({
      type: 'claimed',
    });
  });

  it('lets a released key (a failed first attempt) be claimed again', async () => {
    const first = request();
    await store.claim(first, t0);
    await store.release(first);
    expect(await store.claim(first, later(1))).toEqual({ type: 'claimed' });
  });

  it('never releases a completed key', async () => {
    const first = request();
    await store.claim(first, t0);
    await store.complete(first, created, t0);
    await store.release(first);
    expect((await store.claim(first, t0)).type).toBe('completed');
  });

  it('takes over an abandoned claim of the same request, not of another', async () => {
    const first = request();
    await store.claim(first, t0);
    const stale = later(IdempotencyRepository.ABANDONED_AFTER_MS + 1);
    expect(await store.claim({ ...first, requestHash: 'hash-b' }, stale)).toEqual({ type: 'mismatch' });
    expect(await store.claim(first, stale)).toEqual({ type: 'claimed' });
    expect(await store.claim(first, stale)).toEqual({ type: 'in_progress' });
  });

  it('forgets keys after 24 hours: reusable for anything, and deleted by the cleanup', async () => {
    const first = request();
    const second = request();
    await store.claim(first, t0);
    await store.complete(first, created, t0);
    await store.claim(second, later(1000));
    const expired = later(IDEMPOTENCY_KEY_TTL_MS + 1);
    expect(await store.claim({ ...first, requestHash: 'hash-b' }, expired)).toEqual({ type: 'claimed' });
    const rows = async () =>
      (
        await dataSource.query<{ key: string }[]>(
          `select key from ${schema}.idempotency_keys where key in ($1, $2) order by key`,
          [first.key, second.key],
        )
      ).map((row) => row.key);
    expect(await rows()).toEqual([first.key, second.key].sort());
    expect(await store.deleteExpired(later(IDEMPOTENCY_KEY_TTL_MS + 1001))).toBeGreaterThanOrEqual(1);
    expect(await rows()).toEqual([first.key]);
  });

  it('gives a key to exactly one of many concurrent requests', async () => {
    const first = request();
    const results = await Promise.all(Array.from({ length: 12 }, () => store.claim(first, t0)));
    expect(results.filter((result) => result.type === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.type === 'in_progress')).toHaveLength(11);
  });

  it('is swept by the periodic cleanup', async () => {
    const old = request();
    await store.claim(old, t0);
    const cleanup = new IdempotencyCleanup(store, () => later(2 * IDEMPOTENCY_KEY_TTL_MS));
    expect(await cleanup.run()).toBeGreaterThanOrEqual(1);
    expect(await cleanup.run()).toBe(0);
    expect(await store.claim({ ...old, requestHash: 'other' }, later(2 * IDEMPOTENCY_KEY_TTL_MS))).toEqual({
      type: 'claimed',
    });
  });
});
