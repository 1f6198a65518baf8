import { type ContextRegistration } from '@mandate/runtime';
import { AuthnModule } from './authn.module';
import { mfaMigrations } from './mfa/mfa.providers';
import { PROTOCOL_PATH_PREFIXES } from './oauth/authorization-server';
import { authnMigrations } from './persistence/authn.migrations';
import { sessionsMigrations } from './sessions/sessions.migration';
import { SAML_SSO_PATH } from './sso/login/sso-login.controller';
import { ssoLoginMigrations } from './sso/login/sso-login.providers';

export const authnContext: ContextRegistration = {
  context: 'authn',
  module: (eventStore, { secretKey }) => AuthnModule.forRoot({ eventStore, secretKey }),
  migrations: [...authnMigrations, ...mfaMigrations, ...sessionsMigrations, ...ssoLoginMigrations],
  // The SAML ACS reads its own (size-capped) form body.
  unparsedPathPrefixes: [...PROTOCOL_PATH_PREFIXES, SAML_SSO_PATH],
};
