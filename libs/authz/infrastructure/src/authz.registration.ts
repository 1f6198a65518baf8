import { type ContextRegistration } from '@mandate/runtime';
import { AuthzModule } from './authz.module';
import { authzMigrations } from './persistence/authz.migrations';

export const authzContext: ContextRegistration = {
  context: 'authz',
  module: (eventStore) => AuthzModule.forRoot({ eventStore }),
  migrations: authzMigrations,
};
