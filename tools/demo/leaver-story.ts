/**
 * The leaver story, against a running Mandate: Alice joins through SCIM, holds a role that lets her
 * read and approve invoices, and gives her agent "invoice-bot" a mandate to do it for her. The agent
 * exchanges the mandate for an access token and approves an invoice in the invoices service. HR
 * deactivates Alice in the IdP: the agent's next call is refused, and introspection agrees.
 *
 * One standalone Mandate (`mandateUrl`) or one service per context (`urls`); in distributed mode the
 * services learn from each other over Kafka, so the steps that depend on it wait for it, bounded.
 */
import { performance } from 'node:perf_hooks';
import { type InvoicesService } from '../../apps/invoices/src/start-invoices-service';
import {
  agentCredentials,
  approveInvoice,
  createAcme,
  discover,
  exchangeFor,
  grantMandate,
  listInvoices,
  PATCH_OP,
  registerAgent,
  send,
  startInvoices,
  type StepRecord,
  Story,
  type StoryOptions,
  untilInactive,
  untilRefused,
  urlsOf,
} from './story';

export type LeaverStoryOptions = StoryOptions;

export interface LeaverStoryResult {
  readonly orgId: string;
  readonly aliceId: string;
  readonly agentId: string;
  readonly mandateId: string;
  readonly clientId: string;
  readonly invoicesUrl: string;
  /** From the SCIM deactivation's response to the first refused call, in ms. */
  readonly refusedAfterMs: number;
  /** Calls the agent made after the deactivation, the refused one included. */
  readonly callsUntilRefused: number;
  /** From the SCIM deactivation's response to introspection answering `active: false`, in ms. */
  readonly inactiveAfterMs: number;
  readonly steps: readonly StepRecord[];
}

const SCOPES = ['invoices:read', 'invoices:approve'];

/** Runs the story; resolves with its measurements, or rejects with the `StoryError` of the failed step. */
export const runLeaverStory = async (options: LeaverStoryOptions): Promise<LeaverStoryResult> => {
  const urls = urlsOf(options);
  const admin = `Bearer ${options.adminKey}`;
  const story = new Story(
    'leaver',
    options.log ?? ((line: string) => console.log(line)),
    options.timeoutMs ?? 10_000,
  );

  const { orgId, directory, aliceId } = await createAcme(story, urls, admin);
  const authz = `${urls.authz}/api/v1/organizations/${orgId}`;

  const roleId = await story.step(`Create the role invoice-approver (${SCOPES.join(' ')})`, async () => {
    const { answer, waited } = await story.untilStatus(
      () =>
        send('POST', `${authz}/roles`, admin, {
          json: { key: 'invoice-approver', name: 'Invoice approver', permissions: SCOPES },
        }),
      201,
    );
    const id = story.required(answer, 'role', 'id');
    return { status: answer.status, detail: `${id}${waited}`, value: id };
  });

  await story.step('Give Alice the role', async () => {
    const { answer, waited } = await story.untilStatus(
      () =>
        send('POST', `${authz}/roles/${roleId}/assignments`, admin, {
          json: { subject: `user:${aliceId}` },
        }),
      200,
      201,
    );
    return {
      status: answer.status,
      detail: `user:${aliceId} holds ${roleId}${waited}`,
      value: undefined,
    };
  });

  const agentId = await registerAgent(story, urls, admin, orgId, aliceId);
  const mandateId = await grantMandate(story, urls, admin, {
    orgId,
    userId: aliceId,
    agentId,
    permissions: SCOPES,
    reason: 'approve supplier invoices',
  });
  const server = await discover(story, urls, admin);
  const invoices = await startInvoices(story, options, urls, server);

  try {
    return await theAgentActsThenAliceLeaves(invoices);
  } finally {
    await invoices.close();
  }

  async function theAgentActsThenAliceLeaves(service: InvoicesService): Promise<LeaverStoryResult> {
    const client = await agentCredentials(story, urls, admin, { orgId, agentId, service });
    const { accessToken } = await exchangeFor(story, server, client, {
      mandateId,
      audience: service.audience,
      scope: SCOPES,
    });
    await listInvoices(story, service, accessToken, 'invoice-bot lists the invoices: GET /invoices');
    await approveInvoice(story, service, accessToken, { invoiceId: 'inv-1', aliceId, agentId });

    const deactivatedAt = await story.step(
      'HR deactivates Alice in Okta: SCIM PATCH active=false',
      async () => {
        const answer = await send('PATCH', `${directory.endpoint}/Users/${aliceId}`, directory.bearer, {
          scim: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
        });
        const at = performance.now();
        story.expectStatus(answer, 200, 204);
        return { status: answer.status, detail: 'Alice is inactive', value: at };
      },
    );

    const refusal = await untilRefused(
      story,
      service,
      accessToken,
      deactivatedAt,
      "invoice-bot's next call is refused",
    );
    const inactiveAfterMs = await untilInactive(story, server, admin, accessToken, deactivatedAt);

    return {
      orgId,
      aliceId,
      agentId,
      mandateId,
      clientId: client.clientId,
      invoicesUrl: service.url,
      refusedAfterMs: refusal.ms,
      callsUntilRefused: refusal.calls,
      inactiveAfterMs,
      steps: story.steps,
    };
  }
};
