/**
 * SSO benchmark: the two upstream protocol steps a federated sign-in pays for, on loopback only.
 *
 * (a) SAML response validation per second: `SamlServiceProvider.validatePostResponse` on fresh signed
 *     responses from the samlify `TestIdentityProvider` (pre-generated, each answering its own
 *     AuthnRequest, so every assertion id and request id is distinct). With in-memory request and replay
 *     stores (the CPU figure) and, when DATABASE_URL is set, with the PostgreSQL stores on a fresh
 *     database (the stored figure).
 * (b) OIDC callback handling per second: `OidcUpstream.handleCallback` against oidc-provider run as a
 *     separate process (`startOidcTestIdp`): codes are obtained first through the browser-less sign-in,
 *     then the callbacks (code exchange, ID-token checks) are timed one after the other.
 * (c) End-to-end login latency: a standalone Mandate in this process (embedded PGlite, fresh data dir),
 *     one organization with two verified domains, a SAML connection (samlify `TestIdentityProvider`,
 *     signed AuthnRequests) and an OIDC connection (oidc-provider in its own process), both tested and
 *     enabled, JIT on, MFA off, and one application client. Each login is timed from the application's
 *     authorization request (PKCE S256, `login_hint`) through discovery, the IdP, the ACS or callback and
 *     the interaction's completion to the token response at `/oauth/token`, in a fresh browser (no
 *     Mandate or IdP session). The first login of each of BENCH_LOGIN_USERS people creates them just in
 *     time; the rest sign in existing users. Then the same with BENCH_LOGIN_CONCURRENCY browsers at once.
 *
 * Bounded: BENCH_SAML_RESPONSES (default 2000), BENCH_OIDC_CODES (default 300; codes live 60 s, so
 * they are obtained in batches of at most BENCH_OIDC_BATCH, default 100), BENCH_LOGINS (per protocol,
 * default 100, of which BENCH_LOGIN_USERS, default 10, are first logins), BENCH_SECONDS (a cap on each
 * timed case, default 30). Prints a table and writes bench/results/sso.json.
 */
import { directoryContext, DirectoryModule } from '@mandate/directory-infrastructure';
import { runStandalone } from '@mandate/runtime';
import {
  Browser,
  generateTestKeyPair,
  type Page,
  startOidcTestIdp,
  TestIdentityProvider,
} from '@mandate/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { freePort, loadAverage, percentile, round, writeResults } from './bench-kit';
import { allContexts } from '../apps/standalone/src/contexts';
import { OidcUpstream, type OidcLoginRequest } from '../libs/authn/infrastructure/src/sso/oidc/oidc-upstream';
import { validateSamlConnectionConfig } from '../libs/authn/infrastructure/src/sso/saml/saml-connection-config';
import { parseIdpMetadata } from '../libs/authn/infrastructure/src/sso/saml/saml-idp-metadata';
import { SamlServiceProvider } from '../libs/authn/infrastructure/src/sso/saml/saml-service-provider';
import {
  type AssertionReplayCache,
  InMemoryAssertionReplayCache,
  InMemorySamlRequestStore,
  PostgresAssertionReplayCache,
  PostgresSamlRequestStore,
  type SamlRequestStore,
} from '../libs/authn/infrastructure/src/sso/saml/saml-stores';
import { CreateAuthnSamlStores1796169600000 } from '../libs/authn/infrastructure/src/sso/saml/saml-stores.migration';

const SAML_RESPONSES = Number(process.env['BENCH_SAML_RESPONSES'] ?? 2_000);
const OIDC_CODES = Number(process.env['BENCH_OIDC_CODES'] ?? 300);
const OIDC_BATCH = Math.min(Number(process.env['BENCH_OIDC_BATCH'] ?? 100), 200);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const LOGINS = Number(process.env['BENCH_LOGINS'] ?? 100);
const LOGIN_USERS = Math.max(1, Math.min(Number(process.env['BENCH_LOGIN_USERS'] ?? 10), LOGINS));
const LOGIN_CONCURRENCY = Number(process.env['BENCH_LOGIN_CONCURRENCY'] ?? 4);
// Mandate's own addresses are never called: the SAML ones are named, the OIDC callback is where the IdP's redirect stops.
const SAML_ISSUER = 'https://mandate.bench.test';
const ISSUER = 'http://127.0.0.1:9';
const CONNECTION_ID = 'conn_bench';
const OIDC_REDIRECT = `${ISSUER}/sso/oidc/${CONNECTION_ID}/callback`;
const OIDC_SECRET = randomBytes(24).toString('base64url');
// The end-to-end logins: the application's redirect URI is where the browser stops, never called.
const APP_REDIRECT = 'http://127.0.0.1:9/callback';
const APP_API = 'https://invoices.bench.example';
const SAML_DOMAIN = 'saml.bench.example';
const OIDC_DOMAIN = 'oidc.bench.example';
const SAML_IDP_ORIGIN = 'https://idp.saml.bench.test';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

interface Row {
  readonly case: string;
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `step` over the prepared inputs one at a time, stopping at the time cap. */
const timed = async <T>(name: string, inputs: readonly T[], step: (input: T) => Promise<unknown>) => {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  for (const input of inputs) {
    const at = performance.now();
    await step(input);
    latencies.push(performance.now() - at);
    if (performance.now() > deadline) break;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const row: Row = {
    case: name,
    count: latencies.length,
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
  };
  console.log(
    `${row.case.padEnd(42)} ${String(row.count).padStart(6)} in ${String(row.seconds).padStart(6)} s  ` +
      `${String(row.perSecond).padStart(8)}/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms`,
  );
  return row;
};

const samlCase = async (
  name: string,
  stores: { requests: SamlRequestStore; replay: AssertionReplayCache },
): Promise<Row> => {
  const idp = new TestIdentityProvider({
    entityId: 'https://idp.bench.test/saml',
    ssoUrl: 'https://idp.bench.test/sso',
    signing: generateTestKeyPair('idp.bench.test'),
  });
  const metadata = parseIdpMetadata(idp.metadata());
  const sp = new SamlServiceProvider(
    validateSamlConnectionConfig(
      {
        connectionId: CONNECTION_ID,
        orgId: 'org_bench',
        spEntityId: `${SAML_ISSUER}/sso/saml/${CONNECTION_ID}`,
        acsUrl: `${SAML_ISSUER}/sso/saml/${CONNECTION_ID}/acs`,
        idpEntityId: metadata.entityId,
        idpSsoUrl: metadata.ssoRedirectUrl,
        idpCertificates: metadata.certificates,
      },
      new Date(),
    ),
    { ...stores, clock: () => new Date() },
  );
  const spMetadata = sp.metadata();
  const responses = [];
  for (let i = 0; i < SAML_RESPONSES; i++) {
    const { redirectUrl } = await sp.createLoginRequest();
    responses.push(
      await idp.respondToRedirect(spMetadata, redirectUrl, {
        nameId: `user${i}@bench.test`,
        sessionIndex: `_session-${i}`,
        attributes: { groups: ['engineering'] },
      }),
    );
  }
  return timed(name, responses, (form) => sp.validatePostResponse(form));
};

/** A fresh database for the stored figure, dropped afterwards. */
const withBenchDatabase = async <T>(databaseUrl: string, run: (dataSource: DataSource) => Promise<T>) => {
  const database = `mandate_bench_sso_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  const dataSource = new DataSource({
    type: 'postgres',
    url: url.toString(),
    migrations: [CreateAuthnSamlStores1796169600000],
    migrationsRun: true,
    poolSize: 2,
  });
  try {
    await dataSource.initialize();
    return await run(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
  }
};

const oidcCase = async (): Promise<Row> => {
  const idp = await startOidcTestIdp({
    clients: [
      {
        client_id: 'mandate-bench',
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret: OIDC_SECRET,
        redirect_uris: [OIDC_REDIRECT],
      },
    ],
    users: [{ sub: 'alice', email: 'alice@bench.test', name: 'Alice', groups: ['engineering'] }],
  });
  try {
    const upstream = await OidcUpstream.discover(
      {
        connectionId: CONNECTION_ID,
        orgId: 'org_bench',
        issuer: idp.issuer,
        clientId: 'mandate-bench',
        clientAuth: 'client_secret_basic',
        clientSecret: OIDC_SECRET,
        redirectUri: OIDC_REDIRECT,
        scopes: ['openid', 'email', 'profile', 'groups'],
        clockToleranceSeconds: 30,
        identity: 'iss_sub',
      },
      { allowInsecureLoopback: true, timeoutMs: 5_000 },
    );
    const rows: Row[] = [];
    // Codes live a minute at the IdP: obtain and redeem them a batch at a time.
    for (let done = 0; done < OIDC_CODES; done += OIDC_BATCH) {
      const callbacks: { url: URL; request: OidcLoginRequest }[] = [];
      for (let i = 0; i < Math.min(OIDC_BATCH, OIDC_CODES - done); i++) {
        const browser = new Browser();
        const request = upstream.createLoginRequest({ loginHint: 'alice' });
        const form = await browser.follow(await browser.get(request.redirectUrl));
        const redirect = await browser.follow(await browser.submitForm(form, { login: 'alice' }), (url) =>
          url.href.startsWith(OIDC_REDIRECT),
        );
        if (!redirect.location) throw new Error(`the IdP did not redirect back (${redirect.status})`);
        callbacks.push({ url: redirect.location, request });
      }
      rows.push(
        await timed(`oidc callback (batch ${done / OIDC_BATCH + 1})`, callbacks, ({ url, request }) =>
          upstream.handleCallback(url, request),
        ),
      );
    }
    const count = rows.reduce((sum, row) => sum + row.count, 0);
    const seconds = rows.reduce((sum, row) => sum + row.seconds, 0);
    return {
      case: 'oidc callback (code exchange + ID token)',
      count,
      seconds: round(seconds),
      perSecond: round(count / seconds, 1),
      p50Ms: round(Math.max(...rows.map((row) => row.p50Ms))),
      p99Ms: round(Math.max(...rows.map((row) => row.p99Ms))),
    };
  } finally {
    await idp.stop();
  }
};

/** One login case: each login from the authorization request to the token response. */
interface LoginRow {
  readonly case: string;
  readonly browsers: number;
  readonly count: number;
  readonly seconds: number;
  readonly loginsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const loginRow = (name: string, browsers: number, latencies: number[], seconds: number): LoginRow => {
  const sorted = [...latencies].sort((a, b) => a - b);
  const row: LoginRow = {
    case: name,
    browsers,
    count: sorted.length,
    seconds: round(seconds),
    loginsPerSecond: round(sorted.length / seconds, 1),
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
  console.log(
    `${row.case.padEnd(42)} ${String(row.count).padStart(6)} in ${String(row.seconds).padStart(6)} s  ` +
      `${String(row.loginsPerSecond).padStart(8)}/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  max ${row.maxMs} ms`,
  );
  return row;
};

/** What the application gets at the end of a login: the tokens, checked after the clock stops. */
interface TokenResponse {
  readonly id_token: string;
  readonly access_token: string;
}

/** A login of person `user` in a fresh browser, resolving to the token response. */
type Login = (user: number) => Promise<TokenResponse>;

/** Runs `logins` (person indices) with `browsers` logins in flight, until done or the time cap. */
const timedLogins = async (
  logins: readonly number[],
  browsers: number,
  login: Login,
  check: (user: number, tokens: TokenResponse) => Promise<void>,
) => {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let next = 0;
  const browse = async () => {
    while (next < logins.length && performance.now() < deadline) {
      const user = logins[next++]!;
      const at = performance.now();
      const tokens = await login(user);
      latencies.push(performance.now() - at);
      await check(user, tokens);
    }
  };
  await Promise.all(Array.from({ length: browsers }, browse));
  return { latencies, seconds: (performance.now() - started) / 1000 };
};

const eventually = async <T>(
  probe: () => Promise<T | null>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
};

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** The auto-submitting page a SAML IdP answers with (HTTP-POST binding), as a browser would post it. */
const postBindingPage = (acsUrl: string, fields: Record<string, string>): Page => ({
  url: new URL(acsUrl),
  status: 200,
  headers: new Headers(),
  location: null,
  body: `<form method="post" action="${escapeAttribute(acsUrl)}">${Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeAttribute(value)}">`)
    .join('')}</form>`,
});

/** Why a page is not the redirect expected: its status and the start of its text. */
const describePage = (page: Page) =>
  `${page.status} at ${page.url.href}: ${page.body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .slice(0, 200)}`;

/**
 * A standalone Mandate in this process on a fresh data dir, with domain verification answered from
 * `txtRecords` instead of DNS; closed and removed after `run`.
 */
const withStandalone = async <T>(
  txtRecords: ReadonlyMap<string, string[]>,
  run: (mandate: { issuer: string; adminKey: string; dataSource: DataSource }) => Promise<T>,
): Promise<T> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-sso-bench-'));
  const adminKey = `mandate_admin_bench_${randomBytes(24).toString('base64url')}`;
  const contexts = allContexts.map((registration) =>
    registration === directoryContext
      ? {
          ...directoryContext,
          module: (
            eventStore: Parameters<typeof directoryContext.module>[0],
            runtime: { secretKey: Buffer },
          ) =>
            DirectoryModule.forRoot({
              eventStore,
              secretKey: runtime.secretKey,
              domainResolver: { txtRecords: (name) => Promise.resolve(txtRecords.get(name) ?? []) },
            }),
        }
      : registration,
  );
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  const booting = performance.now();
  const started = await runStandalone(contexts, {
    PORT: '0',
    HOST: '127.0.0.1',
    MANDATE_DATA_DIR: dataDir,
    MANDATE_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
  }).finally(() => (process.stdout.write = write));
  console.log(`standalone booted in ${((performance.now() - booting) / 1000).toFixed(1)} s (${dataDir})`);
  try {
    return await run({ issuer: started.url, adminKey, dataSource: started.app.get(DataSource) });
  } finally {
    await started.app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

/**
 * (c) Full logins through Mandate's authorization endpoint, SAML and OIDC, sequential and with
 * LOGIN_CONCURRENCY browsers at once.
 */
const endToEndLogins = async () => {
  const txtRecords = new Map<string, string[]>();
  return withStandalone(txtRecords, async ({ issuer, adminKey, dataSource }) => {
    const api = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
      const response = await fetch(`${issuer}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };
    const expectStatus = async (path: string, status: number, body?: unknown) => {
      const answer = await api(path, body);
      if (answer.status !== status)
        throw new Error(`${path} answered ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    };

    const orgId = (await expectStatus('/api/v1/organizations', 201, { name: 'Bench' }))['id'] as string;
    const orgPath = `/api/v1/organizations/${orgId}`;
    for (const domain of [SAML_DOMAIN, OIDC_DOMAIN]) {
      const added = await expectStatus(`${orgPath}/domains`, 201, { domain });
      const record = added['verification'] as { name: string; value: string };
      txtRecords.set(record.name, [record.value]);
      await expectStatus(`${orgPath}/domains/${domain}/verify`, 200, {});
    }
    const client = await expectStatus(`${orgPath}/clients`, 201, {
      name: 'Bench app',
      redirectUris: [APP_REDIRECT],
      grantTypes: ['authorization_code'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['invoices:read'],
      audiences: [APP_API],
    });
    const clientId = client['clientId'] as string;
    const clientAuthorization = `Basic ${Buffer.from(
      `${encodeURIComponent(clientId)}:${encodeURIComponent(client['clientSecret'] as string)}`,
    ).toString('base64')}`;

    // The organization's replica reaches authn shortly after its creation: retry while it is unknown.
    const createConnection = (body: Record<string, unknown>) =>
      eventually(async () => {
        const answer = await api(`${orgPath}/connections`, body);
        if (answer.status === 404) return null;
        if (answer.status !== 201)
          throw new Error(`connection refused (${answer.status}): ${JSON.stringify(answer.body)}`);
        return answer.body['id'] as string;
      }, 'the organization to reach authn');
    const testAndEnable = async (connectionId: string) => {
      const tested = await expectStatus(`${orgPath}/connections/${connectionId}/test`, 200, {});
      if ((tested['lastTest'] as { ok?: boolean } | undefined)?.ok !== true)
        throw new Error(`the connection test failed: ${JSON.stringify(tested['lastTest'])}`);
      await eventually(
        async () =>
          (await api(`${orgPath}/connections/${connectionId}/enable`, {})).status === 200 ? true : null,
        'the connection to be enabled',
      );
    };

    const samlIdp = new TestIdentityProvider({
      entityId: `${SAML_IDP_ORIGIN}/saml`,
      ssoUrl: `${SAML_IDP_ORIGIN}/sso`,
      signing: generateTestKeyPair('idp.saml.bench.test'),
      requireSignedRequests: true,
    });
    const jit = { enabled: true, defaultRoles: [] };
    const samlConnection = await createConnection({
      kind: 'saml',
      name: 'Bench SAML IdP',
      saml: { metadataXml: samlIdp.metadata() },
      jit,
      domains: [SAML_DOMAIN],
    });
    // The OIDC IdP learns Mandate's callback, which names the connection: its port is chosen first.
    const oidcPort = await freePort();
    const oidcClientSecret = randomBytes(24).toString('base64url');
    const oidcConnection = await createConnection({
      kind: 'oidc',
      name: 'Bench OIDC IdP',
      oidc: {
        issuer: `http://127.0.0.1:${oidcPort}`,
        clientId: 'mandate-bench-login',
        clientAuth: 'client_secret_basic',
        clientSecret: oidcClientSecret,
        scopes: ['openid', 'email', 'profile'],
      },
      jit,
      domains: [OIDC_DOMAIN],
    });
    const oidcIdp = await startOidcTestIdp({
      port: oidcPort,
      clients: [
        {
          client_id: 'mandate-bench-login',
          client_secret: oidcClientSecret,
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: [`${issuer}/sso/oidc/${oidcConnection}/callback`],
        },
      ],
      users: Array.from({ length: LOGIN_USERS }, (_, i) => ({
        sub: `person${i}`,
        email: `person${i}@${OIDC_DOMAIN}`,
        name: `Person ${i}`,
      })),
    });
    try {
      await testAndEnable(samlConnection);
      await testAndEnable(oidcConnection);
      const acsUrl = `${issuer}/sso/saml/${samlConnection}/acs`;
      const spMetadata = await (await fetch(`${issuer}/sso/saml/${samlConnection}/metadata`)).text();
      const mandateOrigin = new URL(issuer).origin;
      const isApp = (url: URL) => url.href.startsWith(APP_REDIRECT);

      /** The application's authorization request, followed until the browser leaves Mandate. */
      const authorize = async (browser: Browser, loginHint: string) => {
        const verifier = randomBytes(32).toString('base64url');
        const query = new URLSearchParams({
          client_id: clientId,
          response_type: 'code',
          redirect_uri: APP_REDIRECT,
          scope: 'openid email profile invoices:read',
          resource: APP_API,
          state: randomBytes(8).toString('hex'),
          code_challenge: s256(verifier),
          code_challenge_method: 'S256',
          login_hint: loginHint,
        });
        const page = await browser.follow(
          await browser.get(`${issuer}/oauth/authorize?${query.toString()}`),
          (url) => url.origin !== mandateOrigin,
        );
        if (page.location === null)
          throw new Error(`discovery did not send the browser to an IdP (${describePage(page)})`);
        return { page, verifier };
      };

      /** The application redeems its code. */
      const redeem = async (end: Page, verifier: string): Promise<TokenResponse> => {
        const code = end.location && isApp(end.location) ? end.location.searchParams.get('code') : null;
        if (!code)
          throw new Error(`the login did not return a code to the application (${describePage(end)})`);
        const response = await fetch(`${issuer}/oauth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: clientAuthorization,
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: APP_REDIRECT,
            code_verifier: verifier,
          }).toString(),
        });
        const tokens = (await response.json()) as Partial<TokenResponse> & { error?: string };
        if (response.status !== 200 || !tokens.id_token || !tokens.access_token)
          throw new Error(`the token request failed (${response.status}): ${tokens.error ?? 'no tokens'}`);
        return tokens as TokenResponse;
      };

      const samlLogin: Login = async (user) => {
        const browser = new Browser();
        const nameId = `person${user}@${SAML_DOMAIN}`;
        const { page, verifier } = await authorize(browser, nameId);
        if (page.location!.origin !== SAML_IDP_ORIGIN)
          throw new Error(`not sent to the SAML IdP: ${page.location!.href}`);
        const answer = await samlIdp.respondToRedirect(spMetadata, page.location!.href, {
          nameId,
          nameIdFormat: EMAIL_FORMAT,
        });
        // The IdP's POST to the ACS is cross-site: it carries none of the browser's cookies.
        const posted = await new Browser().submitForm(
          postBindingPage(acsUrl, { SAMLResponse: answer.SAMLResponse }),
        );
        if (posted.location === null)
          throw new Error(`the ACS refused the response (${describePage(posted)})`);
        const end = await browser.follow(await browser.get(posted.location), isApp);
        return redeem(end, verifier);
      };

      const oidcLogin: Login = async (user) => {
        const browser = new Browser();
        const { page, verifier } = await authorize(browser, `person${user}@${OIDC_DOMAIN}`);
        const atIdp = await browser.follow(page);
        if (atIdp.url.origin !== oidcIdp.issuer)
          throw new Error(`not at the OIDC IdP's login page (${describePage(atIdp)})`);
        const end = await browser.follow(await browser.submitForm(atIdp, { login: `person${user}` }), isApp);
        return redeem(end, verifier);
      };

      const keys = createRemoteJWKSet(new URL(`${issuer}/oauth/jwks`));
      const protocols: { name: 'saml' | 'oidc'; login: Login; connectionId: string }[] = [
        { name: 'saml', login: samlLogin, connectionId: samlConnection },
        { name: 'oidc', login: oidcLogin, connectionId: oidcConnection },
      ];
      const rows: LoginRow[] = [];
      const usersCreated: Record<string, number> = {};
      for (const { name, login, connectionId } of protocols) {
        // Each person's first login creates them; every later one must reach the same account.
        const accounts = new Map<number, string>();
        const check = async (user: number, tokens: TokenResponse) => {
          const { payload } = await jwtVerify(tokens.id_token, keys, { issuer, audience: clientId });
          if (payload['org_id'] !== orgId || !payload.sub?.startsWith('usr_'))
            throw new Error(`unexpected ID token: ${JSON.stringify(payload)}`);
          const known = accounts.get(user);
          if (known === undefined) accounts.set(user, payload.sub);
          else if (known !== payload.sub)
            throw new Error(`person ${user} signed in as ${payload.sub}, not ${known}`);
        };
        const people = Array.from({ length: LOGIN_USERS }, (_, i) => i);
        const returning = Array.from({ length: LOGINS - LOGIN_USERS }, (_, i) => i % LOGIN_USERS);
        const first = await timedLogins(people, 1, login, check);
        rows.push(loginRow(`${name} login, first (JIT)`, 1, first.latencies, first.seconds));
        const again = await timedLogins(returning, 1, login, check);
        rows.push(loginRow(`${name} login, existing user`, 1, again.latencies, again.seconds));
        rows.push(
          loginRow(
            `${name} login, all sequential`,
            1,
            [...first.latencies, ...again.latencies],
            first.seconds + again.seconds,
          ),
        );
        const concurrent = await timedLogins(
          Array.from({ length: LOGINS }, (_, i) => i % LOGIN_USERS),
          LOGIN_CONCURRENCY,
          login,
          check,
        );
        rows.push(
          loginRow(
            `${name} login, existing, ${LOGIN_CONCURRENCY} browsers`,
            LOGIN_CONCURRENCY,
            concurrent.latencies,
            concurrent.seconds,
          ),
        );
        const [linked] = await dataSource.query<{ identities: string }[]>(
          'select count(*) as identities from authn.sso_identities where connection_id = $1',
          [connectionId],
        );
        usersCreated[name] = Number(linked?.identities);
        if (usersCreated[name] !== accounts.size)
          throw new Error(
            `${name}: ${accounts.size} people signed in, ${usersCreated[name]} identities linked`,
          );
      }
      return { rows, usersCreated };
    } finally {
      await oidcIdp.stop();
    }
  });
};

const main = async () => {
  const loadAtStart = loadavg();
  console.log(
    `SSO bench: ${SAML_RESPONSES} SAML responses, ${OIDC_CODES} OIDC codes, ` +
      `${LOGINS} logins per protocol (${LOGIN_USERS} people), cap ${SECONDS} s per case`,
  );
  const rows: Row[] = [];
  rows.push(
    await samlCase('saml validate (in-memory stores)', {
      requests: new InMemorySamlRequestStore(),
      replay: new InMemoryAssertionReplayCache(),
    }),
  );
  const databaseUrl = process.env['DATABASE_URL'];
  if (databaseUrl)
    rows.push(
      await withBenchDatabase(databaseUrl, (dataSource) =>
        samlCase('saml validate (PostgreSQL stores)', {
          requests: new PostgresSamlRequestStore(dataSource),
          replay: new PostgresAssertionReplayCache(dataSource),
        }),
      ),
    );
  else console.log('saml validate (PostgreSQL stores): skipped, DATABASE_URL is not set');
  const oidc = await oidcCase();
  console.log(
    `${oidc.case.padEnd(42)} ${String(oidc.count).padStart(6)} in ${String(oidc.seconds).padStart(6)} s  ` +
      `${String(oidc.perSecond).padStart(8)}/s  p50 ≤ ${oidc.p50Ms} ms  p99 ≤ ${oidc.p99Ms} ms`,
  );
  rows.push(oidc);
  const endToEnd = await endToEndLogins();
  const file = await writeResults('sso', loadAtStart, {
    settings: { samlResponses: SAML_RESPONSES, oidcCodes: OIDC_CODES, secondsCap: SECONDS },
    results: rows,
    endToEndLogin: {
      settings: {
        loginsPerProtocol: LOGINS,
        people: LOGIN_USERS,
        concurrentBrowsers: LOGIN_CONCURRENCY,
        jit: 'on: each person\'s first login creates them (the "first (JIT)" rows); the rest sign in existing users',
        mfa: 'off',
      },
      results: endToEnd.rows,
      ssoIdentitiesLinked: endToEnd.usersCreated,
    },
    notes: [
      '(a) and (b) are sequential: one validation or callback at a time.',
      `load average at the end: ${loadAverage()}`,
      'SAML responses are RSA-SHA256 signed assertions from samlify; validation includes the signature, ' +
        'Destination / Recipient / Audience / time checks, the request-id consumption and the replay cache.',
      'OIDC callbacks include the token request to the IdP process over loopback HTTP and the ID-token checks.',
      'End-to-end logins run in a standalone Mandate in the bench process (embedded PGlite); each is timed from ' +
        "the application's authorization request to the token response, in a fresh browser (no session), " +
        "and includes the IdP's work: samlify verifying the signed AuthnRequest and signing the response in " +
        'this process, oidc-provider in its own. The ID token is verified after the clock stops.',
      'A first (JIT) login waits for the directory to create the user and authn to learn it.',
    ],
  });
  console.log(`wrote ${file}`);
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
