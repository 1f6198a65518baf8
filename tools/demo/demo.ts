/**
 * `npm run demo [-- leaver|mover|all]`: an agent story (the leaver story by default) against a running
 * Mandate (MANDATE_URL, default http://127.0.0.1:8080), with its admin key (MANDATE_ADMIN_KEY). Against
 * the distributed services, MANDATE_DIRECTORY_URL, MANDATE_AUTHN_URL and MANDATE_AUTHZ_URL say where
 * each context is (MANDATE_URL for any not given).
 */
import { runLeaverStory } from './leaver-story';
import { runMoverStory } from './mover-story';
import { StoryError, type StoryOptions } from './story';

const STORIES = ['leaver', 'mover'] as const;
type StoryName = (typeof STORIES)[number];

const tell: Record<StoryName, (options: StoryOptions) => Promise<string>> = {
  leaver: async (options) => {
    const result = await runLeaverStory(options);
    return (
      `Alice left: invoice-bot's token was refused ${result.refusedAfterMs.toFixed(1)} ms after the ` +
      `SCIM deactivation was answered (${result.callsUntilRefused} calls after it).`
    );
  },
  mover: async (options) => {
    const result = await runMoverStory(options);
    return (
      `Alice moved out of Finance: authz narrowed the mandate ${result.narrowedAfterMs.toFixed(1)} ms, ` +
      `and invoice-bot's wider token was refused ${result.refusedAfterMs.toFixed(1)} ms, after the SCIM ` +
      `group change was answered; its new token has only ${result.tokenScope.after.join(' ')}.`
    );
  },
};

const main = async (): Promise<number> => {
  const env = process.env;
  const mandateUrl = env['MANDATE_URL'] || 'http://127.0.0.1:8080';
  const adminKey = env['MANDATE_ADMIN_KEY'];
  const chosen = process.argv[2] ?? 'leaver';
  const names = chosen === 'all' ? STORIES : STORIES.filter((name) => name === chosen);
  if (names.length === 0) {
    console.error(`Unknown story ${chosen}: say ${STORIES.join(', ')} or all.`);
    return 2;
  }
  if (!adminKey) {
    console.error(
      'Set MANDATE_ADMIN_KEY to the admin key of the Mandate at ' +
        `${mandateUrl}: the one \`npm start\` printed on its first start (only its hash is kept), ` +
        'or the MANDATE_ADMIN_KEY it was started with.',
    );
    return 2;
  }
  const urls = {
    directory: env['MANDATE_DIRECTORY_URL'] || mandateUrl,
    authn: env['MANDATE_AUTHN_URL'] || mandateUrl,
    authz: env['MANDATE_AUTHZ_URL'] || mandateUrl,
  };
  const where =
    urls.directory === urls.authn && urls.authn === urls.authz
      ? `Mandate at ${urls.directory}`
      : `directory at ${urls.directory}, authn at ${urls.authn}, authz at ${urls.authz}`;
  for (const name of names) {
    console.log(`The ${name} story, against ${where}\n`);
    try {
      console.log(`\n${await tell[name]({ urls, adminKey })}\n`);
    } catch (error) {
      if (error instanceof StoryError) console.error(`\nFAILED at ${error.message}`);
      else console.error('\nFAILED:', error);
      return 1;
    }
  }
  return 0;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
