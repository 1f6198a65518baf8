/**
 * The leaver story, against a running Mandate: Alice joins through SCIM, holds a role that lets her
 * read and approve invoices, and gives her agent "invoice-bot" a mandate to do it for her. The agent
 * exchanges the mandate for an access token and approves an invoice in the invoices service. HR
 * deactivates Alice in the IdP: the agent's next call is refused, and introspection agrees.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type InvoicesService, startInvoicesService } from '../../apps/invoices/src/start-invoices-service';

export interface LeaverStoryOptions {
  /** Mandate's base URL, which is also its issuer identifier. */
  readonly mandateUrl: string;
  /** The admin key (management API, the revocation feed, introspection). */
  readonly adminKey: string;
  /** Where each numbered step is printed. */
  readonly log?: (line: string) => void;
  /** The port of the invoices service started in-process (0, the default, lets the system choose). */
  readonly invoicesPort?: number;
  /** How long to wait for the refusal after the deactivation (5 s by default). */
  readonly refusalTimeoutMs?: number;
}

export interface StepRecord {
  readonly step: number;
  readonly title: string;
  readonly status: number | null;
  readonly detail: string;
}

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
  readonly steps: readonly StepRecord[];
}

/** A step that did not go as the story says: which one, the status and what the server said. */
export class LeaverStoryError extends Error {
  override readonly name = 'LeaverStoryError';

  constructor(
    readonly step: number,
    readonly title: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`step ${step} (${title}): ${status === null ? '' : `HTTP ${status}, `}${detail}`);
  }
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANDATE_TOKEN_TYPE = 'urn:mandate:params:oauth:token-type:mandate';
const SCOPES = ['invoices:read', 'invoices:approve'];

type Json = Record<string, unknown>;

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
  readonly text: string;
}

type Body =
  | { readonly json: unknown }
  | { readonly scim: unknown }
  | { readonly form: Readonly<Record<string, string>> };

const send = async (method: string, url: string, authorization: string, body?: Body): Promise<Answer> => {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(authorization === '' ? {} : { authorization }),
  };
  let payload: string | undefined;
  if (body !== undefined && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body !== undefined && 'scim' in body) {
    headers['content-type'] = 'application/scim+json';
    headers['accept'] = 'application/scim+json';
    payload = JSON.stringify(body.scim);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(body.form).toString();
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new Error(
      `${method} ${url} got no answer (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  return { status: response.status, body: json as Json, headers: response.headers, text };
};

/** What a refusal says, in one line: problem+json `code`/`detail`, OAuth `error`, or the text itself. */
const complaint = (answer: Answer): string => {
  const { body } = answer;
  const parts = [body['code'], body['error'], body['detail'] ?? body['error_description'] ?? body['message']]
    .filter((part) => typeof part === 'string' && part !== '')
    .map(String);
  const said = parts.length > 0 ? parts.join(': ') : answer.text.slice(0, 300) || '(empty body)';
  return body['missing'] === undefined ? said : `${said} (missing ${JSON.stringify(body['missing'])})`;
};

const stringAt = (body: Json, ...path: string[]): string | undefined => {
  let value: unknown = body;
  for (const key of path)
    value = typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The claims of a JWS, unverified: only to show what Mandate issued (the invoices service verifies it). */
const claimsOf = (jwt: string): Json => {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Json;
  } catch {
    return {};
  }
};

/** Runs the story; resolves with its measurements, or rejects with the `LeaverStoryError` of the failed step. */
export const runLeaverStory = async (options: LeaverStoryOptions): Promise<LeaverStoryResult> => {
  const mandate = options.mandateUrl.replace(/\/+$/, '');
  const admin = `Bearer ${options.adminKey}`;
  const log = options.log ?? ((line: string) => console.log(line));
  const steps: StepRecord[] = [];

  let current = { step: 0, title: '' };
  const fail = (status: number | null, detail: string): never => {
    throw new LeaverStoryError(current.step, current.title, status, detail);
  };
  /** The answer, when its status is one of `expected`; the step fails otherwise. */
  const expectStatus = (answer: Answer, ...expected: number[]): Answer =>
    expected.includes(answer.status) ? answer : fail(answer.status, complaint(answer));
  const required = (answer: Answer, ...path: string[]): string =>
    stringAt(answer.body, ...path) ?? fail(answer.status, `the answer has no ${path.join('.')}`);
  const step = async <T>(
    title: string,
    run: () => Promise<{ status: number | null; detail: string; value: T }>,
  ): Promise<T> => {
    current = { step: steps.length + 1, title };
    let outcome: { status: number | null; detail: string; value: T };
    try {
      outcome = await run();
    } catch (error) {
      if (error instanceof LeaverStoryError) throw error;
      throw new LeaverStoryError(
        current.step,
        title,
        null,
        error instanceof Error ? error.message : String(error),
      );
    }
    const record = { step: current.step, title, status: outcome.status, detail: outcome.detail };
    steps.push(record);
    log(`${String(record.step).padStart(2)}. ${title} → ${outcome.status ?? 'ok'}  ${outcome.detail}`);
    return outcome.value;
  };

  const orgId = await step('Create the organization Acme', async () => {
    const answer = expectStatus(
      await send('POST', `${mandate}/api/v1/organizations`, admin, { json: { name: 'Acme' } }),
      201,
    );
    const id = required(answer, 'id');
    return { status: answer.status, detail: id, value: id };
  });
  const api = `${mandate}/api/v1/organizations/${orgId}`;

  const directory = await step('Connect Okta: a SCIM directory', async () => {
    const answer = expectStatus(
      await send('POST', `${api}/directories`, admin, { json: { name: 'Okta', provider: 'okta' } }),
      201,
    );
    const endpoint = required(answer, 'endpoint');
    return {
      status: answer.status,
      detail: `SCIM base ${endpoint}`,
      value: { endpoint, bearer: `Bearer ${required(answer, 'token')}` },
    };
  });

  const aliceId = await step('Okta provisions Alice over SCIM', async () => {
    const answer = expectStatus(
      await send('POST', `${directory.endpoint}/Users`, directory.bearer, {
        scim: {
          schemas: [USER],
          userName: 'alice@acme.example',
          externalId: '00u1alice',
          name: { givenName: 'Alice', familyName: 'Liddell' },
          emails: [{ value: 'alice@acme.example', type: 'work', primary: true }],
          active: true,
        },
      }),
      201,
    );
    const id = required(answer, 'id');
    return { status: answer.status, detail: `Alice is ${id}`, value: id };
  });

  const roleId = await step(`Create the role invoice-approver (${SCOPES.join(' ')})`, async () => {
    const answer = expectStatus(
      await send('POST', `${api}/roles`, admin, {
        json: { key: 'invoice-approver', name: 'Invoice approver', permissions: SCOPES },
      }),
      201,
    );
    const id = required(answer, 'role', 'id');
    return { status: answer.status, detail: id, value: id };
  });

  await step('Give Alice the role', async () => {
    const answer = expectStatus(
      await send('POST', `${api}/roles/${roleId}/assignments`, admin, {
        json: { subject: `user:${aliceId}` },
      }),
      200,
      201,
    );
    return { status: answer.status, detail: `user:${aliceId} holds ${roleId}`, value: undefined };
  });

  const agentId = await step('Register the agent invoice-bot, owned by Alice', async () => {
    const answer = expectStatus(
      await send('POST', `${api}/agents`, admin, {
        json: { displayName: 'invoice-bot', ownerIds: [aliceId] },
      }),
      201,
    );
    const id = required(answer, 'id');
    return { status: answer.status, detail: id, value: id };
  });

  const mandateId = await step(`Alice gives invoice-bot a mandate: ${SCOPES.join(' ')}`, async () => {
    const answer = expectStatus(
      await send('POST', `${api}/mandates`, admin, {
        json: { userId: aliceId, agentId, permissions: SCOPES, reason: 'approve supplier invoices' },
      }),
      201,
    );
    const id = required(answer, 'mandate', 'id');
    return { status: answer.status, detail: id, value: id };
  });

  const discovery = await step("Discover Mandate's authorization server", async () => {
    const answer = await send('GET', `${mandate}/.well-known/openid-configuration`, admin);
    if (answer.status === 404)
      fail(404, `${mandate} has no authorization server (no /.well-known/openid-configuration)`);
    expectStatus(answer, 200);
    const endpoints = {
      token: required(answer, 'token_endpoint'),
      introspection: required(answer, 'introspection_endpoint'),
    };
    return { status: answer.status, detail: `token endpoint ${endpoints.token}`, value: endpoints };
  });

  const invoices = await step('Start the invoices service (revocations over SSE)', async () => {
    const service = await startInvoicesService({
      issuer: mandate,
      ...(options.invoicesPort === undefined ? {} : { port: options.invoicesPort }),
      revocations: { over: 'http', baseUrl: mandate, apiKey: options.adminKey },
    });
    const health = await send('GET', `${service.url}/health`, '');
    if (health.status !== 200) {
      await service.close();
      fail(health.status, complaint(health));
    }
    return { status: health.status, detail: `${service.url}, audience ${service.audience}`, value: service };
  });

  try {
    return await theAgentActsThenAliceLeaves(invoices);
  } finally {
    await invoices.close();
  }

  async function theAgentActsThenAliceLeaves(service: InvoicesService): Promise<LeaverStoryResult> {
    const client = await step('invoice-bot gets client credentials (client_secret_basic)', async () => {
      const answer = expectStatus(
        await send('POST', `${api}/agents/${agentId}/credentials`, admin, {
          json: { tokenEndpointAuthMethod: 'client_secret_basic', audiences: [service.audience] },
        }),
        201,
      );
      const clientId = required(answer, 'clientId');
      return {
        status: answer.status,
        detail: clientId,
        value: { clientId, authorization: basic(clientId, required(answer, 'clientSecret')) },
      };
    });

    const accessToken = await step('invoice-bot exchanges the mandate for an access token', async () => {
      const answer = expectStatus(
        await send('POST', discovery.token, client.authorization, {
          form: {
            grant_type: TOKEN_EXCHANGE,
            subject_token: mandateId,
            subject_token_type: MANDATE_TOKEN_TYPE,
            resource: service.audience,
            scope: SCOPES.join(' '),
          },
        }),
        200,
      );
      const token = required(answer, 'access_token');
      const claims = claimsOf(token);
      return {
        status: answer.status,
        detail:
          `sub ${String(claims['sub'])}, act.sub ${String(stringAt(claims, 'act', 'sub'))}, ` +
          `scope "${String(answer.body['scope'] ?? claims['scope'])}", expires in ${String(answer.body['expires_in'])} s`,
        value: token,
      };
    });
    const asAgent = `Bearer ${accessToken}`;

    await step('invoice-bot lists the invoices: GET /invoices', async () => {
      const answer = expectStatus(await send('GET', `${service.url}/invoices`, asAgent), 200);
      const data = Array.isArray(answer.body['data']) ? answer.body['data'] : [];
      return { status: answer.status, detail: `${data.length} invoices`, value: undefined };
    });

    await step('invoice-bot approves inv-1 for Alice: POST /invoices/inv-1/approve', async () => {
      const answer = expectStatus(await send('POST', `${service.url}/invoices/inv-1/approve`, asAgent), 200);
      const subject = stringAt(answer.body, 'approval', 'subject');
      const actor = stringAt(answer.body, 'approval', 'actor');
      if (subject !== aliceId || actor !== agentId)
        fail(answer.status, `recorded as sub ${subject} act.sub ${actor}, not Alice and invoice-bot`);
      return {
        status: answer.status,
        detail: `approved by ${subject} (sub, the human) via ${actor} (act.sub, the agent)`,
        value: undefined,
      };
    });

    const deactivatedAt = await step('HR deactivates Alice in Okta: SCIM PATCH active=false', async () => {
      const answer = await send('PATCH', `${directory.endpoint}/Users/${aliceId}`, directory.bearer, {
        scim: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
      });
      const at = performance.now();
      expectStatus(answer, 200, 204);
      return { status: answer.status, detail: 'Alice is inactive', value: at };
    });

    const refusal = await step("invoice-bot's next call is refused", async () => {
      const deadline = deactivatedAt + (options.refusalTimeoutMs ?? 5_000);
      for (let calls = 1; ; calls += 1) {
        const answer = await send('GET', `${service.url}/invoices`, asAgent);
        const refusedAt = performance.now();
        if (answer.status === 401) {
          const challenge = answer.headers.get('www-authenticate') ?? '';
          if (!challenge.includes('error="invalid_token"'))
            fail(401, `the challenge is not invalid_token: ${challenge}`);
          const ms = refusedAt - deactivatedAt;
          return {
            status: answer.status,
            detail: `${complaint(answer)} — ${ms.toFixed(1)} ms after the SCIM answer (call ${calls})`,
            value: { ms, calls },
          };
        }
        if (answer.status !== 200) fail(answer.status, complaint(answer));
        if (refusedAt > deadline)
          fail(200, `still allowed ${options.refusalTimeoutMs ?? 5_000} ms after the deactivation`);
        await sleep(1);
      }
    });

    await step('Introspection says the token is no longer active', async () => {
      const deadline = performance.now() + 2_000;
      for (;;) {
        const answer = expectStatus(
          await send('POST', discovery.introspection, admin, { form: { token: accessToken } }),
          200,
        );
        if (answer.body['active'] === false)
          return { status: answer.status, detail: 'active: false', value: undefined };
        if (performance.now() > deadline)
          fail(answer.status, `active is ${String(answer.body['active'])} 2 s after the refusal`);
        await sleep(10);
      }
    });

    return {
      orgId,
      aliceId,
      agentId,
      mandateId,
      clientId: client.clientId,
      invoicesUrl: service.url,
      refusedAfterMs: refusal.ms,
      callsUntilRefused: refusal.calls,
      steps,
    };
  }
};
