import { assertSecureUrl, type FetchLike, getJson, HttpStatusError } from '../http';
import { consoleLogger, describeError, type SdkLogger } from '../logger';
import { type BackoffOptions, backoffDelay, deferred, sleep } from '../timing';
import {
  type FeedRevocation,
  feedRevocationSchema,
  MAX_REVOCATION_PAGE_SIZE,
  REVOCATION_EVENT,
  revocationPageSchema,
} from './revocation-feed';
import { type RevocationFollower, RevokedGrants } from './revocation-list';
import { SseParser } from './sse-parser';

export interface HttpRevocationsOptions {
  /** Mandate's base URL, e.g. `https://mandate.example.com`. */
  readonly baseUrl: string;
  /** An organization API key (its organization's revocations) or an admin key (all). */
  readonly apiKey: string;
  readonly fetch?: FetchLike;
  /** Revocations per catch-up request (500 by default, at most 1000). */
  readonly pageSize?: number;
  /** Reconnection delays; a `retry:` from the server raises the first one. */
  readonly backoff?: BackoffOptions;
  /** The stream counts as dead after this long without a byte (45 s: three missed 15 s heartbeats). */
  readonly heartbeatTimeoutMs?: number;
  /** Timeout of one catch-up request (10 s by default). */
  readonly requestTimeoutMs?: number;
  /** How long after `expiresAt` a grant is remembered (5 min by default; must exceed clock tolerance). */
  readonly retentionMs?: number;
  /** Called with each new revocation, after it is in the list. */
  readonly onRevocation?: (revocation: FeedRevocation) => void;
  readonly logger?: SdkLogger;
  /** Milliseconds since the epoch (expiry pruning); `Date.now` by default. */
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface HttpRevocationFollower extends RevocationFollower {
  /** The position reached in the feed; null before the first revocation. */
  readonly cursor: string | null;
}

const isPermanent = (error: unknown): boolean =>
  error instanceof HttpStatusError && (error.status === 401 || error.status === 403);

class CursorGone extends Error {}

class HttpFollower implements HttpRevocationFollower {
  private readonly grants: RevokedGrants;
  private readonly initialCatchUp = deferred();
  private readonly stopping = new AbortController();
  private readonly base: string;
  private readonly fetch: FetchLike;
  private readonly logger: SdkLogger;
  private readonly pageSize: number;
  private readonly pruneTimer: ReturnType<typeof setInterval>;
  private running: Promise<void> = Promise.resolve();
  private serverRetryMs = 0;
  private isConnected = false;
  private position: string | null = null;

  constructor(private readonly options: HttpRevocationsOptions) {
    this.base = assertSecureUrl(options.baseUrl, 'baseUrl').href.replace(/\/+$/, '');
    if (options.apiKey === '') throw new TypeError('apiKey is required');
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.logger = options.logger ?? consoleLogger;
    this.pageSize = Math.min(Math.max(1, options.pageSize ?? 500), MAX_REVOCATION_PAGE_SIZE);
    this.grants = new RevokedGrants({
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    });
    this.pruneTimer = setInterval(() => this.grants.prune(), 60_000);
    this.pruneTimer.unref();
  }

  start(): this {
    this.running = this.run();
    return this;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get cursor(): string | null {
    return this.position;
  }

  get size(): number {
    return this.grants.size;
  }

  isRevoked(grantId: string): boolean {
    return this.grants.has(grantId);
  }

  ready(): Promise<void> {
    return this.initialCatchUp.promise;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.pruneTimer);
    if (!this.initialCatchUp.settled)
      this.initialCatchUp.reject(new Error('The revocation follower was closed'));
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let healthy = false;
      try {
        await this.catchUp();
        this.initialCatchUp.resolve();
        healthy = await this.follow();
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof CursorGone) {
          this.logger.warn(
            'The revocation cursor is older than the feed retains: catching up from the beginning',
          );
          this.position = null;
          continue;
        }
        if (!this.initialCatchUp.settled && isPermanent(error)) {
          this.logger.error(`Revocation feed refused the API key: ${describeError(error)}`);
          this.initialCatchUp.reject(error);
          break;
        }
        this.logger.warn(`Revocation feed interrupted: ${describeError(error)}`);
      } finally {
        this.isConnected = false;
      }
      if (healthy) attempt = 0;
      const delay = backoffDelay(
        attempt,
        {
          initialMs: Math.max(this.options.backoff?.initialMs ?? 500, this.serverRetryMs),
          maxMs: this.options.backoff?.maxMs ?? 30_000,
        },
        this.options.random,
      );
      attempt += 1;
      await sleep(delay, this.stopping.signal);
    }
  }

  private headers(accept: string): Record<string, string> {
    return { authorization: `Bearer ${this.options.apiKey}`, accept };
  }

  private apply(candidate: unknown, where: string): FeedRevocation | null {
    const parsed = feedRevocationSchema.safeParse(candidate);
    if (!parsed.success) {
      this.logger.warn(`Skipped a malformed revocation (${where}): ${parsed.error.issues[0]?.message ?? ''}`);
      return null;
    }
    if (this.grants.add(parsed.data)) this.options.onRevocation?.(parsed.data);
    return parsed.data;
  }

  /** Reads the list endpoint from the cursor until a short page; a forgotten cursor restarts from the beginning. */
  private async catchUp(): Promise<void> {
    try {
      await this.readPages();
    } catch (error) {
      if (!(error instanceof CursorGone)) throw error;
      this.logger.warn(
        'The revocation cursor is older than the feed retains: catching up from the beginning',
      );
      this.position = null;
      await this.readPages();
    }
  }

  private async readPages(): Promise<void> {
    while (!this.stopped) {
      const query = new URLSearchParams({ limit: String(this.pageSize) });
      if (this.position !== null) query.set('after', this.position);
      let body: unknown;
      try {
        body = await getJson(this.fetch, `${this.base}/api/v1/revocations?${query.toString()}`, {
          timeoutMs: this.options.requestTimeoutMs ?? 10_000,
          maxBytes: 4 * 1024 * 1024,
          headers: this.headers('application/json'),
        });
      } catch (error) {
        if (error instanceof HttpStatusError && error.status === 410 && this.position !== null)
          throw new CursorGone();
        throw error;
      }
      const page = revocationPageSchema.safeParse(body);
      if (!page.success) throw new Error('The revocation list answered something that is not a page');
      for (const item of page.data.data) this.apply(item, 'catch-up');
      // Past every item of the page, malformed ones included: they would come back forever otherwise.
      this.position = page.data.nextCursor ?? this.position;
      if (page.data.data.length < this.pageSize) return;
    }
  }

  /** Follows the stream until it ends; true when it delivered anything (the connection was healthy). */
  private async follow(): Promise<boolean> {
    const connection = new AbortController();
    const abort = () => connection.abort();
    this.stopping.signal.addEventListener('abort', abort, { once: true });
    const timeoutMs = this.options.heartbeatTimeoutMs ?? 45_000;
    let watchdog = setTimeout(abort, timeoutMs);
    let delivered = false;
    try {
      const query =
        this.position === null ? '' : `?${new URLSearchParams({ after: this.position }).toString()}`;
      const response = await this.fetch(`${this.base}/api/v1/revocations/stream${query}`, {
        headers: {
          ...this.headers('text/event-stream'),
          ...(this.position === null ? {} : { 'last-event-id': this.position }),
        },
        signal: connection.signal,
      });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        if (response.status === 410 && this.position !== null) throw new CursorGone();
        throw new HttpStatusError(response.status, response.url);
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        await response.body.cancel();
        throw new Error('The revocation stream is not text/event-stream');
      }
      this.isConnected = true;
      const parser = new SseParser({
        onEvent: (event) => {
          delivered = true;
          if (event.event !== REVOCATION_EVENT) return;
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch {
            this.logger.warn('Skipped a revocation event whose data is not JSON');
            return;
          }
          const revocation = this.apply(json, 'stream');
          if (revocation !== null) this.position = event.lastEventId || revocation.cursor;
        },
        onComment: () => {
          delivered = true;
        },
        onRetry: (ms) => {
          this.serverRetryMs = Math.min(ms, this.options.backoff?.maxMs ?? 30_000);
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          clearTimeout(watchdog);
          watchdog = setTimeout(abort, timeoutMs);
          parser.push(value);
        }
      } finally {
        reader.releaseLock();
      }
      return delivered;
    } catch (error) {
      if (this.stopped) return delivered;
      if (connection.signal.aborted) throw new Error(`No heartbeat for ${timeoutMs} ms`, { cause: error });
      throw error;
    } finally {
      clearTimeout(watchdog);
      this.stopping.signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }
}

/**
 * Follows Mandate's revocation feed over HTTP: catches up from `GET /api/v1/revocations`, then follows
 * `GET /api/v1/revocations/stream` from the last cursor. When the stream drops (or three heartbeats are
 * missed) it reconnects with exponential backoff, catching up from the cursor again, so nothing is
 * missed; re-delivered revocations change nothing.
 */
export const followRevocationsOverHttp = (options: HttpRevocationsOptions): HttpRevocationFollower =>
  new HttpFollower(options).start();
