import { authnContext } from '@mandate/authn-infrastructure';
import { runDistributedService } from '@mandate/runtime';

runDistributedService(authnContext).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
