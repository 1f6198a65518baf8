import { type ContextRegistration } from '@mandate/runtime';
import { AuthzModule } from './authz.module';

export const authzContext: ContextRegistration = {
  context: 'authz',
  module: (eventStore) => AuthzModule.forRoot({ eventStore }),
};
