import { directoryContext } from '@mandate/directory-infrastructure';
import { runDistributedService } from '@mandate/runtime';

runDistributedService(directoryContext).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
