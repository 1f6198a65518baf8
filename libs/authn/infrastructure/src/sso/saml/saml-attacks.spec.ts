import { deflateRawSync } from 'node:zlib';
import {
  SAML_ATTACK_IDS,
  SamlAttackFixtures,
  type SamlAttackId,
  type SamlAttackVariant,
  type TestIdentityProvider,
} from '@mandate/testing';
import { type SamlConnectionConfig } from './saml-connection-config';
import { type SamlFailureReason, SamlLoginError } from './saml-errors';
import { inflateBounded } from './saml-inflate';
import { SamlServiceProvider } from './saml-service-provider';
import { InMemoryAssertionReplayCache, InMemorySamlRequestStore } from './saml-stores';
import {
  connectionFor,
  generateSamlTestKeys,
  ISSUER,
  type SamlTestKeys,
  serviceProvider,
  testIdp,
} from './testing/saml-test-connection';

/** Why each attack is refused: the first check it fails. */
const EXPECTED: Record<SamlAttackId, SamlFailureReason> = {
  'XSW-1': 'saml_invalid_signature',
  'XSW-2': 'saml_invalid_signature',
  'XSW-3': 'saml_multiple_assertions',
  'XSW-4': 'saml_invalid_signature',
  'XSW-5': 'saml_invalid_signature',
  'XSW-6': 'saml_invalid_signature',
  'XSW-7': 'saml_multiple_assertions',
  'XSW-8': 'saml_invalid_signature',
  'XSW-9': 'saml_multiple_assertions',
  'XSW-10': 'saml_invalid_signature',
  'XSW-11': 'saml_doctype_forbidden',
  'XSW-12': 'saml_invalid_signature',
  'XSW-14': 'saml_malformed',
  'XSW-15-nameid': 'saml_invalid_signature',
  'XSW-15-cr-entity': 'saml_invalid_signature',
  'SIG-1': 'saml_invalid_signature',
  'SIG-2': 'saml_invalid_signature',
  'SIG-3': 'saml_invalid_signature',
  'SIG-4': 'saml_invalid_signature',
  'SIG-5': 'saml_invalid_signature',
  'SIG-6': 'saml_invalid_signature',
  'SIG-7': 'saml_invalid_signature',
  'SIG-8': 'saml_invalid_signature',
  'SIG-9': 'saml_invalid_signature',
  'SIG-10-xpath': 'saml_invalid_signature',
  'SIG-10-xslt': 'saml_invalid_signature',
  'SAML-G1-other-acs': 'saml_destination_mismatch',
  'SAML-G1-absent': 'saml_destination_mismatch',
  'SAML-G2-recipient': 'saml_recipient_mismatch',
  'SAML-P1-audience': 'saml_audience_mismatch',
  'SAML-P2-other-idp': 'saml_issuer_mismatch',
  'SAML-P3-status': 'saml_status_error',
  'SAML-P4-unknown-request': 'saml_inresponseto_invalid',
  'SAML-T1-expired': 'saml_expired',
  'SAML-T2-boundary': 'saml_expired',
  'SAML-T3-not-yet-valid': 'saml_not_yet_valid',
  'SAML-T4-confirmation-expired': 'saml_expired',
  'SAML-T5-too-old': 'saml_expired',
  'SAML-X1-xxe': 'saml_doctype_forbidden',
  'SAML-X2-billion-laughs': 'saml_doctype_forbidden',
  'SAML-X3-deep-nesting': 'saml_malformed',
  'SAML-X4-oversize': 'saml_message_too_large',
  'PI-stylesheet': 'saml_malformed',
};

const reasonThrownBy = (action: () => unknown): SamlFailureReason | null => {
  try {
    action();
    return null;
  } catch (error) {
    if (error instanceof SamlLoginError) return error.reason;
    throw error;
  }
};

/** Attacks that need the connection configured differently from the default. */
const CONFIG_FOR: Partial<Record<SamlAttackId, Record<string, unknown>>> = {
  'SAML-T5-too-old': { maxAssertionAgeMs: 5 * 60_000 },
};

describe('SAML attack fixtures generated from one valid IdP-signed response', () => {
  let keys: SamlTestKeys;
  let idp: TestIdentityProvider;
  let config: SamlConnectionConfig;
  let valid: { SAMLResponse: string; requestId: string };
  let fixtures: SamlAttackFixtures;
  let attacks: Map<SamlAttackId, SamlAttackVariant>;
  const attack = (id: SamlAttackId): SamlAttackVariant => attacks.get(id)!;

  /** A fresh SP (fresh replay cache) for which the valid response's request is outstanding. */
  const freshServiceProvider = async (overrides?: Record<string, unknown>) => {
    const requests = new InMemorySamlRequestStore();
    await requests.remember(config.connectionId, valid.requestId, new Date(Date.now() + 600_000));
    return serviceProvider(overrides ? connectionFor(idp, overrides) : config, {
      requests,
      replay: new InMemoryAssertionReplayCache(),
    });
  };

  beforeAll(async () => {
    keys = generateSamlTestKeys();
    idp = testIdp(keys.idp);
    config = connectionFor(idp);
    const sp = serviceProvider(config);
    const { redirectUrl } = await sp.createLoginRequest();
    valid = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
    fixtures = new SamlAttackFixtures({
      validResponse: valid.SAMLResponse,
      idp: keys.idp,
      otherIdp: { keys: keys.otherIdp, entityId: 'https://idp.globex.test/saml' },
      attacker: keys.attacker,
      otherAcsUrl: `${ISSUER}/sso/saml/conn_globex/acs`,
      otherSpEntityId: `${ISSUER}/sso/saml/conn_globex`,
      clockSkewMs: config.clockSkewMs,
    });
    attacks = new Map(fixtures.attacks().map((variant) => [variant.id, variant]));
  });

  it('accepts the valid original once', async () => {
    const sp = await freshServiceProvider();
    const result = await sp.validatePostResponse({ SAMLResponse: valid.SAMLResponse });
    expect(result).toMatchObject({ nameId: 'victim@acme.test', inResponseTo: valid.requestId });
    await expect(sp.validatePostResponse({ SAMLResponse: valid.SAMLResponse })).rejects.toMatchObject({
      reason: 'saml_inresponseto_invalid',
    });
  });

  it('generates every catalogued variant', () => {
    expect([...attacks.keys()]).toEqual([...SAML_ATTACK_IDS]);
  });

  describe.each(SAML_ATTACK_IDS.map((id) => [id]))('%s', (id) => {
    it(`is rejected with ${EXPECTED[id]}`, async () => {
      const variant = attack(id);
      const sp = await freshServiceProvider(CONFIG_FOR[id]);
      const outcome = await sp.validatePostResponse({ SAMLResponse: variant.SAMLResponse }).then(
        (result) => result,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(SamlLoginError);
      expect({ attack: variant.title, reason: (outcome as SamlLoginError).reason }).toEqual({
        attack: variant.title,
        reason: EXPECTED[id],
      });
    });
  });

  it('refuses a stripped signature also when the connection does not require signed assertions (SIG-1)', async () => {
    const sp = await freshServiceProvider({ wantAssertionsSigned: false });
    await expect(
      sp.validatePostResponse({ SAMLResponse: attack('SIG-1').SAMLResponse }),
    ).rejects.toMatchObject({
      reason: 'saml_invalid_signature',
    });
  });

  it('reads the whole signed NameID when a comment splits it (CMT-1)', async () => {
    const { commentInjectedNameId } = fixtures.accepted();
    const sp = await freshServiceProvider();
    const result = await sp.validatePostResponse({ SAMLResponse: commentInjectedNameId.SAMLResponse });
    expect(result.nameId).toBe(commentInjectedNameId.signedNameId);
  });

  it('accepts an IdP clock 20 s ahead within the 60 s skew (SAML-T3)', async () => {
    const sp = await freshServiceProvider();
    await expect(
      sp.validatePostResponse({ SAMLResponse: fixtures.accepted().withinSkew }),
    ).resolves.toMatchObject({
      nameId: 'victim@acme.test',
    });
  });

  it('accepts a response whose Response and assertion are both signed', async () => {
    const sp = await freshServiceProvider({ wantResponseSigned: true });
    await expect(
      sp.validatePostResponse({ SAMLResponse: fixtures.accepted().responseAndAssertionSigned }),
    ).resolves.toMatchObject({ nameId: 'victim@acme.test' });
  });

  it('refuses billion laughs in well under 100 ms (SAML-X2)', async () => {
    const sp = await freshServiceProvider();
    const started = process.hrtime.bigint();
    await expect(
      sp.validatePostResponse({ SAMLResponse: attack('SAML-X2-billion-laughs').SAMLResponse }),
    ).rejects.toBeInstanceOf(SamlLoginError);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(100);
  });

  describe('replay and InResponseTo', () => {
    it('refuses a replayed IdP-initiated response (SAML-G3)', async () => {
      const allowing = connectionFor(idp, { allowIdpInitiated: true });
      const sp = serviceProvider(allowing);
      const form = await idp.issueUnsolicited(sp.metadata(), { nameId: 'victim@acme.test' });
      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({ inResponseTo: null });
      await expect(sp.validatePostResponse(form)).rejects.toMatchObject({ reason: 'saml_replay' });
    });

    it('refuses a replayed SP-initiated response with RelayState stripped (SAML-G3)', async () => {
      const sp = serviceProvider(config);
      const { redirectUrl } = await sp.createLoginRequest('/app/home');
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
      await expect(sp.validatePostResponse(form)).resolves.toMatchObject({ relayState: '/app/home' });
      await expect(sp.validatePostResponse({ SAMLResponse: form.SAMLResponse })).rejects.toMatchObject({
        reason: 'saml_inresponseto_invalid',
      });
    });

    it('refuses a second answer to the same request', async () => {
      const sp = serviceProvider(config);
      const { redirectUrl } = await sp.createLoginRequest();
      const first = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
      const second = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
      await sp.validatePostResponse(first);
      await expect(sp.validatePostResponse(second)).rejects.toMatchObject({
        reason: 'saml_inresponseto_invalid',
      });
    });

    it("refuses a response carrying another connection's request id (SAML-G4)", async () => {
      const shared = { requests: new InMemorySamlRequestStore(), replay: new InMemoryAssertionReplayCache() };
      const acme = serviceProvider(config, shared);
      const globex = serviceProvider(connectionFor(idp, {}, 'conn_globex'), shared);
      const { redirectUrl } = await globex.createLoginRequest();
      // The IdP answers globex's request but addresses the response to acme's ACS and audience.
      const form = await idp.respondToRedirect(acme.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
      await expect(acme.validatePostResponse(form)).rejects.toMatchObject({
        reason: 'saml_inresponseto_invalid',
      });
    });

    it('refuses an answer to an expired request', async () => {
      let now = Date.now();
      const requests = new InMemorySamlRequestStore(() => new Date(now));
      const sp = new SamlServiceProvider(config, {
        requests,
        replay: new InMemoryAssertionReplayCache(),
        clock: () => new Date(now),
      });
      const { redirectUrl } = await sp.createLoginRequest();
      const form = await idp.respondToRedirect(sp.metadata(), redirectUrl, { nameId: 'victim@acme.test' });
      now += 16 * 60_000;
      await expect(sp.validatePostResponse(form)).rejects.toMatchObject({
        reason: 'saml_inresponseto_invalid',
      });
    });
  });

  it('refuses an IdP-initiated response when the connection does not allow it', async () => {
    const sp = serviceProvider(config);
    const form = await idp.issueUnsolicited(sp.metadata(), { nameId: 'victim@acme.test' });
    await expect(sp.validatePostResponse(form)).rejects.toMatchObject({
      reason: 'saml_unsolicited_response',
    });
  });

  it.each([
    'https://evil.test/',
    '//evil.test/app',
    '/app/../admin',
    '/apple',
    'javascript:alert(1)',
    '/app\\..\\x',
  ])('refuses an IdP-initiated login to RelayState %s (SAML-R1)', async (relayState) => {
    const sp = serviceProvider(connectionFor(idp, { allowIdpInitiated: true }));
    const form = await idp.issueUnsolicited(sp.metadata(), { nameId: 'victim@acme.test' }, { relayState });
    await expect(sp.validatePostResponse(form)).rejects.toMatchObject({
      reason: 'saml_relay_state_forbidden',
    });
  });

  it('refuses a POST without SAMLResponse, or with it twice', async () => {
    const sp = serviceProvider(config);
    await expect(sp.validatePostResponse({})).rejects.toMatchObject({ reason: 'saml_missing_response' });
    await expect(
      sp.validatePostResponse({ SAMLResponse: [valid.SAMLResponse, valid.SAMLResponse] }),
    ).rejects.toMatchObject({
      reason: 'saml_malformed',
    });
    await expect(sp.validatePostResponse({ SAMLResponse: 'not base64!' })).rejects.toMatchObject({
      reason: 'saml_malformed',
    });
  });

  describe('the bounded inflate of the Redirect binding (SAML-G6, SAML-X5)', () => {
    it('stops a deflate bomb at the output cap', () => {
      const bomb = deflateRawSync(Buffer.alloc(16 * 1024 * 1024)).toString('base64');
      expect(bomb.length).toBeLessThan(64 * 1024);
      const before = process.memoryUsage().rss;
      expect(reasonThrownBy(() => inflateBounded(bomb))).toBe('saml_message_too_large');
      expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
    });

    it('inflates a real AuthnRequest', async () => {
      const sp = serviceProvider(config);
      const { redirectUrl, requestId } = await sp.createLoginRequest();
      const inflated = inflateBounded(new URL(redirectUrl).searchParams.get('SAMLRequest')!).toString('utf8');
      expect(inflated).toContain(`ID="${requestId}"`);
    });

    it('refuses what is not DEFLATE or not base64', () => {
      expect(reasonThrownBy(() => inflateBounded(Buffer.from('plain text').toString('base64')))).toBe(
        'saml_malformed',
      );
      expect(reasonThrownBy(() => inflateBounded('***'))).toBe('saml_malformed');
    });
  });
});
