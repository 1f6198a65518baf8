import { generateKeyPairSync } from 'node:crypto';
import { generateTestKeyPair, TestIdentityProvider, type TestKeyPair } from '@mandate/testing';
import { validateSamlConnectionConfig } from './saml-connection-config';
import { SamlConfigError } from './saml-errors';
import { parseIdpMetadata } from './saml-idp-metadata';
import { isRelayStateAllowed } from './saml-relay-state';

const fieldAtFault = (input: Record<string, unknown>, now?: Date): string | null => {
  try {
    validateSamlConnectionConfig(input, now);
    return null;
  } catch (error) {
    if (error instanceof SamlConfigError) return error.field;
    throw error;
  }
};

describe('SAML connection configuration', () => {
  let idp: TestKeyPair;
  let sp: TestKeyPair;
  let minimal: Record<string, unknown>;

  beforeAll(() => {
    idp = generateTestKeyPair('idp.acme.test');
    sp = generateTestKeyPair('mandate.test');
    minimal = {
      connectionId: 'conn_acme',
      orgId: 'org_acme',
      spEntityId: 'https://mandate.test/sso/saml/conn_acme',
      acsUrl: 'https://mandate.test/sso/saml/conn_acme/acs',
      idpEntityId: 'https://idp.acme.test/saml',
      idpSsoUrl: 'https://idp.acme.test/sso',
      idpCertificates: [idp.certificate],
    };
  });

  it('fills in secure defaults', () => {
    const config = validateSamlConnectionConfig(minimal);
    expect(config).toMatchObject({
      wantAssertionsSigned: true,
      wantResponseSigned: false,
      signAuthnRequests: false,
      allowIdpInitiated: false,
      relayStateAllowList: [],
      clockSkewMs: 60_000,
    });
    expect(config.maxAssertionAgeMs).toBeUndefined();
    expect(config.idpCertificates[0]).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  it('accepts a certificate given as the bare base64 of metadata', () => {
    const bare = idp.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    expect(
      validateSamlConnectionConfig({ ...minimal, idpCertificates: [bare] }).idpCertificates,
    ).toHaveLength(1);
  });

  it.each([
    ['connectionId', { connectionId: '' }],
    ['connectionId', { connectionId: 'conn/../x' }],
    ['orgId', { orgId: undefined }],
    ['spEntityId', { spEntityId: '  ' }],
    ['acsUrl', { acsUrl: 'http://mandate.test/acs' }],
    ['acsUrl', { acsUrl: 'mandate.test/acs' }],
    ['idpSsoUrl', { idpSsoUrl: 'http://idp.acme.test/sso' }],
    ['idpSsoUrl', { idpSsoUrl: 'https://user:pass@idp.acme.test/sso' }],
    ['idpEntityId', { idpEntityId: 'https://idp.acme.test/\nsaml' }],
    ['idpCertificates', { idpCertificates: [] }],
    [
      'idpCertificates[0]',
      { idpCertificates: ['-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----'] },
    ],
    ['idpCertificates[1]', { idpCertificates: ['x', 'y'].map(() => '') }],
    ['clockSkewMs', { clockSkewMs: -1 }],
    ['clockSkewMs', { clockSkewMs: 180_001 }],
    ['clockSkewMs', { clockSkewMs: 1.5 }],
    ['maxAssertionAgeMs', { maxAssertionAgeMs: 0 }],
    ['wantAssertionsSigned', { wantAssertionsSigned: 'yes' }],
    ['relayStateAllowList[0]', { relayStateAllowList: ['//evil.test'] }],
    ['relayStateAllowList[0]', { relayStateAllowList: ['http://app.acme.test/'] }],
    ['spPrivateKey', { signAuthnRequests: true }],
    ['spPrivateKey', { signAuthnRequests: true, spPrivateKey: 'not a key' }],
    ['decryptionCertificate', { decryptionPrivateKey: 'SP_KEY' }],
  ])('names %s when it is wrong', (field, overrides) => {
    const input: Record<string, unknown> = { ...minimal, ...overrides };
    if (input['decryptionPrivateKey'] === 'SP_KEY') input['decryptionPrivateKey'] = sp.privateKey;
    // The first field of the list that is wrong is named; for idpCertificates[1] the first entry is empty too.
    expect(fieldAtFault(input)).toBe(field === 'idpCertificates[1]' ? 'idpCertificates[0]' : field);
  });

  it('refuses a private key as a certificate', () => {
    expect(fieldAtFault({ ...minimal, idpCertificates: [sp.privateKey] })).toBe('idpCertificates[0]');
  });

  it('refuses an expired certificate', () => {
    const inEleventYears = new Date(Date.now() + 11 * 365 * 86_400_000);
    expect(fieldAtFault(minimal, inEleventYears)).toBe('idpCertificates[0]');
  });

  it('refuses an SP certificate that does not belong to the SP key', () => {
    expect(
      fieldAtFault({
        ...minimal,
        signAuthnRequests: true,
        spPrivateKey: sp.privateKey,
        spCertificate: idp.certificate,
      }),
    ).toBe('spCertificate');
  });

  it('refuses a weak RSA key', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(fieldAtFault({ ...minimal, signAuthnRequests: true, spPrivateKey: pem })).toBe('spPrivateKey');
  });

  it('accepts plain http only on loopback, and only for a development instance', () => {
    const loopback = { ...minimal, acsUrl: 'http://127.0.0.1:4000/sso/saml/conn_acme/acs' };
    expect(fieldAtFault(loopback)).toBe('acsUrl');
    expect(validateSamlConnectionConfig(loopback, new Date(), { allowInsecureLoopback: true }).acsUrl).toBe(
      loopback.acsUrl,
    );
    expect(() =>
      validateSamlConnectionConfig({ ...minimal, acsUrl: 'http://mandate.test/acs' }, new Date(), {
        allowInsecureLoopback: true,
      }),
    ).toThrow(SamlConfigError);
  });

  it('accepts a skew anywhere in [0, 180 s]', () => {
    expect(validateSamlConnectionConfig({ ...minimal, clockSkewMs: 0 }).clockSkewMs).toBe(0);
    expect(validateSamlConnectionConfig({ ...minimal, clockSkewMs: 180_000 }).clockSkewMs).toBe(180_000);
  });

  it('refuses what is not an object', () => {
    expect(() => validateSamlConnectionConfig('conn_acme')).toThrow(SamlConfigError);
  });
});

describe('IdP metadata', () => {
  let keys: TestKeyPair;
  let metadata: string;

  beforeAll(() => {
    keys = generateTestKeyPair('idp.acme.test');
    metadata = new TestIdentityProvider({
      entityId: 'https://idp.acme.test/saml',
      ssoUrl: 'https://idp.acme.test/sso',
      signing: keys,
    }).metadata();
  });

  it("reads samlify's metadata: entity id, SSO endpoints and the signing certificate", () => {
    const parsed = parseIdpMetadata(metadata);
    expect(parsed).toEqual({
      entityId: 'https://idp.acme.test/saml',
      ssoRedirectUrl: 'https://idp.acme.test/sso',
      ssoPostUrl: 'https://idp.acme.test/sso',
      certificates: [expect.stringContaining('-----BEGIN CERTIFICATE-----') as string],
    });
    expect(parsed.certificates[0]!.replace(/\s/g, '')).toBe(keys.certificate.replace(/\s/g, ''));
  });

  it('reads an EntitiesDescriptor holding one entity', () => {
    const wrapped = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${metadata.replace(/^<\?xml[^>]*\?>/, '')}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(wrapped).entityId).toBe('https://idp.acme.test/saml');
  });

  const fieldOf = (xml: string): string | null => {
    try {
      parseIdpMetadata(xml);
      return null;
    } catch (error) {
      if (error instanceof SamlConfigError) return error.field;
      throw error;
    }
  };

  it('refuses a DOCTYPE', () => {
    expect(fieldOf(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${metadata}`)).toBe('metadata');
  });

  it('refuses metadata larger than 1 MiB', () => {
    expect(fieldOf(`${metadata}<!--${'x'.repeat(1024 * 1024)}-->`)).toBe('metadata');
    expect(fieldOf(`${metadata}<!--${'x'.repeat(1024)}-->`)).toBeNull();
  });

  it.each([
    ['metadata', '<html/>'],
    ['metadata', 'not xml'],
    ['metadata.entityID', (xml: string) => xml.replace(/entityID="[^"]*"/, '')],
    ['metadata.IDPSSODescriptor', (xml: string) => xml.replace(/IDPSSODescriptor/g, 'SPSSODescriptor')],
    ['metadata.SingleSignOnService', (xml: string) => xml.replace(/HTTP-Redirect/g, 'HTTP-Artifact')],
    [
      'metadata.KeyDescriptor',
      (xml: string) => xml.replace(/<ds:X509Certificate>[^<]*<\/ds:X509Certificate>/g, ''),
    ],
  ])('names %s when it is missing', (field, edit) => {
    expect(fieldOf(typeof edit === 'string' ? edit : edit(metadata))).toBe(field);
  });
});

describe('RelayState allow-list', () => {
  const allowList = ['/app', 'https://app.acme.test/portal'];

  it.each([
    '/app',
    '/app/',
    '/app/invoices?id=1',
    'https://app.acme.test/portal',
    'https://app.acme.test/portal/x#y',
  ])('allows %s', (target) => expect(isRelayStateAllowed(target, allowList)).toBe(true));

  it.each([
    '/apple',
    '/app/../admin',
    '/app/%2e%2e/admin',
    '//evil.test/app',
    '/\\evil.test',
    'https://evil.test/portal',
    'https://app.acme.test/portals',
    'https://app.acme.test.evil.test/portal',
    'https://user@app.acme.test/portal',
    'http://app.acme.test/portal',
    'javascript:alert(1)',
    '/app\n',
    `/app/${'x'.repeat(3000)}`,
  ])('refuses %s', (target) => expect(isRelayStateAllowed(target, allowList)).toBe(false));

  it('allows nothing with an empty list', () => {
    expect(isRelayStateAllowed('/app', [])).toBe(false);
  });
});
