import { type ContextRegistration } from '@mandate/runtime';
import { AuthnModule } from './authn.module';
import { mfaMigrations } from './mfa/mfa.providers';
import { PROTOCOL_PATH_PREFIXES } from './oauth/authorization-server';
import { authnMigrations } from './persistence/authn.migrations';
import { sessionsMigrations } from './sessions/sessions.migration';

export const authnContext: ContextRegistration = {
  context: 'authn',
  module: (eventStore, { secretKey }) => AuthnModule.forRoot({ eventStore, secretKey }),
  migrations: [...authnMigrations, ...mfaMigrations, ...sessionsMigrations],
  unparsedPathPrefixes: PROTOCOL_PATH_PREFIXES,
};
