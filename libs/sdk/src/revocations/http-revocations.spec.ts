import { createTokenVerifier } from '../verification/token-verifier';
import { TokenVerificationError } from '../verification/token-verification.error';
import { TestIssuer } from '../testing/test-issuer';
import { revocation, TestRevocationFeed } from '../testing/test-revocation-feed';
import { waitUntil } from '../testing/wait-until';
import {
  followRevocationsOverHttp,
  type HttpRevocationsOptions,
  type HttpRevocationFollower,
} from './http-revocations';
import { type FeedRevocation } from './revocation-feed';

describe('followRevocationsOverHttp', () => {
  let feed: TestRevocationFeed;
  let follower: HttpRevocationFollower | undefined;
  let delivered: FeedRevocation[];
  const logger = { warn: jest.fn(), error: jest.fn() };

  const follow = (options: Partial<HttpRevocationsOptions> = {}) => {
    follower = followRevocationsOverHttp({
      baseUrl: feed.baseUrl,
      apiKey: feed.apiKey,
      backoff: { initialMs: 5, maxMs: 20 },
      logger,
      onRevocation: (item) => delivered.push(item),
      ...options,
    });
    return follower;
  };
  const streamRequests = () => feed.requests.filter((request) => request.path.endsWith('/stream'));
  const listRequests = () => feed.requests.filter((request) => request.path === '/api/v1/revocations');

  beforeEach(async () => {
    feed = await TestRevocationFeed.start();
    delivered = [];
    logger.warn.mockClear();
    logger.error.mockClear();
  });

  afterEach(async () => {
    await follower?.close();
    follower = undefined;
    await feed.close();
  });

  it('catches up page by page before it is ready, then follows the stream from the last cursor', async () => {
    const before = [feed.revoke(), feed.revoke(), feed.revoke()];
    const list = follow({ pageSize: 2 });
    await list.ready();
    expect(before.every((item) => list.isRevoked(item.grantId))).toBe(true);
    expect(list.isRevoked('grt_never_revoked')).toBe(false);
    expect(listRequests().map((request) => request.query)).toEqual([
      { limit: '2' },
      { limit: '2', after: 'c-000002' },
    ]);
    expect(feed.requests.every((request) => request.authorization === 'Bearer mk_test_key')).toBe(true);
    await waitUntil(() => list.connected, { what: 'the stream' });
    expect(streamRequests().map((request) => [request.query, request.lastEventId])).toEqual([
      [{ after: 'c-000003' }, 'c-000003'],
    ]);

    const live = feed.revoke();
    await waitUntil(() => list.isRevoked(live.grantId), { what: 'the live revocation' });
    expect(list.cursor).toBe(live.cursor);
    expect(delivered.map((item) => item.cursor)).toEqual(['c-000001', 'c-000002', 'c-000003', 'c-000004']);
  });

  it('is ready on an empty feed, and follows it from the beginning', async () => {
    const list = follow();
    await list.ready();
    await waitUntil(() => list.connected);
    expect(streamRequests()[0]!.query).toEqual({});
    const live = feed.revoke();
    await waitUntil(() => list.isRevoked(live.grantId));
  });

  it('after a disconnect, reports connected: false, reconnects and resumes from its cursor: no gap, no duplicate', async () => {
    feed.revoke();
    const list = follow();
    await list.ready();
    await waitUntil(() => list.connected);
    feed.revoke();
    await waitUntil(() => list.size === 2);

    feed.failNextStreams = [503, 502, 500];
    feed.dropStreams();
    await waitUntil(() => !list.connected, { what: 'the disconnect' });
    const duringOutage = [feed.revoke(), feed.revoke()];
    await waitUntil(() => list.connected, { what: 'the reconnection' });
    expect(duringOutage.every((item) => list.isRevoked(item.grantId))).toBe(true);
    const afterOutage = feed.revoke();
    await waitUntil(() => list.isRevoked(afterOutage.grantId));

    const cursors = delivered.map((item) => item.cursor);
    expect(cursors).toEqual(['c-000001', 'c-000002', 'c-000003', 'c-000004', 'c-000005']);
    // Every reconnection first caught up from the cursor reached so far.
    const resumedFrom = listRequests()
      .slice(1)
      .map((request) => request.query['after']);
    expect(resumedFrom[0]).toBe('c-000002');
    expect(resumedFrom.at(-1)).toBe('c-000004');
    expect(resumedFrom.every((cursor) => cursor === 'c-000002' || cursor === 'c-000004')).toBe(true);
    expect(streamRequests().at(-1)!.query).toEqual({ after: 'c-000004' });
  });

  it('ignores malformed events and keeps following', async () => {
    const list = follow();
    await list.ready();
    await waitUntil(() => list.connected);
    feed.sendRaw('id: c-000090\nevent: grant.revoked\ndata: {not json\n\n');
    feed.sendRaw(
      `event: grant.revoked\ndata: ${JSON.stringify({ ...revocation(), cursor: 'c-000091', grantId: 42 })}\n\n`,
    );
    feed.sendRaw(`event: grant.revoked\ndata: ${JSON.stringify({ cursor: 'c-000092' })}\n\n`);
    feed.sendRaw(
      `event: something.else\ndata: ${JSON.stringify({ ...revocation(), cursor: 'c-000093' })}\n\n`,
    );
    feed.sendRaw(': just a comment\nretry: nonsense\n\n');
    const valid = feed.revoke(revocation({ reason: 'a_reason_added_after_this_sdk' }));
    await waitUntil(() => list.isRevoked(valid.grantId));
    expect(list.size).toBe(1);
    expect(list.connected).toBe(true);
    expect(list.cursor).toBe(valid.cursor);
    expect(logger.warn).toHaveBeenCalledTimes(3);
  });

  it('does not hold revocations whose tokens expired, and forgets the others when they expire', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const expiresIn = (ms: number) => new Date(now + ms).toISOString();
    const expired = feed.revoke(revocation({ expiresAt: expiresIn(-10 * 60_000) }));
    const soon = feed.revoke(revocation({ expiresAt: expiresIn(60_000) }));
    const list = follow({ now: () => now, retentionMs: 30_000 });
    await list.ready();
    expect([list.isRevoked(expired.grantId), list.isRevoked(soon.grantId)]).toEqual([false, true]);
    now += 60_000 + 30_000;
    expect(list.isRevoked(soon.grantId)).toBe(false);
    expect(list.size).toBe(0);
  });

  it('refuses to become ready with a key the feed rejects', async () => {
    const list = follow({ apiKey: 'mk_wrong' });
    await expect(list.ready()).rejects.toMatchObject({ status: 401 });
    expect(logger.error).toHaveBeenCalled();
  });

  it('catches up from the beginning when its cursor is older than the feed retains', async () => {
    feed.revoke();
    const list = follow();
    await list.ready();
    await waitUntil(() => list.connected);
    feed.live = false;
    feed.revoke();
    feed.revoke();
    feed.oldestCursor = 2;
    feed.dropStreams();
    await waitUntil(() => list.size === 3 && list.connected);
    expect(listRequests().map((request) => request.query['after'])).toEqual([
      undefined,
      'c-000001',
      undefined,
    ]);
    expect(streamRequests().at(-1)!.query).toEqual({ after: 'c-000003' });
    expect(delivered).toHaveLength(3);
  });

  it('catches up from the beginning when the stream says its cursor is gone', async () => {
    feed.revoke();
    feed.failNextStreams = [410];
    const list = follow();
    await list.ready();
    await waitUntil(() => list.connected);
    expect(listRequests().map((request) => request.query['after'])).toEqual([undefined, undefined]);
    expect(list.size).toBe(1);
  });

  it('reconnects when heartbeats stop', async () => {
    feed.heartbeatMs = 60_000;
    const list = follow({ heartbeatTimeoutMs: 150 });
    await list.ready();
    await waitUntil(() => streamRequests().length >= 2, { what: 'a reconnection after the silence' });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('No heartbeat for 150 ms'));
  });

  it('keeps a stream with heartbeats open', async () => {
    feed.heartbeatMs = 20;
    const list = follow({ heartbeatTimeoutMs: 150 });
    await list.ready();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(streamRequests()).toHaveLength(1);
    expect(list.connected).toBe(true);
  });

  it('a valid, unexpired token is refused right after its grant is revoked', async () => {
    const issuer = await TestIssuer.start();
    try {
      const list = follow();
      const verifier = createTokenVerifier({
        issuer: issuer.issuer,
        audience: 'https://api.example.test',
        revocations: list,
      });
      await list.ready();
      const token = await issuer.sign({
        grant_id: 'grt_to_be_revoked',
        exp: Math.floor(Date.now() / 1000) + 3600,
      });
      await expect(verifier.verify(token)).resolves.toMatchObject({ grantId: 'grt_to_be_revoked' });
      feed.revoke(revocation({ grantId: 'grt_to_be_revoked' }));
      await waitUntil(async () => {
        try {
          await verifier.verify(token);
          return false;
        } catch (error) {
          return error instanceof TokenVerificationError && error.code === 'TOKEN_REVOKED';
        }
      });
      const other = await issuer.sign({ grant_id: 'grt_still_fine' });
      await expect(verifier.verify(other)).resolves.toBeDefined();
    } finally {
      await issuer.close();
    }
  });

  it('stops on close, even in the middle of a stream', async () => {
    const list = follow();
    await list.ready();
    await waitUntil(() => feed.openStreams === 1);
    await list.close();
    await waitUntil(() => feed.openStreams === 0);
    expect(list.connected).toBe(false);
    follower = undefined;
  });
});
