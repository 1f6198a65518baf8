import { RevokedGrants, staticRevocations } from './revocation-list';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('RevokedGrants', () => {
  let now: number;
  const grants = () => new RevokedGrants({ now: () => now, retentionMs: 60_000, pruneEveryMs: 1_000 });

  beforeEach(() => {
    now = T0;
  });

  it('holds a grant until its tokens expired plus the retention, then forgets it', () => {
    const list = grants();
    expect(list.add({ grantId: 'grt_a', expiresAt: iso(T0 + 10_000) })).toBe(true);
    expect(list.has('grt_a')).toBe(true);
    now = T0 + 10_000 + 59_999;
    expect(list.has('grt_a')).toBe(true);
    now = T0 + 10_000 + 60_000;
    expect(list.has('grt_a')).toBe(false);
    expect(list.size).toBe(0);
  });

  it('does not record a grant whose tokens are all expired already', () => {
    const list = grants();
    expect(list.add({ grantId: 'grt_old', expiresAt: iso(T0 - 61_000) })).toBe(false);
    expect(list.size).toBe(0);
  });

  it('prunes expired grants as new ones arrive: memory stays bounded', () => {
    const list = grants();
    for (let index = 0; index < 1_000; index += 1) {
      now = T0 + index * 1_000;
      list.add({ grantId: `grt_${index}`, expiresAt: iso(now + 5_000) });
    }
    expect(list.size).toBeLessThanOrEqual(67);
    expect(list.has('grt_999')).toBe(true);
    expect(list.has('grt_0')).toBe(false);
  });

  it('a repeated revocation is no news, but a later expiry extends it', () => {
    const list = grants();
    expect(list.add({ grantId: 'grt_a', expiresAt: iso(T0 + 1_000) })).toBe(true);
    expect(list.add({ grantId: 'grt_a', expiresAt: iso(T0 + 1_000) })).toBe(false);
    list.add({ grantId: 'grt_a', expiresAt: iso(T0 + 500_000) });
    now = T0 + 400_000;
    expect(list.has('grt_a')).toBe(true);
  });
});

describe('staticRevocations', () => {
  it('is ready and connected, and revokes what it is given', async () => {
    const list = staticRevocations(['grt_a']);
    await expect(list.ready()).resolves.toBeUndefined();
    expect([list.connected, list.isRevoked('grt_a'), list.isRevoked('grt_b')]).toEqual([true, true, false]);
    list.revoke('grt_b');
    expect(list.isRevoked('grt_b')).toBe(true);
  });
});
