import { auditContext } from '@mandate/audit-infrastructure';
import { runDistributedService } from '@mandate/runtime';

runDistributedService(auditContext).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
