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
 * (c) End-to-end login latency through the local IdPs needs the SSO login flow (the ACS and callback
 *     endpoints at Mandate's authorization endpoint); it is reported as not measured until that flow is
 *     in the build, rather than approximated.
 *
 * Bounded: BENCH_SAML_RESPONSES (default 2000), BENCH_OIDC_CODES (default 300; codes live 60 s, so
 * they are obtained in batches of at most BENCH_OIDC_BATCH, default 100), BENCH_SECONDS (a cap on
 * each timed case, default 30). Prints a table and writes bench/results/sso.json.
 */
import { Browser, generateTestKeyPair, startOidcTestIdp, TestIdentityProvider } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadAverage, percentile, round, writeResults } from './bench-kit';
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
// Mandate's own addresses are never called: the SAML ones are named, the OIDC callback is where the IdP's redirect stops.
const SAML_ISSUER = 'https://mandate.bench.test';
const ISSUER = 'http://127.0.0.1:9';
const CONNECTION_ID = 'conn_bench';
const OIDC_REDIRECT = `${ISSUER}/sso/oidc/${CONNECTION_ID}/callback`;
const OIDC_SECRET = randomBytes(24).toString('base64url');

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

const main = async () => {
  const loadAtStart = loadavg();
  console.log(
    `SSO bench: ${SAML_RESPONSES} SAML responses, ${OIDC_CODES} OIDC codes, cap ${SECONDS} s per case`,
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
  const endToEnd = {
    measured: false,
    why:
      'The SSO login flow (SAML ACS and OIDC callback at the authorization endpoint) is not in this build; ' +
      'the application → Mandate → IdP → tokens latency is measured once it is.',
  };
  console.log(`end-to-end login latency: not measured — ${endToEnd.why}`);
  const file = await writeResults('sso', loadAtStart, {
    settings: { samlResponses: SAML_RESPONSES, oidcCodes: OIDC_CODES, secondsCap: SECONDS },
    results: rows,
    endToEndLogin: endToEnd,
    notes: [
      'One core, sequential: each figure is one validation or callback at a time.',
      `load average at the end: ${loadAverage()}`,
      'SAML responses are RSA-SHA256 signed assertions from samlify; validation includes the signature, ' +
        'Destination / Recipient / Audience / time checks, the request-id consumption and the replay cache.',
      'OIDC callbacks include the token request to the IdP process over loopback HTTP and the ID-token checks.',
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
