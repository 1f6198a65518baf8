/**
 * `npm run demo`: the leaver story against a running Mandate (MANDATE_URL, default
 * http://127.0.0.1:8080), with its admin key (MANDATE_ADMIN_KEY).
 */
import { LeaverStoryError, runLeaverStory } from './leaver-story';

const main = async (): Promise<number> => {
  const mandateUrl = process.env['MANDATE_URL'] || 'http://127.0.0.1:8080';
  const adminKey = process.env['MANDATE_ADMIN_KEY'];
  if (!adminKey) {
    console.error(
      'Set MANDATE_ADMIN_KEY to the admin key of the Mandate at ' +
        `${mandateUrl}: the one \`npm start\` printed on its first start (only its hash is kept), ` +
        'or the MANDATE_ADMIN_KEY it was started with.',
    );
    return 2;
  }
  console.log(`The leaver story, against Mandate at ${mandateUrl}\n`);
  try {
    const result = await runLeaverStory({ mandateUrl, adminKey });
    console.log(
      `\nAlice left: invoice-bot's token was refused ${result.refusedAfterMs.toFixed(1)} ms after the ` +
        `SCIM deactivation was answered (${result.callsUntilRefused} calls after it).`,
    );
    return 0;
  } catch (error) {
    if (error instanceof LeaverStoryError) console.error(`\nFAILED at ${error.message}`);
    else console.error('\nFAILED:', error);
    return 1;
  }
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
