import { type EventStore } from '@mandate/eventstore';
import { ApiKeyRepository, type Clock, PLATFORM_CLOCK, registerErrorRenderer } from '@mandate/platform';
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
import { AgentsController } from './agents/agents.controller';
import { AgentsService } from './agents/agents.service';
import { DirectoriesController } from './directories/directories.controller';
import { DirectoriesService } from './directories/directories.service';
import {
  DOMAIN_RESOLVER,
  type DomainResolver,
  DomainsService,
  dnsDomainResolver,
} from './domains/domains.service';
import { DomainsController } from './domains/domains.controller';
import { EventsController, IDENTITY_EVENT_STORE } from './events/events.controller';
import { HrisController, HrisDeliveriesController } from './hris-intake/hris.controller';
import { HrisInbox } from './hris-intake/hris-inbox';
import { ScimController } from './scim/scim.controller';
import { renderScimError } from './scim/scim-errors';
import { ScimService } from './scim/scim.service';
import { LifecycleReactions } from './lifecycle/lifecycle.reactions';
import { ScheduledDeactivations } from './lifecycle/scheduled-deactivations';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsProjection } from './organizations/organizations.projection';
import { OrganizationsService } from './organizations/organizations.service';
import { DirectoryWriter } from './persistence/directory-writer';
import { ReservationStore } from './persistence/reservations';
import { SecretBox } from '@mandate/platform';
import { applyDirectoryEvent, DirectoryProjection } from './resources/directory.projection';
import { GroupsService } from './resources/groups.service';
import { PeopleController } from './resources/people.controller';
import { ResourcesRepository } from './resources/resources.repository';
import { UsersService } from './resources/users.service';
import { JitProvisioningConsumer } from './sso/jit-provisioning.handler';

export const DIRECTORY_EVENT_STORE = Symbol('DIRECTORY_EVENT_STORE');

export interface DirectoryModuleOptions {
  readonly eventStore: EventStore;
  /** The instance key that seals HRIS webhook secrets. */
  readonly secretKey: Buffer;
  /** DNS lookups for domain verification; the system resolver by default. */
  readonly domainResolver?: DomainResolver;
}

/** Starts the directory's subscriptions once the app is up, and stops them before its connections close. */
@Injectable()
class DirectoryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private reactions: LifecycleReactions | undefined;
  private readonly logger = new Logger('Directory');

  constructor(
    @Inject(DIRECTORY_EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly organizations: OrganizationsProjection,
    private readonly projection: DirectoryProjection,
    private readonly scheduler: ScheduledDeactivations,
    private readonly agents: AgentsService,
    private readonly users: UsersService,
    private readonly groups: GroupsService,
    private readonly directories: DirectoriesService,
    private readonly resources: ResourcesRepository,
    private readonly hris: HrisInbox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.reactions = await LifecycleReactions.start(
      this.store,
      this.dataSource,
      {
        agents: this.agents,
        users: this.users,
        groups: this.groups,
        directories: this.directories,
        resources: this.resources,
      },
      this.logger,
    );
    this.scheduler.start();
    this.hris.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.scheduler.stop(), this.hris.stop()]);
    await this.reactions?.stop();
    await Promise.all([this.organizations.stop(), this.projection.stop()]);
  }
}

/**
 * The directory context: organizations and their domains, SCIM and HRIS directories, the users,
 * groups and agents they provision, and the lifecycle events every other context consumes. Its event
 * store is handed in by the composition root, which owns its lifecycle.
 */
@Module({})
export class DirectoryModule {
  static forRoot({
    eventStore,
    secretKey,
    domainResolver = dnsDomainResolver,
  }: DirectoryModuleOptions): DynamicModule {
    registerErrorRenderer('/scim/', (error) => renderScimError(error));
    return {
      module: DirectoryModule,
      imports: [TenancyModule.forContext({ context: 'directory', schema: 'directory' })],
      controllers: [
        OrganizationsController,
        DomainsController,
        DirectoriesController,
        PeopleController,
        AgentsController,
        EventsController,
        HrisController,
        HrisDeliveriesController,
        ScimController,
      ],
      providers: [
        JitProvisioningConsumer,
        { provide: DIRECTORY_EVENT_STORE, useValue: eventStore },
        { provide: IDENTITY_EVENT_STORE, useValue: eventStore },
        { provide: SecretBox, useValue: new SecretBox(secretKey) },
        { provide: DOMAIN_RESOLVER, useValue: domainResolver },
        {
          provide: OrganizationsProjection,
          inject: [DIRECTORY_EVENT_STORE, DataSource],
          useFactory: (store: EventStore, dataSource: DataSource) =>
            OrganizationsProjection.start(store, dataSource),
        },
        {
          provide: DirectoryProjection,
          inject: [DIRECTORY_EVENT_STORE, DataSource],
          useFactory: (store: EventStore, dataSource: DataSource) =>
            DirectoryProjection.start(store, dataSource),
        },
        {
          provide: ReservationStore,
          inject: [DIRECTORY_EVENT_STORE, DataSource],
          useFactory: (store: EventStore, dataSource: DataSource) =>
            new ReservationStore(store, dataSource, applyDirectoryEvent),
        },
        {
          provide: DirectoryWriter,
          inject: [DIRECTORY_EVENT_STORE, DirectoryProjection, ReservationStore, PLATFORM_CLOCK],
          useFactory: (
            store: EventStore,
            projection: DirectoryProjection,
            reservations: ReservationStore,
            clock: Clock,
          ) => new DirectoryWriter(store, projection, reservations, clock),
        },
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
        {
          provide: DirectoriesService,
          inject: [DataSource, DirectoryWriter, SecretBox],
          useFactory: (dataSource: DataSource, writer: DirectoryWriter, secrets: SecretBox) =>
            new DirectoriesService(dataSource, writer, secrets),
        },
        {
          provide: DomainsService,
          inject: [DataSource, DirectoryWriter, DOMAIN_RESOLVER],
          useFactory: (dataSource: DataSource, writer: DirectoryWriter, resolver: DomainResolver) =>
            new DomainsService(dataSource, writer, resolver),
        },
        {
          provide: AgentsService,
          inject: [DataSource, DirectoryWriter],
          useFactory: (dataSource: DataSource, writer: DirectoryWriter) =>
            new AgentsService(dataSource, writer),
        },
        {
          provide: UsersService,
          inject: [DirectoryWriter],
          useFactory: (writer: DirectoryWriter) => new UsersService(writer),
        },
        {
          provide: GroupsService,
          inject: [DirectoryWriter],
          useFactory: (writer: DirectoryWriter) => new GroupsService(writer),
        },
        {
          provide: ResourcesRepository,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new ResourcesRepository(dataSource),
        },
        {
          provide: ScheduledDeactivations,
          inject: [DataSource, UsersService, PLATFORM_CLOCK],
          useFactory: (dataSource: DataSource, users: UsersService, clock: Clock) =>
            new ScheduledDeactivations(dataSource, users, clock, new Logger('DirectoryScheduler')),
        },
        {
          provide: HrisInbox,
          inject: [DataSource, SecretBox, UsersService, ResourcesRepository, PLATFORM_CLOCK],
          useFactory: (
            dataSource: DataSource,
            secrets: SecretBox,
            users: UsersService,
            resources: ResourcesRepository,
            clock: Clock,
          ) => new HrisInbox(dataSource, secrets, users, resources, clock, new Logger('HrisInbox')),
        },
        {
          provide: ScimService,
          inject: [DataSource, ResourcesRepository, UsersService, GroupsService, AgentsService],
          useFactory: (
            dataSource: DataSource,
            resources: ResourcesRepository,
            users: UsersService,
            groups: GroupsService,
            agents: AgentsService,
          ) => new ScimService(dataSource, resources, users, groups, agents),
        },
        DirectoryLifecycle,
      ],
    };
  }
}
