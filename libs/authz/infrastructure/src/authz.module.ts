import { type EventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import { type Clock, ContextWriter, PLATFORM_CLOCK } from '@mandate/platform';
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
import { AuthZenController } from './decisions/authzen.controller';
import { DecisionService } from './decisions/decision.service';
import { DecisionsController } from './decisions/decisions.controller';
import { DirectoryEventsHandler } from './directory-events/directory-events.consumer';
import { OrgGraphs } from './graph/org-graphs';
import { MandatesController } from './mandates/mandates.controller';
import { MandatesService } from './mandates/mandates.service';
import { AuthzProjection } from './persistence/authz.projection';
import { PolicyController } from './policy/policy.controller';
import { PolicyService } from './policy/policy.service';
import { AuthzReactions } from './reactions/authz-reactions';
import { RelationshipsController } from './relationships/relationships.controller';
import { RelationshipsService } from './relationships/relationships.service';
import { SqlSsoLoginLedger, SsoRolesHandler } from './sso/sso-roles.handler';

export const AUTHZ_EVENT_STORE = Symbol('AUTHZ_EVENT_STORE');
const DIRECTORY_EVENTS = Symbol('AUTHZ_DIRECTORY_EVENTS');
const SSO_ROLES = Symbol('AUTHZ_SSO_ROLES');

/** Consumes the directory's events (through Kafka, or the store in standalone mode). */
@EventConsumer({
  groupId: 'authz.directory',
  contexts: ['directory'],
  types: ['directory.organization.', 'directory.user.', 'directory.group.', 'directory.agent.'],
})
@Injectable()
class DirectoryEventsConsumer implements EventConsumerHandler {
  constructor(@Inject(DIRECTORY_EVENTS) private readonly handler: DirectoryEventsHandler) {}

  handle(event: RecordedEvent): Promise<void> {
    return this.handler.handle(event);
  }
}

/** Consumes authn's successful SSO sign-ins: the roles the IdP asserted become assignments. */
@EventConsumer({ groupId: 'authz.sso-roles', contexts: ['authn'], types: ['authn.login.succeeded'] })
@Injectable()
class SsoRolesConsumer implements EventConsumerHandler {
  constructor(@Inject(SSO_ROLES) private readonly handler: SsoRolesHandler) {}

  handle(event: RecordedEvent): Promise<void> {
    return this.handler.handle(event);
  }
}

@Injectable()
class AuthzLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(AUTHZ_EVENT_STORE) private readonly store: EventStore,
    private readonly projection: AuthzProjection,
    private readonly reactions: AuthzReactions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reactions.start(this.store, this.projection, new Logger('AuthzReactions'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.reactions.stop();
    await this.projection.stop();
  }
}

/**
 * The authz context: RBAC (roles, hierarchy, assignments, directory-driven group mappings, roles
 * asserted by SSO connections' IdPs), the relationship model and tuples, mandates from humans to
 * agents, and the decisions over them — the management API, `/api/v1/authz/*` and the AuthZEN evaluation API.
 */
@Module({})
export class AuthzModule {
  static forRoot({ eventStore }: { eventStore: EventStore }): DynamicModule {
    return {
      module: AuthzModule,
      imports: [TenancyModule.forContext({ context: 'authz', schema: 'authz' })],
      controllers: [
        PolicyController,
        RelationshipsController,
        MandatesController,
        DecisionsController,
        AuthZenController,
      ],
      providers: [
        { provide: AUTHZ_EVENT_STORE, useValue: eventStore },
        {
          provide: OrgGraphs,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new OrgGraphs(dataSource),
        },
        {
          provide: AuthzProjection,
          inject: [AUTHZ_EVENT_STORE, DataSource, OrgGraphs],
          useFactory: (store: EventStore, dataSource: DataSource, graphs: OrgGraphs) =>
            AuthzProjection.start(store, dataSource, graphs),
        },
        {
          provide: ContextWriter,
          inject: [AUTHZ_EVENT_STORE, AuthzProjection, PLATFORM_CLOCK],
          useFactory: (store: EventStore, projection: AuthzProjection, clock: Clock) =>
            new ContextWriter(store, projection, clock, 'authz'),
        },
        {
          provide: PolicyService,
          inject: [DataSource, ContextWriter],
          useFactory: (dataSource: DataSource, writer: ContextWriter) =>
            new PolicyService(dataSource, writer),
        },
        {
          provide: DecisionService,
          inject: [OrgGraphs, AuthzProjection, PLATFORM_CLOCK],
          useFactory: (graphs: OrgGraphs, projection: AuthzProjection, clock: Clock) =>
            new DecisionService(graphs, projection, clock),
        },
        {
          provide: MandatesService,
          inject: [DataSource, ContextWriter, DecisionService],
          useFactory: (dataSource: DataSource, writer: ContextWriter, decisions: DecisionService) =>
            new MandatesService(dataSource, writer, decisions),
        },
        {
          provide: RelationshipsService,
          inject: [DataSource, ContextWriter, PolicyService, OrgGraphs],
          useFactory: (
            dataSource: DataSource,
            writer: ContextWriter,
            policy: PolicyService,
            graphs: OrgGraphs,
          ) => new RelationshipsService(dataSource, writer, policy, graphs),
        },
        {
          provide: AuthzReactions,
          inject: [DataSource, ContextWriter, PolicyService, MandatesService, OrgGraphs],
          useFactory: (
            dataSource: DataSource,
            writer: ContextWriter,
            policy: PolicyService,
            mandates: MandatesService,
            graphs: OrgGraphs,
          ) => new AuthzReactions(dataSource, writer, policy, mandates, graphs),
        },
        {
          provide: DIRECTORY_EVENTS,
          inject: [DataSource, OrgGraphs, AuthzReactions],
          useFactory: async (dataSource: DataSource, graphs: OrgGraphs, reactions: AuthzReactions) =>
            new DirectoryEventsHandler(
              await IdempotentConsumer.create(dataSource, { schema: 'authz' }),
              graphs,
              reactions,
            ),
        },
        {
          provide: SSO_ROLES,
          inject: [DataSource, ContextWriter, PolicyService],
          useFactory: (dataSource: DataSource, writer: ContextWriter, policy: PolicyService) =>
            new SsoRolesHandler(new SqlSsoLoginLedger(dataSource), writer, policy, new Logger('SsoRoles')),
        },
        DirectoryEventsConsumer,
        SsoRolesConsumer,
        AuthzLifecycle,
      ],
      exports: [AUTHZ_EVENT_STORE],
    };
  }
}
