import { type EventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import {
  ApiKeyVerifier,
  type Clock,
  ContextWriter,
  PLATFORM_CLOCK,
  PLATFORM_OPTIONS,
  type PlatformModuleOptions,
  PublicUrl,
  SecretBox,
} from '@mandate/platform';
import { TenancyModule } from '@mandate/tenancy';
import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type NextFunction, type Request, type Response } from 'express';
import { DataSource } from 'typeorm';
import { ClientsController } from './clients/clients.controller';
import { ClientsService } from './clients/clients.service';
import { ConnectionProtocols } from './connections/connection-ports';
import { connectionControllers, connectionProviders } from './connections/connections.providers';
import { ConnectionsService } from './connections/connections.service';
import { HomeRealmDiscovery } from './connections/home-realm-discovery';
import { GrantsService } from './grants/grants.service';
import { KeyRing } from './keys/key-ring';
import { LIFECYCLE_EVENT_PREFIXES, LifecycleHandler } from './lifecycle/lifecycle.handler';
import { mfaControllers, mfaProviders } from './mfa/mfa.providers';
import { AuthorizationServerHost, isProtocolPath } from './oauth/authorization-server.host';
import { CallerAuthentication } from './oauth/caller-authentication';
import { InteractionController } from './oauth/interaction.controller';
import { LoginTickets } from './oauth/login-tickets';
import { LoginTicketsController } from './oauth/login-tickets.controller';
import { TokenEndpointsController } from './oauth/token-endpoints.controller';
import { TokenState } from './oauth/token-state';
import { AuthnProjection } from './persistence/authn.projection';
import { RevocationFeed } from './revocations/revocation-feed';
import { RevocationsController } from './revocations/revocations.controller';
import { sessionsControllers, sessionsProviders } from './sessions/sessions.providers';
import { SessionsService } from './sessions/sessions.service';
import { ssoLoginControllers, ssoLoginProviders } from './sso/login/sso-login.providers';

export const AUTHN_EVENT_STORE = Symbol('AUTHN_EVENT_STORE');
const LIFECYCLE = Symbol('AUTHN_LIFECYCLE');
const AUTHN_SECRETS = Symbol('AUTHN_SECRETS');

/** Learns the people, agents and mandates tokens depend on, and runs the revocation cascade. */
@EventConsumer({
  groupId: 'authn.lifecycle',
  contexts: ['directory', 'authz'],
  types: LIFECYCLE_EVENT_PREFIXES,
})
@Injectable()
class LifecycleConsumer implements EventConsumerHandler {
  constructor(@Inject(LIFECYCLE) private readonly handler: LifecycleHandler) {}

  handle(event: RecordedEvent): Promise<void> {
    return this.handler.handle(event);
  }
}

@Injectable()
class AuthnLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly host: AuthorizationServerHost,
    private readonly projection: AuthnProjection,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Hands the protocol paths (authorization, token, JWKS, discovery) to oidc-provider, ahead of the 404 handler. */
  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter.getInstance<{ use(handler: unknown): void }>();
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (isProtocolPath(req.path)) this.host.handle(req, res);
      else next();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.host.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.host.stop();
    await this.projection.stop();
  }
}

/**
 * The authn context: the OAuth 2.1 / OpenID Connect authorization server (oidc-provider), agents'
 * credentials and RFC 8693 token exchange under mandates, grants as events with introspection,
 * revocation and the revocation feed, and the cascade that revokes a leaver's tokens everywhere.
 */
@Module({})
export class AuthnModule {
  static forRoot({ eventStore, secretKey }: { eventStore: EventStore; secretKey: Buffer }): DynamicModule {
    return {
      module: AuthnModule,
      imports: [TenancyModule.forContext({ context: 'authn', schema: 'authn' })],
      controllers: [
        ClientsController,
        LoginTicketsController,
        InteractionController,
        TokenEndpointsController,
        RevocationsController,
        ...connectionControllers,
        ...mfaControllers,
        ...sessionsControllers,
        ...ssoLoginControllers,
      ],
      providers: [
        { provide: AUTHN_EVENT_STORE, useValue: eventStore },
        { provide: AUTHN_SECRETS, useValue: new SecretBox(secretKey) },
        { provide: RevocationFeed, useValue: new RevocationFeed(eventStore) },
        {
          provide: AuthnProjection,
          inject: [DataSource, RevocationFeed],
          useFactory: (dataSource: DataSource, feed: RevocationFeed) =>
            AuthnProjection.start(eventStore, dataSource, (events) => feed.committed(events)),
        },
        {
          provide: ContextWriter,
          inject: [AuthnProjection, PLATFORM_CLOCK],
          useFactory: (projection: AuthnProjection, clock: Clock) =>
            new ContextWriter(eventStore, projection, clock, 'authn'),
        },
        {
          provide: GrantsService,
          inject: [DataSource, ContextWriter, AuthnProjection],
          useFactory: (dataSource: DataSource, writer: ContextWriter, projection: AuthnProjection) =>
            new GrantsService(
              dataSource,
              writer,
              {
                revokeByGrantId: async (grantId) => {
                  await dataSource.query('delete from authn.oauth_artifacts where grant_id = $1', [grantId]);
                },
              },
              eventStore,
              projection,
            ),
        },
        {
          provide: KeyRing,
          inject: [AUTHN_SECRETS, PLATFORM_CLOCK],
          useFactory: (secrets: SecretBox, clock: Clock) => new KeyRing(eventStore, secrets, clock),
        },
        {
          provide: AuthorizationServerHost,
          inject: [DataSource, KeyRing, GrantsService, PLATFORM_CLOCK, PublicUrl, SessionsService],
          useFactory: (
            dataSource: DataSource,
            keyRing: KeyRing,
            grants: GrantsService,
            clock: Clock,
            url: PublicUrl,
            sessions: SessionsService,
          ) =>
            new AuthorizationServerHost({
              issuer: () => url.value,
              dataSource,
              keyRing,
              grants,
              clock,
              cookieKey: secretKey,
              signedOut: (session) => sessions.signedOut(session),
            }),
        },
        {
          provide: TokenState,
          inject: [DataSource, KeyRing, GrantsService, PublicUrl, PLATFORM_CLOCK],
          useFactory: (
            dataSource: DataSource,
            keyRing: KeyRing,
            grants: GrantsService,
            url: PublicUrl,
            clock: Clock,
          ) => new TokenState(dataSource, keyRing, grants, () => url.value, clock),
        },
        {
          provide: CallerAuthentication,
          inject: [DataSource, ApiKeyVerifier, PLATFORM_OPTIONS, PublicUrl, PLATFORM_CLOCK],
          useFactory: (
            dataSource: DataSource,
            apiKeys: ApiKeyVerifier,
            platform: PlatformModuleOptions,
            url: PublicUrl,
            clock: Clock,
          ) => new CallerAuthentication(dataSource, apiKeys, platform, () => url.value, clock),
        },
        {
          provide: ClientsService,
          inject: [DataSource, ContextWriter, GrantsService],
          useFactory: (dataSource: DataSource, writer: ContextWriter, grants: GrantsService) =>
            new ClientsService(dataSource, writer, grants),
        },
        {
          provide: LoginTickets,
          inject: [DataSource, PLATFORM_CLOCK],
          useFactory: (dataSource: DataSource, clock: Clock) => new LoginTickets(dataSource, clock),
        },
        {
          provide: LIFECYCLE,
          inject: [DataSource, GrantsService, SessionsService],
          useFactory: async (dataSource: DataSource, grants: GrantsService, sessions: SessionsService) =>
            new LifecycleHandler(
              await IdempotentConsumer.create(dataSource, { schema: 'authn' }),
              grants,
              sessions,
            ),
        },
        LifecycleConsumer,
        AuthnLifecycle,
        ...connectionProviders(AUTHN_SECRETS),
        ...mfaProviders({ eventStore, secretKey }),
        ...sessionsProviders,
        ...ssoLoginProviders(),
      ],
      exports: [AUTHN_EVENT_STORE, ConnectionProtocols, ConnectionsService, HomeRealmDiscovery],
    };
  }
}
