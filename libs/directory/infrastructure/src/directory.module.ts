import { type EventStore } from '@mandate/eventstore';
import { ApiKeyRepository, PLATFORM_CLOCK, type Clock } from '@mandate/platform';
import { TenancyModule } from '@mandate/tenancy';
import { type DynamicModule, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsProjection } from './organizations/organizations.projection';
import { OrganizationsService } from './organizations/organizations.service';

export const DIRECTORY_EVENT_STORE = Symbol('DIRECTORY_EVENT_STORE');

@Injectable()
class ProjectionLifecycle implements OnApplicationShutdown {
  constructor(private readonly projection: OrganizationsProjection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.projection.stop();
  }
}

/**
 * The directory context: owns organizations (and, to come, directories, users, groups and agents).
 * Its event store is handed in by the composition root, which owns its lifecycle.
 */
@Module({})
export class DirectoryModule {
  static forRoot({ eventStore }: { eventStore: EventStore }): DynamicModule {
    return {
      module: DirectoryModule,
      imports: [TenancyModule.forContext({ context: 'directory', schema: 'directory' })],
      controllers: [OrganizationsController],
      providers: [
        { provide: DIRECTORY_EVENT_STORE, useValue: eventStore },
        {
          provide: OrganizationsProjection,
          inject: [DIRECTORY_EVENT_STORE, DataSource],
          useFactory: (store: EventStore, dataSource: DataSource) =>
            OrganizationsProjection.start(store, dataSource),
        },
        ProjectionLifecycle,
        {
          provide: OrganizationsService,
          inject: [
            DIRECTORY_EVENT_STORE,
            DataSource,
            OrganizationsProjection,
            ApiKeyRepository,
            PLATFORM_CLOCK,
          ],
          useFactory: (
            store: EventStore,
            dataSource: DataSource,
            projection: OrganizationsProjection,
            apiKeys: ApiKeyRepository,
            clock: Clock,
          ) => new OrganizationsService(store, dataSource, projection, apiKeys, clock),
        },
      ],
    };
  }
}
