import { afterAttempt, type AuditRecord, signedContent } from '@mandate/audit-domain';
import { DomainError } from '@mandate/kernel';
import { prefixedId, type SecretBox } from '@mandate/platform';
import { createHmac, randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';

/** Records a stream sends per pass, in log order. */
const BATCH = 50;
const REQUEST_TIMEOUT_MS = 15_000;
const sealingContext = (streamId: string) => `audit-stream:${streamId}`;

interface StreamRow {
  stream_id: string;
  org_id: string;
  kind: 'http';
  url: string;
  sealed_secret: string;
  status: 'active' | 'disabled';
  delivered_through: string;
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface StreamView {
  readonly id: string;
  readonly kind: 'http';
  readonly url: string;
  readonly status: 'active' | 'disabled';
  /** The last sequence delivered (or dead-lettered); -1 before the first. */
  readonly deliveredThrough: number;
  readonly failedAttempts: number;
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deadLetters: number;
  readonly createdAt: string;
}

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

/** Only https endpoints (plain http to loopback, for a local collector), never with credentials in the URL. */
const validEndpoint = (url: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DomainError('invalid', 'AUDIT_STREAM_URL_INVALID', `${url} is not a URL`);
  }
  if ((parsed.protocol !== 'https:' && !LOOPBACK.test(url)) || parsed.username || parsed.password)
    throw new DomainError(
      'invalid',
      'AUDIT_STREAM_URL_INVALID',
      'Stream to an https URL without credentials',
    );
  return parsed.href;
};

/**
 * Per-organization log streams to an HTTP endpoint: every record of the log, in order, as a Standard
 * Webhooks message (`webhook-id` = the record id, HMAC-SHA256 signature with the stream's secret), retried
 * on the schedule, dead-lettered once it is spent, redelivered on request.
 */
export class LogStreams {
  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly clock: () => Date,
    private readonly send: typeof fetch = fetch,
  ) {}

  async create(orgId: string, url: string): Promise<StreamView & { secret: string }> {
    const streamId = prefixedId('lst');
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const now = this.clock();
    await this.dataSource.query(
      `insert into audit.streams (stream_id, org_id, kind, url, sealed_secret, status, delivered_through, attempts,
         next_attempt_at, created_at, updated_at) values ($1, $2, 'http', $3, $4, 'active', -1, 0, $5, $5, $5)`,
      [streamId, orgId, validEndpoint(url), this.secrets.seal(secret, sealingContext(streamId)), now],
    );
    return { ...(await this.get(orgId, streamId)), secret };
  }

  async list(orgId: string): Promise<StreamView[]> {
    const rows = await this.dataSource.query<(StreamRow & { dead: string })[]>(
      `select s.*, (select count(*) from audit.stream_dead_letters d where d.stream_id = s.stream_id) as dead
         from audit.streams s where s.org_id = $1 order by s.stream_id`,
      [orgId],
    );
    return rows.map(toView);
  }

  async get(orgId: string, streamId: string): Promise<StreamView> {
    const view = (await this.list(orgId)).find((stream) => stream.id === streamId);
    if (!view)
      throw new DomainError('not_found', 'AUDIT_STREAM_NOT_FOUND', 'The organization has no such stream');
    return view;
  }

  /** Sends the log again from `fromSequence` (dead letters included), and re-enables a disabled stream. */
  async redeliver(orgId: string, streamId: string, fromSequence: number): Promise<StreamView> {
    await this.get(orgId, streamId);
    await this.dataSource.query(
      `update audit.streams set delivered_through = $3, attempts = 0, next_attempt_at = $4, status = 'active',
         updated_at = $4 where org_id = $1 and stream_id = $2`,
      [orgId, streamId, fromSequence - 1, this.clock()],
    );
    await this.dataSource.query(
      'delete from audit.stream_dead_letters where stream_id = $1 and sequence >= $2',
      [streamId, fromSequence],
    );
    return this.get(orgId, streamId);
  }

  /** One pass over the streams that are due: each sends what its log holds after its cursor. */
  async deliverDue(): Promise<void> {
    const due = await this.dataSource.query<StreamRow[]>(
      "select * from audit.streams where status = 'active' and next_attempt_at <= $1",
      [this.clock()],
    );
    for (const stream of due) await this.deliver(stream);
  }

  private async deliver(stream: StreamRow): Promise<void> {
    const secret = Buffer.from(
      this.secrets.open(stream.sealed_secret, sealingContext(stream.stream_id)).slice('whsec_'.length),
      'base64',
    );
    const rows = await this.dataSource.query<{ sequence: string; record: AuditRecord }[]>(
      'select sequence, record from audit.records where org_id = $1 and sequence > $2 order by sequence limit $3',
      [stream.org_id, stream.delivered_through, BATCH],
    );
    let attempts = stream.attempts;
    for (const row of rows) {
      const { status, error, retryAfter } = await this.post(stream.url, secret, row.record);
      const outcome = afterAttempt(
        status,
        status !== null && status < 300 && status >= 200 ? 0 : attempts + 1,
        retryAfter,
      );
      const now = this.clock();
      if (outcome.next === 'delivered' || outcome.next === 'dead_letter') {
        if (outcome.next === 'dead_letter')
          await this.dataSource.query(
            `insert into audit.stream_dead_letters (stream_id, sequence, attempts, last_error, dead_at)
             values ($1, $2, $3, $4, $5) on conflict do nothing`,
            [stream.stream_id, row.sequence, attempts + 1, error ?? `HTTP ${status}`, now],
          );
        attempts = 0;
        await this.save(stream.stream_id, {
          deliveredThrough: row.sequence,
          attempts,
          next: now,
          status,
          error,
        });
        continue;
      }
      if (outcome.next === 'disable') {
        await this.dataSource.query(
          "update audit.streams set status = 'disabled', last_status = $2, last_error = $3, updated_at = $4 where stream_id = $1",
          [stream.stream_id, status, 'the endpoint answered 410 Gone', now],
        );
        return;
      }
      await this.save(stream.stream_id, {
        deliveredThrough: String(Number(row.sequence) - 1),
        attempts: attempts + 1,
        next: new Date(now.getTime() + outcome.delayMs),
        status,
        error,
      });
      return;
    }
  }

  private async save(
    streamId: string,
    state: {
      deliveredThrough: string;
      attempts: number;
      next: Date;
      status: number | null;
      error: string | null;
    },
  ): Promise<void> {
    await this.dataSource.query(
      `update audit.streams set delivered_through = $2, attempts = $3, next_attempt_at = $4, last_status = $5,
         last_error = $6, updated_at = $7 where stream_id = $1`,
      [streamId, state.deliveredThrough, state.attempts, state.next, state.status, state.error, this.clock()],
    );
  }

  private async post(
    url: string,
    secret: Buffer,
    record: AuditRecord,
  ): Promise<{ status: number | null; error: string | null; retryAfter: number | null }> {
    const body = JSON.stringify({
      type: `mandate.audit.${record.action}`,
      timestamp: record.occurredAt,
      data: record,
    });
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const signature = createHmac('sha256', secret)
      .update(signedContent(record.id, timestamp, body))
      .digest('base64');
    try {
      const response = await this.send(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'webhook-id': record.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${signature}`,
        },
        body,
      });
      await response.arrayBuffer().catch(() => undefined);
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        status: response.status,
        error: response.ok ? null : `HTTP ${response.status}`,
        retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      };
    } catch (error) {
      return { status: null, error: (error as Error).message, retryAfter: null };
    }
  }
}

const toView = (row: StreamRow & { dead: string }): StreamView => ({
  id: row.stream_id,
  kind: row.kind,
  url: row.url,
  status: row.status,
  deliveredThrough: Number(row.delivered_through),
  failedAttempts: row.attempts,
  nextAttemptAt: row.next_attempt_at.toISOString(),
  lastStatus: row.last_status,
  lastError: row.last_error,
  deadLetters: Number(row.dead),
  createdAt: row.created_at.toISOString(),
});
