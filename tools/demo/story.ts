/**
 * What the agent stories share: the HTTP client they speak to Mandate with, numbered steps that fail
 * with the request's status and what the server said, bounded waits for what is eventually consistent
 * (a service learning, over Kafka, what another one did), and the invoices service started in-process.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type InvoicesService, startInvoicesService } from '../../apps/invoices/src/start-invoices-service';

/** The base URL of each context's API: one standalone Mandate, or one service per context. */
export interface ContextUrls {
  /** Organizations, SCIM directories, users, groups, agents. */
  readonly directory: string;
  /** The authorization server (its issuer), agent credentials, introspection, the revocation feed. */
  readonly authn: string;
  /** Roles, role mappings, mandates. */
  readonly authz: string;
}

/** How the invoices service learns of revoked grants: authn's feed (SSE), or authn's Kafka topic. */
export type RevocationFollowing =
  | { readonly over: 'sse' }
  | { readonly over: 'kafka'; readonly brokers: readonly string[]; readonly topicPrefix?: string };

interface CommonStoryOptions {
  /** The admin key (management API, the revocation feed, introspection). */
  readonly adminKey: string;
  /** The invoices service's revocation follower; authn's SSE feed by default. */
  readonly revocations?: RevocationFollowing;
  /** Where each numbered step is printed. */
  readonly log?: (line: string) => void;
  /** The port of the invoices service started in-process (0, the default, lets the system choose). */
  readonly invoicesPort?: number;
  /**
   * How long to wait for what is eventually consistent — a service learning what another did, the
   * refusal after a leaver or a mover (10 s by default).
   */
  readonly timeoutMs?: number;
}

export type StoryOptions = CommonStoryOptions &
  (
    | {
        /** A standalone Mandate's base URL, the default of every context's. */
        readonly mandateUrl: string;
        readonly urls?: Partial<ContextUrls>;
      }
    | { readonly mandateUrl?: undefined; readonly urls: ContextUrls }
  );

export interface StepRecord {
  readonly step: number;
  readonly title: string;
  readonly status: number | null;
  readonly detail: string;
}

/** A step that did not go as the story says: which one, the status and what the server said. */
export class StoryError extends Error {
  override readonly name = 'StoryError';

  constructor(
    readonly story: string,
    readonly step: number,
    readonly title: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`${story} story, step ${step} (${title}): ${status === null ? '' : `HTTP ${status}, `}${detail}`);
  }
}

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const MANDATE_TOKEN_TYPE = 'urn:mandate:params:oauth:token-type:mandate';

export type Json = Record<string, unknown>;

export interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
  readonly text: string;
}

type Body =
  | { readonly json: unknown }
  | { readonly scim: unknown }
  | { readonly form: Readonly<Record<string, string>> };

export const send = async (
  method: string,
  url: string,
  authorization: string,
  body?: Body,
): Promise<Answer> => {
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
export const complaint = (answer: Answer): string => {
  const { body } = answer;
  const parts = [body['code'], body['error'], body['detail'] ?? body['error_description'] ?? body['message']]
    .filter((part) => typeof part === 'string' && part !== '')
    .map(String);
  const said = parts.length > 0 ? parts.join(': ') : answer.text.slice(0, 300) || '(empty body)';
  return body['missing'] === undefined ? said : `${said} (missing ${JSON.stringify(body['missing'])})`;
};

export const stringAt = (body: Json, ...path: string[]): string | undefined => {
  let value: unknown = body;
  for (const key of path)
    value = typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

export const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The claims of a JWS, unverified: only to show what Mandate issued (the invoices service verifies it). */
export const claimsOf = (jwt: string): Json => {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Json;
  } catch {
    return {};
  }
};

/** The sorted scopes of a space-separated `scope`. */
export const scopesOf = (scope: unknown): string[] =>
  typeof scope === 'string' ? scope.split(' ').filter(Boolean).sort() : [];

const sameSet = (left: readonly string[], right: readonly string[]) =>
  left.length === right.length && [...left].sort().every((item, index) => item === [...right].sort()[index]);

export const urlsOf = (options: StoryOptions): ContextUrls => {
  const trim = (url: string) => url.replace(/\/+$/, '');
  const { mandateUrl, urls } = options;
  const of = (context: keyof ContextUrls) => {
    const url = urls?.[context] ?? mandateUrl;
    if (url === undefined) throw new Error(`No URL for ${context}: pass mandateUrl or urls.${context}`);
    return trim(url);
  };
  return { directory: of('directory'), authn: of('authn'), authz: of('authz') };
};

/** How long a wait took, for the step's detail: nothing when the first answer was the one. */
const waited = (ms: number, attempts: number) =>
  attempts === 1 ? '' : ` (after ${ms.toFixed(0)} ms, ${attempts} attempts)`;

/** One story's numbered steps: each printed as it passes, the first that does not go as told throws. */
export class Story {
  readonly steps: StepRecord[] = [];
  private current = { step: 0, title: '' };

  constructor(
    readonly name: string,
    private readonly log: (line: string) => void,
    /** The bound of every wait. */
    readonly timeoutMs: number,
  ) {}

  fail(status: number | null, detail: string): never {
    throw new StoryError(this.name, this.current.step, this.current.title, status, detail);
  }

  /** The answer, when its status is one of `expected`; the step fails otherwise. */
  expectStatus(answer: Answer, ...expected: number[]): Answer {
    return expected.includes(answer.status) ? answer : this.fail(answer.status, complaint(answer));
  }

  required(answer: Answer, ...path: string[]): string {
    return stringAt(answer.body, ...path) ?? this.fail(answer.status, `the answer has no ${path.join('.')}`);
  }

  async step<T>(title: string, run: () => Promise<{ status: number | null; detail: string; value: T }>) {
    this.current = { step: this.steps.length + 1, title };
    let outcome: { status: number | null; detail: string; value: T };
    try {
      outcome = await run();
    } catch (error) {
      if (error instanceof StoryError) throw error;
      throw new StoryError(
        this.name,
        this.current.step,
        title,
        null,
        error instanceof Error ? error.message : String(error),
      );
    }
    const record = { step: this.current.step, title, status: outcome.status, detail: outcome.detail };
    this.steps.push(record);
    this.log(`${String(record.step).padStart(2)}. ${title} → ${outcome.status ?? 'ok'}  ${outcome.detail}`);
    return outcome.value;
  }

  /**
   * Asks until `accept` takes the answer — a service that has not yet learned what another did answers
   * otherwise for a while — for at most `timeoutMs` from `since` (now by default); then the step fails
   * with the last answer, and `why` when given.
   */
  async until(
    ask: () => Promise<Answer>,
    accept: (answer: Answer) => boolean,
    {
      since = performance.now(),
      why,
      intervalMs,
    }: { since?: number; why?: (answer: Answer) => string; intervalMs?: number } = {},
  ): Promise<{ answer: Answer; at: number; ms: number; attempts: number; waited: string }> {
    const deadline = since + this.timeoutMs;
    for (let attempts = 1; ; attempts += 1) {
      const answer = await ask();
      const at = performance.now();
      if (accept(answer)) {
        const ms = at - since;
        return { answer, at, ms, attempts, waited: waited(ms, attempts) };
      }
      if (at > deadline)
        this.fail(
          answer.status,
          `${why?.(answer) ?? complaint(answer)} — still so ${this.timeoutMs} ms later (${attempts} attempts)`,
        );
      await sleep(intervalMs ?? Math.min(2 ** attempts, 50));
    }
  }

  /** `until` the status is one of `expected`. */
  untilStatus(ask: () => Promise<Answer>, ...expected: number[]) {
    return this.until(ask, (answer) => expected.includes(answer.status));
  }
}

/** The setting of both stories: Acme, its Okta directory, and the discovered authorization server. */
export const createAcme = async (story: Story, urls: ContextUrls, admin: string, name = 'Acme') => {
  const orgId = await story.step(`Create the organization ${name}`, async () => {
    const answer = story.expectStatus(
      await send('POST', `${urls.directory}/api/v1/organizations`, admin, { json: { name } }),
      201,
    );
    const id = story.required(answer, 'id');
    return { status: answer.status, detail: id, value: id };
  });

  const directory = await story.step('Connect Okta: a SCIM directory', async () => {
    const answer = story.expectStatus(
      await send('POST', `${urls.directory}/api/v1/organizations/${orgId}/directories`, admin, {
        json: { name: 'Okta', provider: 'okta' },
      }),
      201,
    );
    const endpoint = story.required(answer, 'endpoint');
    return {
      status: answer.status,
      detail: `SCIM base ${endpoint}`,
      value: { endpoint, bearer: `Bearer ${story.required(answer, 'token')}` },
    };
  });

  const aliceId = await story.step('Okta provisions Alice over SCIM', async () => {
    const answer = story.expectStatus(
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
    const id = story.required(answer, 'id');
    return { status: answer.status, detail: `Alice is ${id}`, value: id };
  });

  return { orgId, directory, aliceId };
};

export const registerAgent = (
  story: Story,
  urls: ContextUrls,
  admin: string,
  orgId: string,
  ownerId: string,
) =>
  story.step('Register the agent invoice-bot, owned by Alice', async () => {
    const answer = story.expectStatus(
      await send('POST', `${urls.directory}/api/v1/organizations/${orgId}/agents`, admin, {
        json: { displayName: 'invoice-bot', ownerIds: [ownerId] },
      }),
      201,
    );
    const id = story.required(answer, 'id');
    return { status: answer.status, detail: id, value: id };
  });

/** Alice's mandate to the agent, once authz knows her, the agent and what she holds. */
export const grantMandate = (
  story: Story,
  urls: ContextUrls,
  admin: string,
  grant: { orgId: string; userId: string; agentId: string; permissions: readonly string[]; reason: string },
) =>
  story.step(`Alice gives invoice-bot a mandate: ${grant.permissions.join(' ')}`, async () => {
    const { orgId, ...body } = grant;
    const { answer, waited } = await story.untilStatus(
      () =>
        send('POST', `${urls.authz}/api/v1/organizations/${orgId}/mandates`, admin, {
          json: body,
        }),
      201,
    );
    const id = story.required(answer, 'mandate', 'id');
    return { status: answer.status, detail: `${id}${waited}`, value: id };
  });

export interface AuthorizationServer {
  readonly issuer: string;
  readonly token: string;
  readonly introspection: string;
}

export const discover = (story: Story, urls: ContextUrls, admin: string) =>
  story.step("Discover Mandate's authorization server", async () => {
    const answer = await send('GET', `${urls.authn}/.well-known/openid-configuration`, admin);
    if (answer.status === 404)
      story.fail(404, `${urls.authn} has no authorization server (no /.well-known/openid-configuration)`);
    story.expectStatus(answer, 200);
    const server: AuthorizationServer = {
      issuer: story.required(answer, 'issuer'),
      token: story.required(answer, 'token_endpoint'),
      introspection: story.required(answer, 'introspection_endpoint'),
    };
    return {
      status: answer.status,
      detail: `issuer ${server.issuer}, token endpoint ${server.token}`,
      value: server,
    };
  });

/** The invoices service, trusting the issuer, following revocations the way the options say. */
export const startInvoices = (
  story: Story,
  options: StoryOptions,
  urls: ContextUrls,
  server: AuthorizationServer,
) => {
  const following = options.revocations ?? { over: 'sse' };
  const over = following.over === 'sse' ? 'SSE' : 'Kafka';
  return story.step(`Start the invoices service (revocations over ${over})`, async () => {
    const service = await startInvoicesService({
      issuer: server.issuer,
      ...(options.invoicesPort === undefined ? {} : { port: options.invoicesPort }),
      revocations:
        following.over === 'sse'
          ? { over: 'http', baseUrl: urls.authn, apiKey: options.adminKey }
          : {
              over: 'kafka',
              brokers: following.brokers,
              ...(following.topicPrefix === undefined ? {} : { topicPrefix: following.topicPrefix }),
            },
    });
    const health = await send('GET', `${service.url}/health`, '');
    if (health.status !== 200) {
      await service.close();
      story.fail(health.status, complaint(health));
    }
    return { status: health.status, detail: `${service.url}, audience ${service.audience}`, value: service };
  });
};

export interface AgentClient {
  readonly clientId: string;
  readonly authorization: string;
}

/** The agent's client credentials, once authn knows the agent. */
export const agentCredentials = (
  story: Story,
  urls: ContextUrls,
  admin: string,
  { orgId, agentId, service }: { orgId: string; agentId: string; service: InvoicesService },
) =>
  story.step('invoice-bot gets client credentials (client_secret_basic)', async () => {
    const { answer, waited } = await story.untilStatus(
      () =>
        send('POST', `${urls.authn}/api/v1/organizations/${orgId}/agents/${agentId}/credentials`, admin, {
          json: { tokenEndpointAuthMethod: 'client_secret_basic', audiences: [service.audience] },
        }),
      201,
    );
    const clientId = story.required(answer, 'clientId');
    return {
      status: answer.status,
      detail: `${clientId}${waited}`,
      value: { clientId, authorization: basic(clientId, story.required(answer, 'clientSecret')) },
    };
  });

/** The token endpoint's answer to exchanging the mandate for a token for `audience`, asking for `scope`. */
export const exchangeMandate = (
  server: AuthorizationServer,
  client: AgentClient,
  { mandateId, audience, scope }: { mandateId: string; audience: string; scope: readonly string[] },
) =>
  send('POST', server.token, client.authorization, {
    form: {
      grant_type: TOKEN_EXCHANGE,
      subject_token: mandateId,
      subject_token_type: MANDATE_TOKEN_TYPE,
      resource: audience,
      scope: scope.join(' '),
    },
  });

export interface ExchangedToken {
  readonly accessToken: string;
  readonly scope: string[];
}

/**
 * The exchange of the mandate for exactly `scope`, once authn knows the mandate and what Alice holds
 * (until then it refuses, or grants less).
 */
export const exchangeFor = (
  story: Story,
  server: AuthorizationServer,
  client: AgentClient,
  request: { mandateId: string; audience: string; scope: readonly string[] },
  title = 'invoice-bot exchanges the mandate for an access token',
) =>
  story.step(`${title} (scope ${request.scope.join(' ')})`, async () => {
    const { answer, waited } = await story.until(
      () => exchangeMandate(server, client, request),
      (candidate) => candidate.status === 200 && sameSet(scopesOf(candidate.body['scope']), request.scope),
      {
        why: (last) =>
          last.status === 200 ? `granted scope "${String(last.body['scope'])}"` : complaint(last),
      },
    );
    const token = story.required(answer, 'access_token');
    const claims = claimsOf(token);
    const scope = scopesOf(claims['scope']);
    if (!sameSet(scope, request.scope))
      story.fail(answer.status, `the token's scope is "${scope.join(' ')}"`);
    return {
      status: answer.status,
      detail:
        `sub ${String(claims['sub'])}, act.sub ${String(stringAt(claims, 'act', 'sub'))}, ` +
        `scope "${scope.join(' ')}", expires in ${String(answer.body['expires_in'])} s${waited}`,
      value: { accessToken: token, scope } satisfies ExchangedToken,
    };
  });

/** The agent lists Acme's invoices with `token`. */
export const listInvoices = (story: Story, service: InvoicesService, token: string, title: string) =>
  story.step(title, async () => {
    const answer = story.expectStatus(await send('GET', `${service.url}/invoices`, `Bearer ${token}`), 200);
    const data = Array.isArray(answer.body['data']) ? answer.body['data'] : [];
    return { status: answer.status, detail: `${data.length} invoices`, value: undefined };
  });

/** The agent approves `invoiceId` for Alice; the approval records Alice (`sub`) and the agent (`act.sub`). */
export const approveInvoice = (
  story: Story,
  service: InvoicesService,
  token: string,
  { invoiceId, aliceId, agentId }: { invoiceId: string; aliceId: string; agentId: string },
) =>
  story.step(`invoice-bot approves ${invoiceId} for Alice: POST /invoices/${invoiceId}/approve`, async () => {
    const answer = story.expectStatus(
      await send('POST', `${service.url}/invoices/${invoiceId}/approve`, `Bearer ${token}`),
      200,
    );
    const subject = stringAt(answer.body, 'approval', 'subject');
    const actor = stringAt(answer.body, 'approval', 'actor');
    if (subject !== aliceId || actor !== agentId)
      story.fail(answer.status, `recorded as sub ${subject} act.sub ${actor}, not Alice and invoice-bot`);
    return {
      status: answer.status,
      detail: `approved by ${subject} (sub, the human) via ${actor} (act.sub, the agent)`,
      value: undefined,
    };
  });

/**
 * The agent keeps calling with `token` until the invoices service refuses it (`401 invalid_token`),
 * at most `timeoutMs` after `since`; resolves with how long that took.
 */
export const untilRefused = (
  story: Story,
  service: InvoicesService,
  token: string,
  since: number,
  title: string,
) =>
  story.step(title, async () => {
    const { answer, ms, attempts } = await story.until(
      () => send('GET', `${service.url}/invoices`, `Bearer ${token}`),
      (candidate) => candidate.status !== 200,
      { since, why: () => 'still allowed', intervalMs: 1 },
    );
    story.expectStatus(answer, 401);
    const challenge = answer.headers.get('www-authenticate') ?? '';
    if (!challenge.includes('error="invalid_token"'))
      story.fail(401, `the challenge is not invalid_token: ${challenge}`);
    return {
      status: answer.status,
      detail: `${complaint(answer)} — ${ms.toFixed(1)} ms after the SCIM answer (call ${attempts})`,
      value: { ms, calls: attempts },
    };
  });

/** Introspection, until it says `token` is no longer active; resolves with how long after `since`. */
export const untilInactive = (
  story: Story,
  server: AuthorizationServer,
  admin: string,
  token: string,
  since: number,
) =>
  story.step('Introspection says the token is no longer active', async () => {
    const { answer, ms } = await story.until(
      () => send('POST', server.introspection, admin, { form: { token } }),
      (candidate) => candidate.status !== 200 || candidate.body['active'] === false,
      { since, why: (last) => `active is ${String(last.body['active'])}`, intervalMs: 5 },
    );
    story.expectStatus(answer, 200);
    return {
      status: answer.status,
      detail: `active: false — ${ms.toFixed(1)} ms after the SCIM answer`,
      value: ms,
    };
  });
