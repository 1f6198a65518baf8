import { type ContextRegistration } from '@mandate/runtime';
import { AuthnModule } from './authn.module';

export const authnContext: ContextRegistration = {
  context: 'authn',
  module: (eventStore) => AuthnModule.forRoot({ eventStore }),
};
