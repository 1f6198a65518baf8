import { type ContextRegistration } from '@mandate/runtime';
import { AuditModule } from './audit.module';

export const auditContext: ContextRegistration = {
  context: 'audit',
  module: (eventStore) => AuditModule.forRoot({ eventStore }),
};
