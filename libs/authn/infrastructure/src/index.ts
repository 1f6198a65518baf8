export * from './authn.module';
export * from './authn.registration';
export { ACCESS_TOKEN_TTL_SECONDS, OAUTH_ROUTES } from './oauth/authorization-server';
export { AuthorizationServerHost } from './oauth/authorization-server.host';
export { REFRESH_RACE_GRACE_MS } from './oauth/oidc-adapter';
export { MANDATE_TOKEN_TYPE } from './oauth/token-exchange.grant';
export { KeyRing } from './keys/key-ring';
export { ConnectionProtocols } from './connections/connection-ports';
export type {
  ConnectionProbe,
  ConnectionTestResult,
  ConnectionUnderTest,
  SpMetadataRenderer,
} from './connections/connection-ports';
export { ConnectionsService } from './connections/connections.service';
export { HomeRealmDiscovery } from './connections/home-realm-discovery';
export { readIdpMetadata } from './connections/idp-metadata';
export { generateSelfSignedCertificate } from './connections/self-signed-certificate';
export { mfaControllers, mfaMigrations, mfaProviders } from './mfa/mfa.providers';
export {
  MfaService,
  type MfaFactorView,
  type MfaServiceOptions,
  type TotpEnrolment,
  type VerifiedMfa,
} from './mfa/mfa.service';
