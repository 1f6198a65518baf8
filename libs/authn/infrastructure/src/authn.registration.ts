import { type ContextRegistration } from '@mandate/runtime';
import { AuthnModule } from './authn.module';
import { mfaMigrations } from './mfa/mfa.providers';
import { PROTOCOL_PATH_PREFIXES } from './oauth/authorization-server';
import { authnMigrations } from './persistence/authn.migrations';

export const authnContext: ContextRegistration = {
  context: 'authn',
  module: (eventStore, { secretKey }) => AuthnModule.forRoot({ eventStore, secretKey }),
  migrations: [...authnMigrations, ...mfaMigrations],
  unparsedPathPrefixes: PROTOCOL_PATH_PREFIXES,
};
