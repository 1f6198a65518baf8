import { generateSelfSignedCertificate } from '@mandate/authn-infrastructure';
import { directoryContext, DirectoryModule } from '@mandate/directory-infrastructure';
import { runStandalone } from '@mandate/runtime';
import { type OidcTestIdp, startOidcTestIdp } from '@mandate/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
interface FieldError {
  pointer: string;
  code: string;
}

const eventually = async <T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await sleep(25);
  }
};

/** DNS for domain verification, as a table the test fills. */
const txt = new Map<string, string[]>();

const metadataXml = (certificateBody: string) => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="http://www.okta.com/exk1acme">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>${certificateBody}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
      Location="https://acme.okta.example/app/exk1acme/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;

/**
 * SSO connections over HTTP in one standalone Mandate: creation from IdP metadata or from explicit
 * fields, malformed settings refused with the field at fault, secrets never shown, organizations
 * isolated from each other, enabling only after a passed test, and home-realm discovery by domain.
 * OIDC connections are tested against an oidc-provider IdP in its own process, SAML connections
 * by the SP's own checks (settings, certificates, a signed AuthnRequest).
 */
describe('SSO connections in standalone Mandate', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  let adminKey: string;
  let acme: string;
  let globex: string;
  let idpCertificate: string;
  let idp: OidcTestIdp;
  const clientSecret = 'the-client-secret-of-acme-entra';

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${started.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, text, body: (text ? JSON.parse(text) : null) as Body };
  };
  const connections = (orgId: string) => `/api/v1/organizations/${orgId}/connections`;
  const errorsOf = (body: Body) =>
    (body['errors'] as FieldError[]).map(({ pointer, code }) => [pointer, code]);
  const samlFields = (overrides: Body = {}) => ({
    kind: 'saml',
    name: 'Okta',
    saml: {
      idpEntityId: 'http://www.okta.com/exk1acme',
      idpSsoUrl: 'https://acme.okta.example/app/exk1acme/sso/saml',
      idpCertificates: [idpCertificate],
      ...overrides,
    },
  });
  const verifyDomain = async (orgId: string, domain: string) => {
    const added = await call(`/api/v1/organizations/${orgId}/domains`, { body: { domain } });
    expect(added.status).toBe(201);
    const record = added.body['verification'] as { name: string; value: string };
    txt.set(record.name, [record.value]);
    expect((await call(`/api/v1/organizations/${orgId}/domains/${domain}/verify`, { body: {} })).status).toBe(
      200,
    );
  };
  const discover = async (question: Body) => {
    const answer = await call('/api/v1/sso/discovery', { body: question });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-sso-'));
    idp = await startOidcTestIdp({
      clients: [
        {
          client_id: 'mandate-acme',
          client_secret: clientSecret,
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: ['http://127.0.0.1/unused'],
        },
      ],
      users: [{ sub: 'ada', email: 'ada@acme.example' }],
    });
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
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
                domainResolver: { txtRecords: (name) => Promise.resolve(txt.get(name) ?? []) },
              }),
          }
        : registration,
    );
    started = await runStandalone(contexts, { PORT: '0', MANDATE_DATA_DIR: dataDir, LOG_LEVEL: 'error' });
    adminKey = started.generatedAdminKey!;
    acme = (await call('/api/v1/organizations', { body: { name: 'Acme' } })).body['id'] as string;
    globex = (await call('/api/v1/organizations', { body: { name: 'Globex' } })).body['id'] as string;
    idpCertificate = (await generateSelfSignedCertificate('idp.acme.example', new Date())).certificatePem;
    // Authn learns organizations from the directory's events.
    await eventually(async () => (await call(connections(globex))).status === 200 && true);
  });
  afterAll(async () => {
    await started.app.close();
    await idp.stop();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  const createdIds: Record<string, string> = {};

  it('creates a SAML connection from IdP metadata, with its SP endpoints and signing certificate', async () => {
    const body = idpCertificate.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const created = await eventually(async () => {
      const answer = await call(connections(acme), {
        body: {
          kind: 'saml',
          name: 'Okta',
          saml: { metadataXml: metadataXml(body) },
          domains: ['acme.example'],
        },
      });
      return answer.status === 404 ? null : answer;
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    createdIds['metadata'] = id;
    expect(id).toMatch(/^con_[0-9a-z]{26}$/);
    expect(created.body).toMatchObject({
      kind: 'saml',
      status: 'disabled',
      settingsVersion: 1,
      domains: ['acme.example'],
      saml: {
        idpSource: 'metadata_xml',
        idpEntityId: 'http://www.okta.com/exk1acme',
        idpSsoUrl: 'https://acme.okta.example/app/exk1acme/sso/saml',
        wantAssertionsSigned: true,
        allowIdpInitiated: false,
        clockSkewSeconds: 60,
        signAuthnRequests: true,
        idpCertificates: [{ subject: 'CN=idp.acme.example' }],
      },
      serviceProvider: {
        kind: 'saml',
        entityId: `${started.url}/sso/saml/${id}`,
        acsUrl: `${started.url}/sso/saml/${id}/acs`,
        metadataUrl: `${started.url}/sso/saml/${id}/metadata`,
      },
      lastTest: null,
    });
    expect((created.body['saml'] as Body)['spSigningCertificate']).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(created.text).not.toMatch(/PRIVATE KEY|sealed|v1\./);
  });

  it('creates a SAML connection from explicit fields', async () => {
    const created = await call(connections(acme), {
      body: { ...samlFields({ signAuthnRequests: false }), name: 'Okta (fields)' },
    });
    expect(created.status).toBe(201);
    createdIds['fields'] = created.body['id'] as string;
    expect(created.body['saml']).toMatchObject({ idpSource: 'fields', spSigningCertificate: null });
  });

  it('refuses malformed settings, naming the field at fault', async () => {
    const cases: [Body, string[][]][] = [
      [
        samlFields({ idpCertificates: ['not a certificate'] }),
        [['#/saml/idpCertificates/0', 'AUTHN_SAML_CERTIFICATE_INVALID']],
      ],
      [
        samlFields({ clockSkewSeconds: 600 }),
        [['#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE']],
      ],
      [
        samlFields({ idpSsoUrl: 'http://idp.example.com/sso' }),
        [['#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS']],
      ],
      [
        samlFields({ wantAssertionsSigned: false }),
        [['#/saml/wantAssertionsSigned', 'AUTHN_SAML_UNSIGNED_ASSERTIONS_NOT_ACKNOWLEDGED']],
      ],
      [samlFields({ metadataXml: '<x/>' }), [['#/saml', 'AUTHN_SAML_IDP_AMBIGUOUS']]],
      [
        { kind: 'saml', name: 'x', saml: { metadataXml: '<!DOCTYPE x><x/>' } },
        [['#/saml/metadataXml', 'AUTHN_SAML_METADATA_INVALID']],
      ],
      [
        { kind: 'saml', name: 'x', saml: { metadataUrl: 'http://idp.example.com/metadata' } },
        [['#/saml/metadataUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS']],
      ],
      [
        {
          kind: 'oidc',
          name: 'x',
          oidc: { issuer: 'https://login.example.com', clientId: 'c', clientAuth: 'client_secret_basic' },
        },
        [['#/oidc/clientSecret', 'AUTHN_OIDC_CLIENT_SECRET_REQUIRED']],
      ],
      [{ ...samlFields(), domains: ['not a domain'] }, [['#/domains/0', 'AUTHN_CONNECTION_DOMAIN_INVALID']]],
    ];
    for (const [body, expected] of cases) {
      const refused = await call(connections(acme), { body });
      expect([refused.status, refused.body['code']]).toEqual([400, 'AUTHN_CONNECTION_SETTINGS_INVALID']);
      expect(errorsOf(refused.body)).toEqual(expected);
    }
    const unknownField = await call(connections(acme), { body: { ...samlFields(), idpEntityID: 'typo' } });
    expect([unknownField.status, unknownField.body['code']]).toEqual([400, 'PLATFORM_VALIDATION_FAILED']);
    expect(errorsOf(unknownField.body)).toEqual([['#/idpEntityID', 'unrecognized_keys']]);
    expect((await call(connections(acme))).body['data']).toHaveLength(2);
  });

  it('keeps OIDC client secrets sealed: accepted, never returned, yet usable to test the connection', async () => {
    const created = await call(connections(acme), {
      body: {
        kind: 'oidc',
        name: 'Entra ID',
        oidc: {
          issuer: idp.issuer,
          clientId: 'mandate-acme',
          clientAuth: 'client_secret_post',
          clientSecret,
          identity: 'entra_tid_oid',
        },
        attributeMapping: { preset: 'oidc' },
        domains: ['acme.example'],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    createdIds['oidc'] = id;
    expect(created.body).toMatchObject({
      oidc: {
        issuer: idp.issuer,
        clientAuth: 'client_secret_post',
        hasClientSecret: true,
        identity: 'entra_tid_oid',
      },
      attributeMapping: { email: 'email', givenName: 'given_name', displayName: 'name' },
      serviceProvider: { kind: 'oidc', redirectUri: `${started.url}/sso/oidc/${id}/callback` },
    });
    for (const answer of [created, await call(`${connections(acme)}/${id}`), await call(connections(acme))])
      expect(answer.text).not.toContain(clientSecret);

    const renamed = await call(`${connections(acme)}/${id}`, { method: 'PATCH', body: { name: 'Entra' } });
    expect(renamed.body).toMatchObject({
      name: 'Entra',
      settingsVersion: 1,
      oidc: { hasClientSecret: true },
    });

    // The relying party's own test runs discovery against the IdP with the opened secret.
    const tested = await call(`${connections(acme)}/${id}/test`, { body: {} });
    expect(tested.status).toBe(200);
    expect(tested.body['lastTest']).toMatchObject({
      ok: true,
      settingsVersion: 1,
      current: true,
      reason: null,
    });
  });

  it("answers 404 for another organization's connection, whatever the operation", async () => {
    const id = createdIds['metadata']!;
    const elsewhere = `${connections(globex)}/${id}`;
    for (const [path, method] of [
      [elsewhere, 'GET'],
      [elsewhere, 'PATCH'],
      [elsewhere, 'DELETE'],
      [`${elsewhere}/test`, 'POST'],
      [`${elsewhere}/enable`, 'POST'],
      [`${elsewhere}/disable`, 'POST'],
    ] as const) {
      const answer = await call(path, {
        method,
        ...(method !== 'GET' && method !== 'DELETE' && { body: {} }),
      });
      expect([path, method, answer.status, answer.body['code']]).toEqual([
        path,
        method,
        404,
        'AUTHN_CONNECTION_NOT_FOUND',
      ]);
    }
    expect((await call(connections(globex))).body['data']).toEqual([]);
  });

  it('refuses to enable before a test; the SAML test checks the settings and builds a signed AuthnRequest', async () => {
    const id = createdIds['metadata']!;
    const enable = await call(`${connections(acme)}/${id}/enable`, { body: {} });
    expect([enable.status, enable.body['code']]).toEqual([412, 'AUTHN_CONNECTION_NOT_TESTED']);
    const test = await call(`${connections(acme)}/${id}/test`, { body: {} });
    expect(test.status).toBe(200);
    expect(test.body['lastTest']).toMatchObject({ ok: true, settingsVersion: 1, current: true });
    expect((test.body['lastTest'] as Body)['message']).toMatch(/signed AuthnRequest built/);
    const metadata = await fetch(`${started.url}/sso/saml/${id}/metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toContain(`entityID="${started.url}/sso/saml/${id}"`);
  });

  it('enables only after the current settings passed a test and its domains are verified', async () => {
    const unreachable = await call(connections(acme), {
      body: {
        kind: 'oidc',
        name: 'Nowhere',
        oidc: { issuer: 'http://127.0.0.1:9/nowhere', clientId: 'c', clientSecret: 'a-secret-nobody-uses' },
      },
    });
    const nowhere = `${connections(acme)}/${unreachable.body['id'] as string}`;
    const failed = await call(`${nowhere}/test`, { body: {} });
    expect(failed.body['lastTest']).toMatchObject({ ok: false, current: true });
    expect((failed.body['lastTest'] as Body)['reason']).toMatch(/^oidc_/);
    expect((await call(`${nowhere}/enable`, { body: {} })).body['code']).toBe('AUTHN_CONNECTION_TEST_FAILED');

    const path = `${connections(acme)}/${createdIds['oidc']!}`;
    const unverified = await call(`${path}/enable`, { body: {} });
    expect([unverified.status, unverified.body['code']]).toEqual([
      412,
      'AUTHN_CONNECTION_DOMAIN_NOT_VERIFIED',
    ]);
    expect(errorsOf(unverified.body)).toEqual([['#/domains/0', 'AUTHN_CONNECTION_DOMAIN_NOT_VERIFIED']]);

    await verifyDomain(acme, 'acme.example');
    const enabled = await eventually(async () => {
      const answer = await call(`${path}/enable`, { body: {} });
      return answer.status === 200 ? answer : null;
    });
    expect(enabled.body).toMatchObject({ status: 'enabled', settingsVersion: 1 });
  });

  it('changing the IdP settings of an enabled connection disables it until they pass a test', async () => {
    const path = `${connections(acme)}/${createdIds['oidc']!}`;
    const changed = await call(path, { method: 'PATCH', body: { oidc: { scopes: ['openid', 'email'] } } });
    expect(changed.body).toMatchObject({
      status: 'disabled',
      settingsVersion: 2,
      oidc: { scopes: ['openid', 'email'], hasClientSecret: true },
      lastTest: { ok: true, settingsVersion: 1, current: false },
    });
    expect((await call(`${path}/enable`, { body: {} })).body['code']).toBe('AUTHN_CONNECTION_NOT_TESTED');
    expect((await call(`${path}/test`, { body: {} })).body['lastTest']).toMatchObject({
      ok: true,
      settingsVersion: 2,
    });
    expect((await call(`${path}/enable`, { body: {} })).body['status']).toBe('enabled');
  });

  it('discovers the connection by verified email domain, and lets other users sign in another way', async () => {
    const entra = createdIds['oidc']!;
    expect(await discover({ email: 'Ada@ACME.example' })).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: entra,
    });
    // A second verified domain: served while the connection lists it, then by no connection, so its
    // users sign in another way (organizations with SSO and non-SSO users).
    await verifyDomain(acme, 'partners.acme.example');
    const path = `${connections(acme)}/${entra}`;
    const both = { method: 'PATCH', body: { domains: ['acme.example', 'partners.acme.example'] } };
    await eventually(async () => (await call(path, both)).status === 200);
    expect(await discover({ email: 'pat@partners.acme.example' })).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: entra,
    });
    const narrowed = await call(path, { method: 'PATCH', body: { domains: ['acme.example'] } });
    expect(narrowed.body).toMatchObject({ status: 'enabled', domains: ['acme.example'] });
    expect(await discover({ email: 'pat@partners.acme.example' })).toEqual({ kind: 'none' });
    expect(await discover({ email: 'eve@unknown.example' })).toEqual({ kind: 'none' });
    expect(await discover({ email: 'ada@acme.example', organizationHint: globex })).toEqual({ kind: 'none' });
    expect(await discover({ organizationHint: acme })).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: entra,
    });
    expect(await discover({ connectionHint: entra, organizationHint: acme })).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: entra,
    });
    expect(await discover({ connectionHint: createdIds['metadata']! })).toEqual({ kind: 'none' });

    // Disabled or deleted connections are never discovered.
    expect((await call(`${connections(acme)}/${entra}/disable`, { body: {} })).body['status']).toBe(
      'disabled',
    );
    expect(await discover({ email: 'ada@acme.example' })).toEqual({ kind: 'none' });
    expect((await call(`${connections(acme)}/${entra}`, { method: 'DELETE' })).status).toBe(204);
    expect(await discover({ organizationHint: acme })).toEqual({ kind: 'none' });
    expect((await call(`${connections(acme)}/${entra}`)).status).toBe(404);
  });
});
