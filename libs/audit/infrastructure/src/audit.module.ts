import { auditRecordFor } from '@mandate/audit-domain';
import { type EventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import { type Clock, PLATFORM_CLOCK, PublicUrl, SecretBox } from '@mandate/platform';
import { TenancyModule } from '@mandate/tenancy';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditController, AuditKeysController } from './http/audit.controller';
import { AuditIngestController } from './http/ingest.controller';
import { AuditRetentionController } from './http/retention.controller';
import { AuditLogService } from './log/audit-log.service';
import { CheckpointKeys } from './log/checkpoint-keys';
import { AuditRetention } from './log/retention';
import { appendToLog } from './persistence/audit-log.store';
import { LogStreams } from './streams/log-streams';
import { LogStreamsController } from './streams/log-streams.controller';

export const AUDIT_EVENT_STORE = Symbol('AUDIT_EVENT_STORE');
const IDENTITY_EVENTS = Symbol('AUDIT_IDENTITY_EVENTS');
const CONSUMER = 'audit.identity-events';

/** Signed checkpoints of every log that grew are published at this cadence (and on demand). */
export const CHECKPOINT_INTERVAL_MS = 60_000;

/** Every identity event of directory, authn and authz becomes a record of its organization's log. */
@EventConsumer({
  groupId: CONSUMER,
  contexts: ['directory', 'authn', 'authz'],
  types: ['directory.', 'authn.', 'authz.'],
})
@Injectable()
class IdentityEventsConsumer implements EventConsumerHandler {
  constructor(
    @Inject(IDENTITY_EVENTS) private readonly idempotent: IdempotentConsumer,
    @Inject(PLATFORM_CLOCK) private readonly clock: Clock,
  ) {}

  async handle(event: RecordedEvent): Promise<void> {
    const record = auditRecordFor(event);
    if (!record) return;
    await this.idempotent.handle(CONSUMER, event, async (manager) => {
      await appendToLog(manager, record.orgId, [record], this.clock(), [event.id]);
    });
  }
}

/** How often the retention job redacts what has passed its organization's retention. */
export const RETENTION_INTERVAL_MS = 60 * 60_000;

/** How often the log streams look for records to send. */
export const STREAM_POLL_MS = 250;

@Injectable()
class AuditSchedules implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly timers: NodeJS.Timeout[] = [];
  private delivering: Promise<void> | null = null;
  private readonly logger = new Logger('AuditSchedules');

  constructor(
    private readonly keys: CheckpointKeys,
    private readonly log: AuditLogService,
    private readonly streams: LogStreams,
    private readonly retention: AuditRetention,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.load();
    this.every(CHECKPOINT_INTERVAL_MS, () => {
      this.log
        .checkpointGrownLogs()
        .catch((error: unknown) => this.logger.error(`AUDIT_CHECKPOINT_FAILED ${String(error)}`));
    });
    this.every(RETENTION_INTERVAL_MS, () => {
      this.retention
        .enforce()
        .catch((error: unknown) => this.logger.error(`AUDIT_RETENTION_FAILED ${String(error)}`));
    });
    this.every(STREAM_POLL_MS, () => {
      // One pass at a time: a slow endpoint delays its stream, never doubles a delivery.
      this.delivering ??= this.streams
        .deliverDue()
        .catch((error: unknown) => this.logger.error(`AUDIT_STREAM_FAILED ${String(error)}`))
        .finally(() => (this.delivering = null));
    });
  }

  /** Before any shutdown hook closes the database: the leases are handed back through it. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.delivering;
    // Hand the stream leases back so another replica takes over now rather than after their TTL.
    await this.streams
      .stop()
      .catch((error: unknown) => this.logger.warn(`AUDIT_STREAM_LEASES_KEPT ${String(error)}`));
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.timers.push(timer);
  }
}

/**
 * The audit context: one tamper-evident log per organization (RFC 9162 Merkle tree, signed C2SP
 * checkpoints), fed by every identity event, queried, proven and exported through the API.
 */
@Module({})
export class AuditModule {
  static forRoot({ eventStore, secretKey }: { eventStore: EventStore; secretKey: Buffer }): DynamicModule {
    return {
      module: AuditModule,
      imports: [TenancyModule.forContext({ context: 'audit', schema: 'audit' })],
      controllers: [
        AuditController,
        AuditKeysController,
        AuditIngestController,
        AuditRetentionController,
        LogStreamsController,
      ],
      providers: [
        { provide: AUDIT_EVENT_STORE, useValue: eventStore },
        {
          provide: CheckpointKeys,
          inject: [PLATFORM_CLOCK],
          useFactory: (clock: Clock) =>
            new CheckpointKeys(eventStore, new SecretBox(secretKey), 'mandate-audit', clock),
        },
        {
          provide: AuditLogService,
          inject: [DataSource, CheckpointKeys, PublicUrl, PLATFORM_CLOCK],
          useFactory: (dataSource: DataSource, keys: CheckpointKeys, url: PublicUrl, clock: Clock) =>
            new AuditLogService(dataSource, keys, url, clock),
        },
        {
          provide: IDENTITY_EVENTS,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => IdempotentConsumer.create(dataSource, { schema: 'audit' }),
        },
        IdentityEventsConsumer,
        {
          provide: LogStreams,
          inject: [DataSource, PLATFORM_CLOCK],
          useFactory: (dataSource: DataSource, clock: Clock) =>
            new LogStreams(dataSource, new SecretBox(secretKey), clock),
        },
        {
          provide: AuditRetention,
          inject: [DataSource, PLATFORM_CLOCK],
          useFactory: (dataSource: DataSource, clock: Clock) => new AuditRetention(dataSource, clock),
        },
        AuditSchedules,
      ],
      exports: [AUDIT_EVENT_STORE],
    };
  }
}
