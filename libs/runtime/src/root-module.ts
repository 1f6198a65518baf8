import { type Context } from '@mandate/contracts';
import { type EventStore } from '@mandate/eventstore';
import { type MessagingConfig, MessagingModule, MessagingRuntime } from '@mandate/messaging';
import {
  platformEntities,
  platformMigrations,
  PlatformModule,
  type ReadinessIndicator,
  ReadinessRegistry,
} from '@mandate/platform';
import { TenancyModule } from '@mandate/tenancy';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type MixedList } from 'typeorm';
import { ReadinessRegistration, RelayLagReadiness } from './readiness';

/** What the runtime hands every context besides its event store. */
export interface ContextRuntime {
  /** The instance's 32-byte key for sealing secrets that must be read back. */
  readonly secretKey: Buffer;
}

/** What a context brings to an app: its Nest module, built around its event store, and its read models. */
export interface ContextRegistration {
  readonly context: Context;
  readonly module: (eventStore: EventStore, runtime: ContextRuntime) => DynamicModule;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity/migration list type
  readonly entities?: MixedList<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations?: MixedList<Function>;
  /** Paths the context serves from the raw request (an embedded protocol server reads its own bodies). */
  readonly unparsedPathPrefixes?: readonly string[];
}

export interface RootModuleOptions {
  /** Names the process: the schema of its platform tables and the prefix of its consumer groups. */
  readonly service: string;
  readonly databaseUrl: string;
  readonly adminKey?: string | undefined;
  readonly adminKeySha256?: string | undefined;
  readonly secretKey: Buffer;
  readonly contexts: readonly {
    readonly registration: ContextRegistration;
    readonly eventStore: EventStore;
  }[];
  /** The transport; the DataSource is the app's, e.g. for a dead-letter table. */
  readonly messaging: (dataSource: DataSource) => Promise<MessagingConfig>;
  readonly readiness: readonly ReadinessIndicator[];
  /** Whether relays publish to Kafka (distributed mode), so their lag belongs in readiness. */
  readonly relays: boolean;
  /** Runs once every consumer, relay and projection has stopped: close stores and servers here. */
  readonly release: () => Promise<void>;
}

const RELEASE = Symbol('RUNTIME_RELEASE');

/** Stops every store subscription before the read-model connections close, then releases what the app owns. */
@Injectable()
class RuntimeLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(RELEASE) private readonly options: Pick<RootModuleOptions, 'contexts' | 'release'>,
    private readonly messaging: MessagingRuntime,
  ) {}

  /** Consumers first: a handler still running would otherwise retry against a closed store. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.messaging.beforeApplicationShutdown();
    await Promise.all(this.options.contexts.map(({ eventStore }) => eventStore.close()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.options.release();
  }
}

const toList = <T>(list: MixedList<T> | undefined): T[] =>
  list === undefined ? [] : Array.isArray(list) ? list : Object.values(list as Record<string, T>);

/** The root module of an app: one or all contexts, the platform, messaging and the tenancy replicas. */
export const rootModule = (options: RootModuleOptions): DynamicModule => {
  @Module({})
  class MandateAppModule {}

  const registrations = options.contexts.map(({ registration }) => registration);
  return {
    module: MandateAppModule,
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: options.databaseUrl,
        schema: options.service,
        entities: [
          ...platformEntities,
          ...registrations.flatMap((registration) => toList(registration.entities)),
        ],
        migrations: [
          ...platformMigrations,
          ...registrations.flatMap((registration) => toList(registration.migrations)),
        ],
        migrationsRun: true,
        migrationsTableName: 'migrations',
        extra: { max: 10 },
      }),
      PlatformModule.forRoot({ adminKey: options.adminKey, adminKeySha256: options.adminKeySha256 }),
      MessagingModule.forRootAsync({
        inject: [DataSource],
        useFactory: (dataSource: DataSource) => options.messaging(dataSource),
      }),
      TenancyModule.apiKeys({ service: options.service, schema: options.service }),
      ...options.contexts.map(({ registration, eventStore }) =>
        registration.module(eventStore, { secretKey: options.secretKey }),
      ),
    ],
    providers: [
      { provide: RELEASE, useValue: options },
      RuntimeLifecycle,
      RelayLagReadiness,
      {
        provide: ReadinessRegistration,
        inject: [ReadinessRegistry, RelayLagReadiness, MessagingRuntime],
        useFactory: (registry: ReadinessRegistry, relay: RelayLagReadiness) =>
          new ReadinessRegistration(registry, [...options.readiness, ...(options.relays ? [relay] : [])]),
      },
    ],
  };
};
