import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { type FeedRevocation, REVOCATION_EVENT } from '../revocations/revocation-feed';

export interface FeedRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly lastEventId: string | undefined;
}

/** A revocation with defaults: a fresh grant, revoked now, expiring in an hour. */
export const revocation = (
  overrides: Partial<Omit<FeedRevocation, 'cursor'>> = {},
): Omit<FeedRevocation, 'cursor'> => ({
  grantId: `grt_${randomUUID().replaceAll('-', '')}`,
  orgId: 'org_01jqk6ry4b0000000000000000',
  subject: 'usr_01jqk6ry4b0000000000000000',
  clientId: 'cli_test',
  actor: null,
  reason: 'admin',
  revokedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  ...overrides,
});

/**
 * Mandate's revocation feed on loopback, as docs/revocation-feed.md specifies it: the list endpoint
 * with `after`/`limit`, and the SSE stream replaying from `after` then sending live revocations.
 * Tests can drop every stream, send raw frames, and pretend a cursor is too old.
 */
export class TestRevocationFeed {
  readonly requests: FeedRequest[] = [];
  readonly revocations: FeedRevocation[] = [];
  /** Cursors older than this answer 410 Gone (nothing is forgotten by default). */
  oldestCursor = 0;
  /** The next stream connections answer this status instead of streaming (one per element). */
  failNextStreams: number[] = [];
  /** Whether the stream sends heartbeats (every `heartbeatMs`). */
  heartbeatMs = 15_000;
  /** Whether open streams receive new revocations (false: a stuck stream). */
  live = true;
  private readonly streams = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  static async start(apiKey = 'mk_test_key'): Promise<TestRevocationFeed> {
    const handlers: ((request: IncomingMessage, response: ServerResponse) => void)[] = [];
    const server = createServer((request, response) => handlers[0]?.(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const feed = new TestRevocationFeed(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiKey,
    );
    handlers.push((request, response) => feed.handle(request, response));
    return feed;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  static cursorOf(index: number): string {
    return `c-${String(index).padStart(6, '0')}`;
  }

  /** Commits a revocation: it is listed from now on and sent to every open stream. */
  revoke(fields: Omit<FeedRevocation, 'cursor'> = revocation()): FeedRevocation {
    const item = { cursor: TestRevocationFeed.cursorOf(this.revocations.length + 1), ...fields };
    this.revocations.push(item);
    if (this.live) for (const stream of this.streams) stream.write(frame(item));
    return item;
  }

  /** Writes raw text to every open stream. */
  sendRaw(text: string): void {
    for (const stream of this.streams) stream.write(text);
  }

  /** Ends every open stream (a deploy, a proxy timeout). */
  dropStreams(): void {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
  }

  async close(): Promise<void> {
    this.dropStreams();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const lastEventId = request.headers['last-event-id'];
    this.requests.push({
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
    });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, {
        'content-type': status < 300 ? 'application/json' : 'application/problem+json',
      });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${this.apiKey}`)
      return json(401, { title: 'Unauthorized' });
    const after =
      url.searchParams.get('after') ?? (url.pathname.endsWith('/stream') ? lastEventId : undefined);
    const start = after === undefined || after === null ? 0 : this.positionAfter(String(after));
    if (start === null) return json(400, { title: 'Invalid cursor' });
    if (after !== undefined && after !== null && start < this.oldestCursor)
      return json(410, { title: 'Cursor too old' });
    if (url.pathname === '/api/v1/revocations') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? '100'), 1000);
      const data = this.revocations.slice(start, start + limit);
      return json(200, { data, nextCursor: data.at(-1)?.cursor ?? after ?? null });
    }
    if (url.pathname === '/api/v1/revocations/stream') {
      const failure = this.failNextStreams.shift();
      if (failure !== undefined) return json(failure, { title: 'Failing on purpose' });
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.write('retry: 10\n\n');
      for (const item of this.revocations.slice(start)) response.write(frame(item));
      const heartbeat = setInterval(() => response.write(': ping\n\n'), this.heartbeatMs);
      this.streams.add(response);
      response.on('close', () => {
        clearInterval(heartbeat);
        this.streams.delete(response);
      });
      return;
    }
    json(404, { title: 'Not found' });
  }

  /** The index of the first revocation after `cursor`, or null for a cursor this feed never issued. */
  private positionAfter(cursor: string): number | null {
    const match = /^c-(\d{6})$/.exec(cursor);
    return match ? Number(match[1]) : null;
  }
}

/** The SSE frame of one revocation, its JSON split over two `data:` lines to exercise joining. */
export const frame = (item: FeedRevocation): string => {
  const json = JSON.stringify(item, null, 1).split('\n');
  return `id: ${item.cursor}\nevent: ${REVOCATION_EVENT}\n${json.map((line) => `data: ${line}`).join('\n')}\n\n`;
};
