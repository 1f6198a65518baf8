import { createPublicKey, verify } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { type TestIdentityProvider } from '@mandate/testing';
import { inflateBounded } from './saml-inflate';
import { InMemoryAssertionReplayCache, InMemorySamlRequestStore } from './saml-stores';
import {
  connectionFor,
  generateSamlTestKeys,
  ISSUER,
  type SamlTestKeys,
  serviceProvider,
  testIdp,
} from './testing/saml-test-connection';

const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';

const parse = (xml: string): Document => new DOMParser().parseFromString(xml, 'text/xml');
const first = (document: Document, ns: string, name: string): Element =>
  document.getElementsByTagNameNS(ns, name)[0]!;

describe('SamlServiceProvider against samlify as the IdP', () => {
  let keys: SamlTestKeys;
  let idp: TestIdentityProvider;

  beforeAll(() => {
    keys = generateSamlTestKeys();
    idp = testIdp(keys.idp);
  });

  describe('SP-initiated login', () => {
    it('returns who the IdP vouches for, read from the signed assertion', async () => {
      const sp = serviceProvider(connectionFor(idp));
      const { redirectUrl, requestId } = await sp.createLoginRequest('/app/invoices?tab=open');
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, {
        nameId: 'ada@acme.test',
        sessionIndex: '_session-1',
        attributes: { groups: ['engineering', 'on-call'], displayName: ['Ada Lovelace & co'] },
      });

      const result = await sp.validatePostResponse(form);

      expect(result).toEqual({
        nameId: 'ada@acme.test',
        nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        sessionIndex: '_session-1',
        issuer: 'https://idp.acme.test/saml',
        assertionId: expect.stringMatching(/^_/) as string,
        inResponseTo: requestId,
        notOnOrAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        attributes: { groups: ['engineering', 'on-call'], displayName: ['Ada Lovelace & co'] },
        authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        relayState: '/app/invoices?tab=open',
      });
      expect(Date.parse(result.notOnOrAfter)).toBeGreaterThan(Date.now());
    });

    it('accepts a response with an XML declaration, posted as line-wrapped base64', async () => {
      const sp = serviceProvider(connectionFor(idp));
      const { redirectUrl } = await sp.createLoginRequest();
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${Buffer.from(form.SAMLResponse, 'base64').toString('utf8')}`;
      const wrapped = Buffer.from(xml, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
      await expect(sp.validatePostResponse({ SAMLResponse: wrapped })).resolves.toMatchObject({
        nameId: 'ada@acme.test',
      });
    });

    it('sends an AuthnRequest for this connection over HTTP-Redirect and remembers its id', async () => {
      const requests = new InMemorySamlRequestStore();
      const config = connectionFor(idp);
      const sp = serviceProvider(config, { requests, replay: new InMemoryAssertionReplayCache() });
      const { redirectUrl, requestId } = await sp.createLoginRequest();

      const url = new URL(redirectUrl);
      expect(`${url.origin}${url.pathname}`).toBe('https://idp.acme.test/sso');
      const request = parse(inflateBounded(url.searchParams.get('SAMLRequest')!).toString('utf8'));
      const authnRequest = first(request, PROTOCOL_NS, 'AuthnRequest');
      expect(authnRequest.getAttribute('ID')).toBe(requestId);
      expect(authnRequest.getAttribute('Destination')).toBe('https://idp.acme.test/sso');
      expect(authnRequest.getAttribute('AssertionConsumerServiceURL')).toBe(config.acsUrl);
      expect(first(request, ASSERTION_NS, 'Issuer').textContent).toBe(config.spEntityId);
      expect(url.searchParams.has('Signature')).toBe(false);
      await expect(requests.consume(config.connectionId, requestId)).resolves.toBe(true);
      await expect(requests.consume('conn_other', requestId)).resolves.toBe(false);
    });

    it('signs AuthnRequests when configured, and the IdP verifies them', async () => {
      const strictIdp = testIdp(keys.idp, 'acme', { requireSignedRequests: true });
      const sp = serviceProvider(
        connectionFor(strictIdp, {
          signAuthnRequests: true,
          spPrivateKey: keys.sp.privateKey,
          spCertificate: keys.sp.certificate,
        }),
      );
      const { redirectUrl } = await sp.createLoginRequest('/app');
      const url = new URL(redirectUrl);
      expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
      const signed = url.search.slice(1).split('&Signature=')[0]!;
      const signature = Buffer.from(url.searchParams.get('Signature')!, 'base64');
      expect(verify('RSA-SHA256', Buffer.from(signed), createPublicKey(keys.sp.certificate), signature)).toBe(
        true,
      );

      const form = await strictIdp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({
        nameId: 'ada@acme.test',
        relayState: '/app',
      });

      const tampered = redirectUrl.replace('RelayState=%2Fapp', 'RelayState=%2Fapp%2Fadmin');
      await expect(
        strictIdp.respondToRedirect(sp.metadata(), tampered, { nameId: 'ada@acme.test' }),
      ).rejects.toThrow();
    });

    it('refuses to start a login towards a RelayState outside the allow-list', async () => {
      const sp = serviceProvider(connectionFor(idp));
      await expect(sp.createLoginRequest('https://evil.test/')).rejects.toMatchObject({
        reason: 'saml_relay_state_forbidden',
      });
    });

    it('accepts a response signed with any pinned certificate (key rotation)', async () => {
      const sp = serviceProvider(
        connectionFor(idp, { idpCertificates: [keys.otherIdp.certificate, keys.idp.certificate] }),
      );
      const { redirectUrl } = await sp.createLoginRequest();
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({ nameId: 'ada@acme.test' });
    });

    it('refuses a response signed by a key that is not pinned, even with its certificate in KeyInfo', async () => {
      const sp = serviceProvider(connectionFor(idp, { idpCertificates: [keys.otherIdp.certificate] }));
      const { redirectUrl } = await sp.createLoginRequest();
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
      await expect(sp.validatePostResponse(form)).rejects.toMatchObject({ reason: 'saml_invalid_signature' });
    });

    it('requires a signed Response when the connection says so', async () => {
      const sp = serviceProvider(connectionFor(idp, { wantResponseSigned: true }));
      const { redirectUrl } = await sp.createLoginRequest();
      const unsigned = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
      await expect(sp.validatePostResponse(unsigned)).rejects.toMatchObject({
        reason: 'saml_invalid_signature',
      });
      const { redirectUrl: again } = await sp.createLoginRequest();
      const signed = await idp.respondToRedirect(
        sp.metadata(),
        again,
        { nameId: 'ada@acme.test' },
        { signResponse: true },
      );
      await expect(sp.validatePostResponse(signed)).resolves.toMatchObject({ nameId: 'ada@acme.test' });
    });

    it('accepts a Response signed without a signed assertion only when assertions need not be signed', async () => {
      const lenient = serviceProvider(connectionFor(idp, { wantAssertionsSigned: false }));
      const { redirectUrl } = await lenient.createLoginRequest();
      const form = await idp.respondToRedirect(
        lenient.metadata(),
        redirectUrl,
        { nameId: 'ada@acme.test' },
        { leaveAssertionUnsigned: true },
      );
      await expect(lenient.validatePostResponse(form)).resolves.toMatchObject({ nameId: 'ada@acme.test' });
    });
  });

  describe('encrypted assertions', () => {
    it('decrypts an assertion encrypted to the connection certificate', async () => {
      const encryptingIdp = testIdp(keys.idp, 'acme', { encryptAssertions: true });
      const sp = serviceProvider(
        connectionFor(encryptingIdp, {
          decryptionPrivateKey: keys.sp.privateKey,
          decryptionCertificate: keys.sp.certificate,
        }),
      );
      expect(sp.metadata()).toContain('use="encryption"');
      const { redirectUrl } = await sp.createLoginRequest();
      const form = await encryptingIdp.respondToRedirect(sp.metadata(), redirectUrl, {
        nameId: 'ada@acme.test',
      });
      expect(Buffer.from(form.SAMLResponse, 'base64').toString()).toContain('EncryptedAssertion');

      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({ nameId: 'ada@acme.test' });
      await expect(sp.validatePostResponse(form)).rejects.toMatchObject({
        reason: 'saml_inresponseto_invalid',
      });
    });

    it('refuses an encrypted assertion it has no key for', async () => {
      const encryptingIdp = testIdp(keys.idp, 'acme', { encryptAssertions: true });
      const withKey = serviceProvider(
        connectionFor(encryptingIdp, {
          decryptionPrivateKey: keys.sp.privateKey,
          decryptionCertificate: keys.sp.certificate,
        }),
      );
      const withoutKey = serviceProvider(connectionFor(encryptingIdp));
      const { redirectUrl } = await withoutKey.createLoginRequest();
      const form = await encryptingIdp.respondToRedirect(withKey.metadata(), redirectUrl, {
        nameId: 'ada@acme.test',
      });
      await expect(withoutKey.validatePostResponse(form)).rejects.toMatchObject({
        reason: 'saml_decryption_failed',
      });
    });
  });

  describe('IdP-initiated login', () => {
    it('is accepted when the connection allows it, with an allow-listed RelayState', async () => {
      const sp = serviceProvider(connectionFor(idp, { allowIdpInitiated: true }));
      const form = await idp.issueUnsolicited(
        sp.metadata(),
        { nameId: 'ada@acme.test' },
        { relayState: 'https://app.acme.test/home' },
      );
      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({
        nameId: 'ada@acme.test',
        inResponseTo: null,
        relayState: 'https://app.acme.test/home',
      });
    });
  });

  describe('SP metadata', () => {
    it('describes the connection, escaping what the tenant supplied (SAML-M1)', async () => {
      const hostile = 'urn:acme:"><evil attr="x"/><![CDATA[ ]]> &amp;';
      const config = connectionFor(idp, {
        spEntityId: hostile,
        signAuthnRequests: true,
        spPrivateKey: keys.sp.privateKey,
        spCertificate: keys.sp.certificate,
      });
      const sp = serviceProvider(config);
      const metadata = parse(sp.metadata());
      const descriptor = first(metadata, METADATA_NS, 'EntityDescriptor');
      expect(descriptor.getAttribute('entityID')).toBe(hostile);
      expect(metadata.getElementsByTagName('evil').length).toBe(0);
      const spDescriptor = first(metadata, METADATA_NS, 'SPSSODescriptor');
      expect(spDescriptor.getAttribute('AuthnRequestsSigned')).toBe('true');
      expect(spDescriptor.getAttribute('WantAssertionsSigned')).toBe('true');
      expect(first(metadata, METADATA_NS, 'AssertionConsumerService').getAttribute('Location')).toBe(
        config.acsUrl,
      );

      // The signed AuthnRequest carrying the hostile Issuer still verifies at the IdP.
      const strictIdp = testIdp(keys.idp, 'acme', { requireSignedRequests: true });
      const { redirectUrl } = await sp.createLoginRequest();
      const request = parse(
        inflateBounded(new URL(redirectUrl).searchParams.get('SAMLRequest')!).toString('utf8'),
      );
      expect(first(request, ASSERTION_NS, 'Issuer').textContent).toBe(hostile);
      await expect(
        strictIdp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'ada@acme.test' }),
      ).resolves.toBeDefined();
    });

    it('publishes the connection-specific entity id and ACS', () => {
      const sp = serviceProvider(connectionFor(idp, {}, 'conn_globex'));
      const metadata = parse(sp.metadata());
      expect(first(metadata, METADATA_NS, 'EntityDescriptor').getAttribute('entityID')).toBe(
        `${ISSUER}/sso/saml/conn_globex`,
      );
      expect(first(metadata, METADATA_NS, 'AssertionConsumerService').getAttribute('Location')).toBe(
        `${ISSUER}/sso/saml/conn_globex/acs`,
      );
      expect(sp.metadata()).not.toContain('KeyDescriptor');
    });
  });
});
