import { type SettingsEnvironment } from '@mandate/authn-domain';
import { type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler, IdempotentConsumer } from '@mandate/messaging';
import { type Clock, ContextWriter, PLATFORM_CLOCK, PublicUrl, SecretBox } from '@mandate/platform';
import { Inject, Injectable, Logger, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConnectionProtocols } from './connection-ports';
import {
  ConnectionsController,
  HomeRealmDiscoveryController,
  SpMetadataController,
} from './connections.controller';
import { ConnectionsService } from './connections.service';
import { HomeRealmDiscovery } from './home-realm-discovery';
import { httpMetadataFetcher } from './idp-metadata';
import { oidcConnectionProbe } from './oidc-connection-probe';
import { ORG_DOMAIN_EVENT_TYPES, OrgDomainsHandler } from './org-domains.handler';

const ORG_DOMAINS = Symbol('AUTHN_ORG_DOMAINS');

/** Learns which organization verified which domain, for discovery and for enabling connections. */
@EventConsumer({ groupId: 'authn.org-domains', contexts: ['directory'], types: ORG_DOMAIN_EVENT_TYPES })
@Injectable()
class OrgDomainsConsumer implements EventConsumerHandler {
  constructor(@Inject(ORG_DOMAINS) private readonly handler: OrgDomainsHandler) {}

  handle(event: RecordedEvent): Promise<void> {
    return this.handler.handle(event);
  }
}

const LOOPBACK_HTTP = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/**
 * An instance reached over plain http on loopback is a developer's or a test's: only there may IdPs
 * be plain http on loopback too. Production instances (https, or any other host) never allow it.
 */
export const isDevelopmentInstance = (publicUrl: string): boolean => LOOPBACK_HTTP.test(publicUrl);

export const connectionControllers = [
  ConnectionsController,
  HomeRealmDiscoveryController,
  SpMetadataController,
];

const CONNECTION_ENVIRONMENT = Symbol('AUTHN_CONNECTION_ENVIRONMENT');

/** The SSO connection registry, discovery and the domain consumer; `secrets` is the context's SecretBox token. */
export const connectionProviders = (secrets: symbol): Provider[] => [
  {
    provide: CONNECTION_ENVIRONMENT,
    inject: [PublicUrl],
    useFactory: (url: PublicUrl): (() => SettingsEnvironment) => {
      const logger = new Logger('SsoConnections');
      let warned = false;
      return () => {
        const allowLoopbackHttp = isDevelopmentInstance(url.value);
        if (allowLoopbackHttp && !warned) {
          warned = true;
          logger.warn(
            `${url.value} is a loopback http address: SSO connections may use plain-http IdPs on loopback (development only)`,
          );
        }
        return { allowLoopbackHttp };
      };
    },
  },
  {
    provide: ConnectionProtocols,
    inject: [CONNECTION_ENVIRONMENT],
    useFactory: (environment: () => SettingsEnvironment) =>
      new ConnectionProtocols().registerProbe('oidc', oidcConnectionProbe(environment)),
  },
  {
    provide: ConnectionsService,
    inject: [
      DataSource,
      ContextWriter,
      secrets,
      ConnectionProtocols,
      PublicUrl,
      CONNECTION_ENVIRONMENT,
      PLATFORM_CLOCK,
    ],
    useFactory: (
      dataSource: DataSource,
      writer: ContextWriter,
      box: SecretBox,
      protocols: ConnectionProtocols,
      url: PublicUrl,
      environment: () => SettingsEnvironment,
      clock: Clock,
    ) =>
      new ConnectionsService({
        dataSource,
        writer,
        secrets: box,
        protocols,
        metadata: httpMetadataFetcher(),
        issuer: () => url.value,
        environment,
        clock,
      }),
  },
  {
    provide: HomeRealmDiscovery,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => new HomeRealmDiscovery(dataSource),
  },
  {
    provide: ORG_DOMAINS,
    inject: [DataSource],
    useFactory: async (dataSource: DataSource) =>
      new OrgDomainsHandler(await IdempotentConsumer.create(dataSource, { schema: 'authn' })),
  },
  OrgDomainsConsumer,
];
