/**
 * The mover story, against a running Mandate: Okta has Alice in two groups — "Staff", mapped to a role
 * that reads invoices, and "Finance", mapped to one that approves them — and she gives her agent
 * "invoice-bot" a mandate for both. The agent's token carries both, and it approves an invoice. Okta
 * removes Alice from Finance: authz narrows her mandate to what she still holds, the agent's token
 * (wider than the mandate now) is refused and inactive, and a new exchange gets only `invoices:read` —
 * enough to list the invoices, not to approve one.
 *
 * One standalone Mandate (`mandateUrl`) or one service per context (`urls`); in distributed mode the
 * services learn from each other over Kafka, so the steps that depend on it wait for it, bounded.
 */
import { performance } from 'node:perf_hooks';
import { type InvoicesService } from '../../apps/invoices/src/start-invoices-service';
import {
  agentCredentials,
  approveInvoice,
  complaint,
  createAcme,
  discover,
  exchangeFor,
  exchangeMandate,
  GROUP,
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

export type MoverStoryOptions = StoryOptions;

export interface MoverStoryResult {
  readonly orgId: string;
  readonly aliceId: string;
  readonly agentId: string;
  readonly mandateId: string;
  readonly groups: { readonly staff: string; readonly finance: string };
  readonly clientId: string;
  readonly invoicesUrl: string;
  /** The mandate's permissions, as authz shows them, before and after the move. */
  readonly mandatePermissions: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** The scopes of the agent's token before the move and of the one exchanged after it. */
  readonly tokenScope: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** From the SCIM group change's response to authz showing the narrowed mandate, in ms. */
  readonly narrowedAfterMs: number;
  /** From the SCIM group change's response to the invoices service refusing the old token, in ms. */
  readonly refusedAfterMs: number;
  /** Calls the agent made with the old token after the move, the refused one included. */
  readonly callsUntilRefused: number;
  /** From the SCIM group change's response to introspection answering `active: false`, in ms. */
  readonly inactiveAfterMs: number;
  readonly steps: readonly StepRecord[];
}

const READ = 'invoices:read';
const APPROVE = 'invoices:approve';

const permissionsOf = (body: Record<string, unknown>): string[] =>
  Array.isArray(body['permissions'])
    ? body['permissions'].filter((item): item is string => typeof item === 'string').sort()
    : [];

/** Runs the story; resolves with its measurements, or rejects with the `StoryError` of the failed step. */
export const runMoverStory = async (options: MoverStoryOptions): Promise<MoverStoryResult> => {
  const urls = urlsOf(options);
  const admin = `Bearer ${options.adminKey}`;
  const story = new Story(
    'mover',
    options.log ?? ((line: string) => console.log(line)),
    options.timeoutMs ?? 10_000,
  );

  const { orgId, directory, aliceId } = await createAcme(story, urls, admin);
  const authz = `${urls.authz}/api/v1/organizations/${orgId}`;

  const group = (displayName: string) =>
    story.step(`Okta pushes the group ${displayName}, Alice a member`, async () => {
      const answer = story.expectStatus(
        await send('POST', `${directory.endpoint}/Groups`, directory.bearer, {
          scim: { schemas: [GROUP], displayName, members: [{ value: aliceId }] },
        }),
        201,
      );
      const id = story.required(answer, 'id');
      return { status: answer.status, detail: id, value: id };
    });
  const staff = await group('Staff');
  const finance = await group('Finance');

  const role = (key: string, name: string, permission: string) =>
    story.step(`Create the role ${key} (${permission})`, async () => {
      const { answer, waited } = await story.untilStatus(
        () => send('POST', `${authz}/roles`, admin, { json: { key, name, permissions: [permission] } }),
        201,
      );
      const id = story.required(answer, 'role', 'id');
      return { status: answer.status, detail: `${id}${waited}`, value: id };
    });
  const reader = await role('invoice-reader', 'Invoice reader', READ);
  const approver = await role('invoice-approver', 'Invoice approver', APPROVE);

  const mapping = (groupName: string, groupId: string, roleKey: string, roleId: string) =>
    story.step(`Map the group ${groupName} to the role ${roleKey}`, async () => {
      const { answer, waited } = await story.untilStatus(
        () =>
          send('POST', `${authz}/role-mappings`, admin, {
            json: { source: { kind: 'directory_group', groupId }, roleId },
          }),
        201,
      );
      return { status: answer.status, detail: `${groupId} → ${roleId}${waited}`, value: undefined };
    });
  await mapping('Staff', staff, 'invoice-reader', reader);
  await mapping('Finance', finance, 'invoice-approver', approver);

  const agentId = await registerAgent(story, urls, admin, orgId, aliceId);
  const mandateId = await grantMandate(story, urls, admin, {
    orgId,
    userId: aliceId,
    agentId,
    permissions: [READ, APPROVE],
    reason: 'read and approve supplier invoices',
  });
  const mandateBefore = await story.step('authz shows the mandate with both permissions', async () => {
    const answer = story.expectStatus(await send('GET', `${authz}/mandates/${mandateId}`, admin), 200);
    const permissions = permissionsOf(answer.body);
    if (answer.body['status'] !== 'active' || permissions.join(' ') !== [APPROVE, READ].join(' '))
      story.fail(
        200,
        `the mandate is ${String(answer.body['status'])}, permissions ${permissions.join(' ')}`,
      );
    return { status: answer.status, detail: `active, ${permissions.join(' ')}`, value: permissions };
  });

  const server = await discover(story, urls, admin);
  const invoices = await startInvoices(story, options, urls, server);
  try {
    return await theAgentActsThenAliceMoves(invoices);
  } finally {
    await invoices.close();
  }

  async function theAgentActsThenAliceMoves(service: InvoicesService): Promise<MoverStoryResult> {
    const client = await agentCredentials(story, urls, admin, { orgId, agentId, service });
    const wide = await exchangeFor(story, server, client, {
      mandateId,
      audience: service.audience,
      scope: [READ, APPROVE],
    });
    await listInvoices(story, service, wide.accessToken, 'invoice-bot lists the invoices: GET /invoices');
    await approveInvoice(story, service, wide.accessToken, { invoiceId: 'inv-1', aliceId, agentId });

    const movedAt = await story.step('Okta removes Alice from Finance: SCIM PATCH on the group', async () => {
      const answer = await send('PATCH', `${directory.endpoint}/Groups/${finance}`, directory.bearer, {
        scim: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${aliceId}"]` }] },
      });
      const at = performance.now();
      story.expectStatus(answer, 200, 204);
      return { status: answer.status, detail: `Alice left ${finance}`, value: at };
    });

    const narrowed = await story.step(`authz narrows the mandate to ${READ}`, async () => {
      const { answer, ms, attempts } = await story.until(
        () => send('GET', `${authz}/mandates/${mandateId}`, admin),
        (candidate) => candidate.status !== 200 || permissionsOf(candidate.body).join(' ') === READ,
        {
          since: movedAt,
          why: (last) =>
            `the mandate is ${String(last.body['status'])}, permissions ${permissionsOf(last.body).join(' ')}`,
        },
      );
      story.expectStatus(answer, 200);
      if (answer.body['status'] !== 'active')
        story.fail(200, `the mandate is ${String(answer.body['status'])}, not active`);
      return {
        status: answer.status,
        detail: `active, ${READ} — ${ms.toFixed(1)} ms after the SCIM answer (${attempts} reads)`,
        value: { ms, permissions: permissionsOf(answer.body) },
      };
    });

    const refusal = await untilRefused(
      story,
      service,
      wide.accessToken,
      movedAt,
      `invoice-bot's token (${APPROVE} too) is refused`,
    );
    const inactiveAfterMs = await untilInactive(story, server, admin, wide.accessToken, movedAt);

    await story.step(`invoice-bot asks for ${APPROVE} again: the exchange refuses`, async () => {
      const answer = story.expectStatus(
        await exchangeMandate(server, client, { mandateId, audience: service.audience, scope: [APPROVE] }),
        400,
      );
      if (answer.body['error'] !== 'invalid_scope')
        story.fail(400, `${complaint(answer)}, not invalid_scope`);
      return { status: answer.status, detail: complaint(answer), value: undefined };
    });

    const narrow = await exchangeFor(
      story,
      server,
      client,
      { mandateId, audience: service.audience, scope: [READ] },
      'invoice-bot exchanges the narrowed mandate',
    );
    await listInvoices(story, service, narrow.accessToken, 'with it, invoice-bot lists the invoices');

    await story.step('but approving inv-2 is refused: 403 insufficient_scope', async () => {
      const answer = story.expectStatus(
        await send('POST', `${service.url}/invoices/inv-2/approve`, `Bearer ${narrow.accessToken}`),
        403,
      );
      const challenge = answer.headers.get('www-authenticate') ?? '';
      if (!challenge.includes('error="insufficient_scope"'))
        story.fail(403, `the challenge is not insufficient_scope: ${challenge}`);
      return { status: answer.status, detail: complaint(answer), value: undefined };
    });

    return {
      orgId,
      aliceId,
      agentId,
      mandateId,
      groups: { staff, finance },
      clientId: client.clientId,
      invoicesUrl: service.url,
      mandatePermissions: { before: mandateBefore, after: narrowed.permissions },
      tokenScope: { before: wide.scope, after: narrow.scope },
      narrowedAfterMs: narrowed.ms,
      refusedAfterMs: refusal.ms,
      callsUntilRefused: refusal.calls,
      inactiveAfterMs,
      steps: story.steps,
    };
  }
};
