import { type ContextRegistration } from '@mandate/runtime';
import { AuditModule } from './audit.module';
import { auditMigrations } from './persistence/audit.migrations';

export const auditContext: ContextRegistration = {
  context: 'audit',
  module: (eventStore, { secretKey }) => AuditModule.forRoot({ eventStore, secretKey }),
  migrations: auditMigrations,
};
