import { auditRecordFor } from '@mandate/audit-domain';
import { type EventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import { type Clock, PLATFORM_CLOCK, PublicUrl, SecretBox } from '@mandate/platform';
import { TenancyModule } from '@mandate/tenancy';
import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditController, AuditKeysController } from './http/audit.controller';
import { AuditIngestController } from './http/ingest.controller';
import { AuditLogService } from './log/audit-log.service';
import { CheckpointKeys } from './log/checkpoint-keys';
import { appendToLog } from './persistence/audit-log.store';

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

@Injectable()
class CheckpointCadence implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private readonly logger = new Logger('AuditCheckpoints');

  constructor(
    private readonly keys: CheckpointKeys,
    private readonly log: AuditLogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.load();
    this.timer = setInterval(() => {
      this.log
        .checkpointGrownLogs()
        .catch((error: unknown) => this.logger.error(`AUDIT_CHECKPOINT_FAILED ${String(error)}`));
    }, CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
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
      controllers: [AuditController, AuditKeysController, AuditIngestController],
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
        CheckpointCadence,
      ],
      exports: [AUDIT_EVENT_STORE],
    };
  }
}
