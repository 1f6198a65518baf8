import {
  checkStreamDestination,
  type StreamDestination,
  type StreamDestinationRequest,
  type StreamedRecord,
  type StreamKind,
  nextAfter,
} from '@mandate/audit-domain';
import { DomainError } from '@mandate/kernel';
import { prefixedId, type SecretBox } from '@mandate/platform';
import { randomBytes, X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { type DataSource } from 'typeorm';
import { HttpSender } from './http-sender';
import { KafkaSender } from './kafka-sender';
import { type StreamSender } from './stream-sender';
import { SyslogSender } from './syslog-sender';

/** Records a stream reads per pass, in log order. */
const BATCH = 50;
const sealingContext = (streamId: string) => `audit-stream:${streamId}`;

interface StreamRow {
  stream_id: string;
  org_id: string;
  kind: StreamKind;
  destination: StreamDestination;
  sealed_secret: string | null;
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
  readonly kind: StreamKind;
  /** Where the stream goes; never a secret. */
  readonly destination: StreamDestination;
  readonly status: 'active' | 'disabled';
  /** The last sequence delivered (or dead-lettered); -1 before the first. */
  readonly deliveredThrough: number;
  readonly failedAttempts: number;
  readonly nextAttemptAt: string;
  /** The HTTP status of the last attempt (null for Kafka and syslog, and when there was no answer). */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deadLetters: number;
  readonly createdAt: string;
}

export interface LogStreamsOptions {
  /** Who holds a lease: unique per process (default host name, pid and a random suffix). */
  readonly replicaId?: string;
  /**
   * How long a lease lasts unless renewed (default 30 s). A replica renews it with every batch it
   * delivers; one that dies loses its streams this long after its last renewal. Longer than any send
   * may take, or a slow send could overlap the next holder's.
   */
  readonly leaseTtlMs?: number;
  /** The HOSTNAME of syslog messages (default this machine's name). */
  readonly hostname?: string;
  readonly fetch?: typeof fetch;
  readonly timeouts?: {
    readonly requestMs?: number;
    readonly connectMs?: number;
    /** See SyslogSenderTimeouts.settleMs. */
    readonly syslogSettleMs?: number;
  };
}

/**
 * Per-organization log streams to an HTTP endpoint (Standard Webhooks), a Kafka topic or a syslog
 * collector (RFC 5424 over TCP or TLS): every record of the log, in order, retried on one schedule,
 * dead-lettered once it is spent, redelivered on request. However many replicas run, a stream is
 * delivered by the one holding its lease (a row lock taken with an atomic update, renewed as it goes);
 * another takes over from the stored cursor once a dead holder's lease runs out.
 */
export class LogStreams {
  private readonly replicaId: string;
  private readonly leaseTtlMs: number;
  private readonly senders = new Map<string, StreamSender>();
  private pass: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly clock: () => Date,
    private readonly options: LogStreamsOptions = {},
  ) {
    this.replicaId = options.replicaId ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
  }

  /** A new stream; the answer carries the HTTP signing secret, which is never shown again. */
  async create(orgId: string, request: StreamDestinationRequest): Promise<StreamView & { secret?: string }> {
    const { destination, saslPassword } = checkStreamDestination(request);
    if ('ca' in destination && destination.ca !== undefined) assertCertificates(destination.ca);
    const streamId = prefixedId('lst');
    const secret = destination.kind === 'http' ? `whsec_${randomBytes(32).toString('base64')}` : saslPassword;
    const now = this.clock();
    await this.dataSource.query(
      `insert into audit.streams (stream_id, org_id, kind, destination, sealed_secret, status, delivered_through,
         attempts, next_attempt_at, created_at, updated_at) values ($1, $2, $3, $4, $5, 'active', -1, 0, $6, $6, $6)`,
      [
        streamId,
        orgId,
        destination.kind,
        JSON.stringify(destination),
        secret === null ? null : this.secrets.seal(secret, sealingContext(streamId)),
        now,
      ],
    );
    const view = await this.get(orgId, streamId);
    return destination.kind === 'http' && secret !== null ? { ...view, secret } : view;
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

  /**
   * Sends the log again from `fromSequence` (dead letters included), and re-enables a disabled stream.
   * The replica delivering it notices the moved cursor at its next save and starts over from there.
   */
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

  /**
   * One pass: takes (or renews) the lease of every active stream that is due and free or already
   * this replica's, then each sends what its log holds after its cursor. A call made while a pass
   * runs waits for that pass: the lease is the replica's, so two passes of one replica would overlap.
   */
  deliverDue(): Promise<void> {
    this.pass ??= this.deliverLeased().finally(() => (this.pass = null));
    return this.pass;
  }

  private async deliverLeased(): Promise<void> {
    const leased = await this.dataSource.query<StreamRow[]>(
      `with leased as (
         update audit.streams set leased_by = $1, lease_until = now() + make_interval(secs => $2)
          where status = 'active' and next_attempt_at <= $3
            and (leased_by = $1 or lease_until is null or lease_until < now())
          returning *)
       select * from leased order by stream_id`,
      [this.replicaId, this.leaseTtlMs / 1000, this.clock()],
    );
    const held = new Set(leased.map((stream) => stream.stream_id));
    for (const streamId of [...this.senders.keys()]) if (!held.has(streamId)) await this.dropSender(streamId);
    for (const stream of leased) {
      const kept = await this.deliver(stream);
      if (!kept) await this.dropSender(stream.stream_id);
    }
  }

  /** Closes every connection and hands this replica's leases back, so another replica takes over at once. */
  async stop(): Promise<void> {
    await this.pass?.catch(() => undefined);
    for (const streamId of [...this.senders.keys()]) await this.dropSender(streamId);
    await this.dataSource.query(
      'update audit.streams set leased_by = null, lease_until = null where leased_by = $1',
      [this.replicaId],
    );
  }

  /** Delivers one leased stream's next batch; false when the lease (or the cursor) went to someone else meanwhile. */
  private async deliver(stream: StreamRow): Promise<boolean> {
    const sender = this.senderFor(stream);
    const rows = await this.dataSource.query<{ sequence: string; record: StreamedRecord }[]>(
      'select sequence, record from audit.records where org_id = $1 and sequence > $2 order by sequence limit $3',
      [stream.org_id, stream.delivered_through, BATCH],
    );
    let cursor = stream.delivered_through;
    let attempts = stream.attempts;
    for (let next = 0; next < rows.length;) {
      // After a failure, the record that failed goes alone, so only it can end in the dead letters.
      const chunk = rows.slice(next, next + (attempts > 0 ? 1 : sender.batchSize));
      const attempt = await sender.send(chunk.map((row) => row.record));
      const failedAttempts = attempt.result === 'accepted' ? 0 : attempts + 1;
      const outcome = nextAfter(attempt, failedAttempts);
      const now = this.clock();
      const error = attempt.result === 'accepted' ? null : attempt.error;
      switch (outcome.next) {
        case 'delivered':
        case 'dead_letter': {
          const done = outcome.next === 'delivered' ? chunk : chunk.slice(0, 1);
          const through = done.at(-1)!.sequence;
          if (outcome.next === 'dead_letter')
            await this.dataSource.query(
              `insert into audit.stream_dead_letters (stream_id, sequence, attempts, last_error, dead_at)
               values ($1, $2, $3, $4, $5) on conflict do nothing`,
              [stream.stream_id, through, failedAttempts, error, now],
            );
          const saved = await this.save(stream.stream_id, cursor, {
            deliveredThrough: through,
            attempts: 0,
            next: now,
            status: attempt.status,
            error,
          });
          if (!saved) return false;
          cursor = through;
          attempts = 0;
          next += done.length;
          continue;
        }
        case 'disable':
          return this.save(stream.stream_id, cursor, {
            deliveredThrough: cursor,
            attempts,
            next: now,
            status: attempt.status,
            error,
            disable: true,
          });
        case 'retry':
          return this.save(stream.stream_id, cursor, {
            deliveredThrough: cursor,
            attempts: failedAttempts,
            next: new Date(now.getTime() + outcome.delayMs),
            status: attempt.status,
            error,
          });
      }
    }
    return true;
  }

  /**
   * Stores where the stream is and renews the lease, if this replica still holds it and nobody moved
   * the cursor since it was read (a redelivery); false otherwise, and nothing is written.
   */
  private async save(
    streamId: string,
    readThrough: string,
    state: {
      deliveredThrough: string;
      attempts: number;
      next: Date;
      status: number | null;
      error: string | null;
      disable?: boolean;
    },
  ): Promise<boolean> {
    const saved = await this.dataSource.query<unknown[]>(
      `with saved as (
         update audit.streams set delivered_through = $4, attempts = $5, next_attempt_at = $6, last_status = $7,
                last_error = $8, updated_at = $9, lease_until = now() + make_interval(secs => $10),
                status = case when $11 then 'disabled' else status end
          where stream_id = $1 and leased_by = $2 and delivered_through = $3
          returning stream_id)
       select stream_id from saved`,
      [
        streamId,
        this.replicaId,
        readThrough,
        state.deliveredThrough,
        state.attempts,
        state.next,
        state.status,
        state.error,
        this.clock(),
        this.leaseTtlMs / 1000,
        state.disable ?? false,
      ],
    );
    return saved.length === 1;
  }

  private senderFor(stream: StreamRow): StreamSender {
    const existing = this.senders.get(stream.stream_id);
    if (existing) return existing;
    const sender = this.newSender(stream);
    this.senders.set(stream.stream_id, sender);
    return sender;
  }

  private newSender(stream: StreamRow): StreamSender {
    const { destination } = stream;
    const secret = () => {
      if (stream.sealed_secret === null) throw new Error(`Stream ${stream.stream_id} has no secret`);
      return this.secrets.open(stream.sealed_secret, sealingContext(stream.stream_id));
    };
    const timeouts = this.options.timeouts ?? {};
    switch (destination.kind) {
      case 'http':
        return new HttpSender(
          destination.url,
          Buffer.from(secret().slice('whsec_'.length), 'base64'),
          this.clock,
          this.options.fetch ?? fetch,
          timeouts.requestMs ?? 15_000,
        );
      case 'kafka':
        return new KafkaSender(
          destination,
          destination.sasl ? secret() : null,
          `mandate-audit-${stream.stream_id}`,
          {
            connectionTimeoutMs: timeouts.connectMs ?? 5_000,
            requestTimeoutMs: timeouts.requestMs ?? 15_000,
          },
        );
      case 'syslog':
        return new SyslogSender(destination, this.options.hostname ?? hostname(), {
          connectTimeoutMs: timeouts.connectMs ?? 5_000,
          settleMs: timeouts.syslogSettleMs ?? 50,
        });
    }
  }

  private async dropSender(streamId: string): Promise<void> {
    const sender = this.senders.get(streamId);
    this.senders.delete(streamId);
    await sender?.close();
  }
}

/** A CA the TLS stack can read; a malformed one is refused at creation rather than at every delivery. */
const assertCertificates = (pem: string): void => {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch {
    throw new DomainError(
      'invalid',
      'AUDIT_STREAM_DESTINATION_INVALID',
      'The stream destination is not valid: #/ca is not a readable certificate.',
      {
        errors: [{ pointer: '#/ca', detail: 'Not a readable X.509 certificate.', code: 'invalid' }],
      },
    );
  }
};

const toView = (row: StreamRow & { dead: string }): StreamView => ({
  id: row.stream_id,
  kind: row.kind,
  destination: row.destination,
  status: row.status,
  deliveredThrough: Number(row.delivered_through),
  failedAttempts: row.attempts,
  nextAttemptAt: row.next_attempt_at.toISOString(),
  lastStatus: row.last_status,
  lastError: row.last_error,
  deadLetters: Number(row.dead),
  createdAt: row.created_at.toISOString(),
});
