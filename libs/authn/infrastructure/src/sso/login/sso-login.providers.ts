import { type Clock, ContextWriter, PLATFORM_CLOCK, PublicUrl } from '@mandate/platform';
import { type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConnectionProtocols } from '../../connections/connection-ports';
import { isDevelopmentInstance } from '../../connections/connections.providers';
import { ConnectionsService } from '../../connections/connections.service';
import { MfaService } from '../../mfa/mfa.service';
import { CreateAuthnSamlStores1796169600000 } from '../saml';
import { LoginAttempts } from './login-attempts';
import { LoginRecorder } from './login-recorder';
import { SsoIdentities } from './sso-identities';
import { SsoLoginController } from './sso-login.controller';
import { CreateAuthnSsoLogin1796342400000 } from './sso-login.migration';
import { SsoLogin } from './sso-login.service';
import { type LoopbackHttp, OidcUpstreams, samlConnectionProbe, samlMetadataRenderer } from './sso-protocols';

const LOOPBACK_HTTP = Symbol('AUTHN_SSO_LOOPBACK_HTTP');

export const ssoLoginControllers = [SsoLoginController];
export const ssoLoginMigrations = [CreateAuthnSamlStores1796169600000, CreateAuthnSsoLogin1796342400000];

/**
 * The SSO sign-in: attempts, identities, the login events, the SAML connection test and SP metadata
 * (registered with the connection registry), and the flow itself.
 */
export const ssoLoginProviders = (): Provider[] => [
  {
    provide: LOOPBACK_HTTP,
    inject: [PublicUrl],
    useFactory:
      (url: PublicUrl): LoopbackHttp =>
      () =>
        isDevelopmentInstance(url.value),
  },
  {
    provide: LoginAttempts,
    inject: [DataSource, PLATFORM_CLOCK],
    useFactory: (dataSource: DataSource, clock: Clock) => new LoginAttempts(dataSource, clock),
  },
  {
    provide: SsoIdentities,
    inject: [DataSource, ContextWriter, PLATFORM_CLOCK],
    useFactory: (dataSource: DataSource, writer: ContextWriter, clock: Clock) =>
      new SsoIdentities(dataSource, writer, clock),
  },
  {
    provide: LoginRecorder,
    inject: [ContextWriter, PLATFORM_CLOCK],
    useFactory: (writer: ContextWriter, clock: Clock) => new LoginRecorder(writer, clock),
  },
  {
    provide: OidcUpstreams,
    inject: [LOOPBACK_HTTP],
    useFactory: (loopbackHttp: LoopbackHttp) => new OidcUpstreams(loopbackHttp),
  },
  {
    provide: SsoLogin,
    inject: [
      DataSource,
      ConnectionsService,
      ConnectionProtocols,
      LoginAttempts,
      SsoIdentities,
      LoginRecorder,
      MfaService,
      OidcUpstreams,
      PLATFORM_CLOCK,
      LOOPBACK_HTTP,
      PublicUrl,
    ],
    useFactory: (
      dataSource: DataSource,
      connections: ConnectionsService,
      protocols: ConnectionProtocols,
      attempts: LoginAttempts,
      identities: SsoIdentities,
      recorder: LoginRecorder,
      mfa: MfaService,
      upstreams: OidcUpstreams,
      clock: Clock,
      loopbackHttp: LoopbackHttp,
      url: PublicUrl,
    ) => {
      protocols
        .registerProbe('saml', samlConnectionProbe(loopbackHttp, clock))
        .registerSpMetadataRenderer(samlMetadataRenderer(loopbackHttp, clock));
      return new SsoLogin({
        dataSource,
        connections,
        attempts,
        identities,
        recorder,
        mfa,
        upstreams,
        clock,
        loopbackHttp,
        issuer: () => url.value,
      });
    },
  },
];
