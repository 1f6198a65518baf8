export * from './authn.module';
export * from './authn.registration';
export { ACCESS_TOKEN_TTL_SECONDS, OAUTH_ROUTES } from './oauth/authorization-server';
export { AuthorizationServerHost } from './oauth/authorization-server.host';
export { REFRESH_RACE_GRACE_MS } from './oauth/oidc-adapter';
export { MANDATE_TOKEN_TYPE } from './oauth/token-exchange.grant';
export { KeyRing } from './keys/key-ring';
export { mfaControllers, mfaMigrations, mfaProviders } from './mfa/mfa.providers';
export {
  MfaService,
  type MfaFactorView,
  type MfaServiceOptions,
  type TotpEnrolment,
  type VerifiedMfa,
} from './mfa/mfa.service';
