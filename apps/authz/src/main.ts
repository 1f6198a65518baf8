import { authzContext } from '@mandate/authz-infrastructure';
import { runDistributedService } from '@mandate/runtime';

runDistributedService(authzContext).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
