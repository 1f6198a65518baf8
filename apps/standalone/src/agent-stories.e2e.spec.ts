import { runStandalone } from '@mandate/runtime';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the stories of `npm run demo` are this test's script
import { runLeaverStory, runMoverStory, type StepRecord } from '../../../tools/demo';
import { allContexts } from './contexts';

/** Each step as `<status> <title>`: what the story did and what Mandate answered. */
const outcomes = (steps: readonly StepRecord[]) =>
  steps.map((step) => `${step.status ?? 'ok'} ${step.title}`);

/**
 * The agent stories of `npm run demo`, against one standalone Mandate with the invoices service
 * following the revocation feed over SSE: a leaver's agent loses its token, a mover's agent keeps only
 * what the human still holds.
 */
describe('the agent stories against a standalone Mandate', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  const adminKey = `mandate_admin_${randomBytes(32).toString('base64url')}`;
  const log = () => undefined;
  /** Measured times are printed, never asserted. */
  const report = (line: string) => process.stderr.write(`${line}\n`);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-stories-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      MANDATE_ADMIN_KEY: adminKey,
    });
  });
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the leaver: deactivated in the IdP, her agent is refused and its token inactive', async () => {
    const result = await runLeaverStory({ mandateUrl: started.url, adminKey, log });

    expect(outcomes(result.steps)).toEqual([
      '201 Create the organization Acme',
      '201 Connect Okta: a SCIM directory',
      '201 Okta provisions Alice over SCIM',
      '201 Create the role invoice-approver (invoices:read invoices:approve)',
      '201 Give Alice the role',
      '201 Register the agent invoice-bot, owned by Alice',
      '201 Alice gives invoice-bot a mandate: invoices:read invoices:approve',
      "200 Discover Mandate's authorization server",
      '200 Start the invoices service (revocations over SSE)',
      '201 invoice-bot gets client credentials (client_secret_basic)',
      '200 invoice-bot exchanges the mandate for an access token (scope invoices:read invoices:approve)',
      '200 invoice-bot lists the invoices: GET /invoices',
      '200 invoice-bot approves inv-1 for Alice: POST /invoices/inv-1/approve',
      '200 HR deactivates Alice in Okta: SCIM PATCH active=false',
      "401 invoice-bot's next call is refused",
      '200 Introspection says the token is no longer active',
    ]);
    report(
      `leaver, SSE: token refused ${result.refusedAfterMs.toFixed(1)} ms, inactive ${result.inactiveAfterMs.toFixed(1)} ms after the SCIM answer`,
    );
  }, 60_000);

  it('the mover: out of Finance, her mandate narrows, the wider token dies, a new one only reads', async () => {
    const result = await runMoverStory({ mandateUrl: started.url, adminKey, log });

    expect(outcomes(result.steps)).toEqual([
      '201 Create the organization Acme',
      '201 Connect Okta: a SCIM directory',
      '201 Okta provisions Alice over SCIM',
      '201 Okta pushes the group Staff, Alice a member',
      '201 Okta pushes the group Finance, Alice a member',
      '201 Create the role invoice-reader (invoices:read)',
      '201 Create the role invoice-approver (invoices:approve)',
      '201 Map the group Staff to the role invoice-reader',
      '201 Map the group Finance to the role invoice-approver',
      '201 Register the agent invoice-bot, owned by Alice',
      '201 Alice gives invoice-bot a mandate: invoices:read invoices:approve',
      '200 authz shows the mandate with both permissions',
      "200 Discover Mandate's authorization server",
      '200 Start the invoices service (revocations over SSE)',
      '201 invoice-bot gets client credentials (client_secret_basic)',
      '200 invoice-bot exchanges the mandate for an access token (scope invoices:read invoices:approve)',
      '200 invoice-bot lists the invoices: GET /invoices',
      '200 invoice-bot approves inv-1 for Alice: POST /invoices/inv-1/approve',
      '204 Okta removes Alice from Finance: SCIM PATCH on the group',
      '200 authz narrows the mandate to invoices:read',
      "401 invoice-bot's token (invoices:approve too) is refused",
      '200 Introspection says the token is no longer active',
      '400 invoice-bot asks for invoices:approve again: the exchange refuses',
      '200 invoice-bot exchanges the narrowed mandate (scope invoices:read)',
      '200 with it, invoice-bot lists the invoices',
      '403 but approving inv-2 is refused: 403 insufficient_scope',
    ]);
    expect(result.mandatePermissions).toEqual({
      before: ['invoices:approve', 'invoices:read'],
      after: ['invoices:read'],
    });
    expect(result.tokenScope).toEqual({
      before: ['invoices:approve', 'invoices:read'],
      after: ['invoices:read'],
    });
    report(
      `mover, SSE: mandate narrowed ${result.narrowedAfterMs.toFixed(1)} ms, token refused ` +
        `${result.refusedAfterMs.toFixed(1)} ms, inactive ${result.inactiveAfterMs.toFixed(1)} ms after the SCIM answer`,
    );
  }, 60_000);
});
