import { type ContextRegistration } from '@mandate/runtime';
import { AuditModule } from './audit.module';
import { AuditRetentionAndRoles1768003200000 } from './persistence/audit-retention.migration';
import { auditMigrations } from './persistence/audit.migrations';

export const auditContext: ContextRegistration = {
  context: 'audit',
  module: (eventStore, { secretKey }) => AuditModule.forRoot({ eventStore, secretKey }),
  migrations: [...auditMigrations, AuditRetentionAndRoles1768003200000],
};
