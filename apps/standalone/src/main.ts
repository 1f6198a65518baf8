import { runStandalone } from '@mandate/runtime';
import { allContexts } from './contexts';

runStandalone(allContexts).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
