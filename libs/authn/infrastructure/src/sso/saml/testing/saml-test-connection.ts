import { generateTestKeyPair, TestIdentityProvider, type TestKeyPair } from '@mandate/testing';
import { type SamlConnectionConfig, validateSamlConnectionConfig } from '../saml-connection-config';
import { parseIdpMetadata } from '../saml-idp-metadata';
import { SamlServiceProvider } from '../saml-service-provider';
import { InMemoryAssertionReplayCache, InMemorySamlRequestStore } from '../saml-stores';

export const ISSUER = 'https://mandate.test';

/** Keys made once per spec file (RSA key generation is the slow part). */
export interface SamlTestKeys {
  readonly idp: TestKeyPair;
  readonly otherIdp: TestKeyPair;
  readonly attacker: TestKeyPair;
  readonly sp: TestKeyPair;
}

export const generateSamlTestKeys = (): SamlTestKeys => ({
  idp: generateTestKeyPair('idp.acme.test'),
  otherIdp: generateTestKeyPair('idp.globex.test'),
  attacker: generateTestKeyPair('attacker.test'),
  sp: generateTestKeyPair('mandate.test'),
});

export const testIdp = (
  keys: TestKeyPair,
  name = 'acme',
  options: { encryptAssertions?: boolean; requireSignedRequests?: boolean } = {},
) =>
  new TestIdentityProvider({
    entityId: `https://idp.${name}.test/saml`,
    ssoUrl: `https://idp.${name}.test/sso`,
    signing: keys,
    ...options,
  });

/** A connection configured from the test IdP's metadata, as an administrator would create it. */
export const connectionFor = (
  idp: TestIdentityProvider,
  overrides: Record<string, unknown> = {},
  connectionId = 'conn_acme',
): SamlConnectionConfig => {
  const metadata = parseIdpMetadata(idp.metadata());
  return validateSamlConnectionConfig({
    connectionId,
    orgId: 'org_acme',
    spEntityId: `${ISSUER}/sso/saml/${connectionId}`,
    acsUrl: `${ISSUER}/sso/saml/${connectionId}/acs`,
    idpEntityId: metadata.entityId,
    idpSsoUrl: metadata.ssoRedirectUrl,
    idpCertificates: metadata.certificates,
    relayStateAllowList: ['/app', 'https://app.acme.test/'],
    ...overrides,
  });
};

/** An SP over in-memory stores and the real clock (node-saml reads the real clock too). */
export const serviceProvider = (
  config: SamlConnectionConfig,
  stores = { requests: new InMemorySamlRequestStore(), replay: new InMemoryAssertionReplayCache() },
) => new SamlServiceProvider(config, { ...stores, clock: () => new Date() });
