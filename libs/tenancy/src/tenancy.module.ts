import { type Context } from '@mandate/contracts';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import { type RecordedEvent } from '@mandate/kernel';
import { ApiKeyRepository } from '@mandate/platform';
import {
  Controller,
  type DynamicModule,
  Get,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { applyApiKeyEvent, type KnownOrganization, OrganizationReplica } from './organization-replica';

export interface TenancyOptions {
  /** The context whose view this is: names its consumer group and its route. */
  readonly context: Context;
  /** The schema of the context's read models. */
  readonly schema: string;
}

const IDEMPOTENT_CONSUMER = Symbol('TENANCY_IDEMPOTENT_CONSUMER');

/**
 * One context's replica of the directory's organizations, fed by directory events through the
 * transport (Kafka, or the store in standalone mode), with `GET /api/v1/<context>/organizations/{orgId}`
 * showing what this context knows.
 */
@Module({})
export class TenancyModule {
  static forContext({ context, schema }: TenancyOptions): DynamicModule {
    const groupId = `${context}.tenancy`;

    @Injectable()
    class Replica extends OrganizationReplica {
      constructor(dataSource: DataSource) {
        super(dataSource, schema);
      }
    }

    @EventConsumer({ groupId, contexts: ['directory'], types: ['directory.organization.'] })
    @Injectable()
    class OrganizationsConsumer implements EventConsumerHandler {
      constructor(
        private readonly replica: Replica,
        @Inject(IDEMPOTENT_CONSUMER) private readonly consumer: IdempotentConsumer,
      ) {}

      async handle(event: RecordedEvent): Promise<void> {
        await this.consumer.handle(groupId, event, (manager) => this.replica.apply(event, manager));
      }
    }

    @ApiTags(context)
    @ApiBearerAuth()
    @Controller(`api/v1/${context}/organizations`)
    class KnownOrganizationsController {
      constructor(private readonly replica: Replica) {}

      @Get(':orgId')
      @ApiOperation({
        summary: `The organization as the ${context} service knows it (from directory events)`,
      })
      async find(@Param('orgId') orgId: string): Promise<KnownOrganization> {
        const organization = await this.replica.find(orgId);
        if (!organization)
          throw new NotFoundException(`The ${context} service knows no organization ${orgId}`);
        return organization;
      }
    }

    return {
      module: TenancyModule,
      controllers: [KnownOrganizationsController],
      providers: [
        Replica,
        OrganizationsConsumer,
        {
          provide: IDEMPOTENT_CONSUMER,
          inject: [DataSource, Replica],
          useFactory: async (dataSource: DataSource, replica: Replica) => {
            await replica.ensureCreated();
            return IdempotentConsumer.create(dataSource, { schema });
          },
        },
      ],
      exports: [Replica],
    };
  }

  /**
   * Keeps the platform's `api_keys` read model (what the auth guard verifies keys against) from the
   * directory's API-key events. One per process: every context of the process shares the guard.
   */
  static apiKeys({ service, schema }: { service: string; schema: string }): DynamicModule {
    const groupId = `${service}.api-keys`;

    @EventConsumer({ groupId, contexts: ['directory'], types: ['directory.api_key.'] })
    @Injectable()
    class ApiKeysConsumer implements EventConsumerHandler {
      constructor(
        private readonly apiKeys: ApiKeyRepository,
        @Inject(IDEMPOTENT_CONSUMER) private readonly consumer: IdempotentConsumer,
      ) {}

      async handle(event: RecordedEvent): Promise<void> {
        await this.consumer.handle(groupId, event, (manager) =>
          applyApiKeyEvent(this.apiKeys, event, manager),
        );
      }
    }

    return {
      module: TenancyModule,
      providers: [
        ApiKeysConsumer,
        {
          provide: IDEMPOTENT_CONSUMER,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => IdempotentConsumer.create(dataSource, { schema }),
        },
      ],
    };
  }
}
