import { type DataSource } from 'typeorm';
import {
  type ConnectionProbe,
  type ConnectionUnderTest,
  type SpMetadataRenderer,
} from '../../connections/connection-ports';
import {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type OidcConnectionConfig,
  OidcUpstream,
} from '../oidc/oidc-upstream';
import {
  InMemoryAssertionReplayCache,
  InMemorySamlRequestStore,
  PostgresAssertionReplayCache,
  PostgresSamlRequestStore,
  type SamlConnectionConfig,
  SamlConfigError,
  SamlServiceProvider,
  validateSamlConnectionConfig,
} from '../saml';

/** Whether IdP endpoints and Mandate's own SSO endpoints may be plain http on loopback (development instances). */
export type LoopbackHttp = () => boolean;

/** The SAML SP configuration of a connection, its SP signing key opened for the occasion. */
export const samlConfigOf = (
  connection: ConnectionUnderTest,
  now: Date,
  allowInsecureLoopback: boolean,
): SamlConnectionConfig => {
  const { saml, serviceProvider } = connection;
  if (!saml || serviceProvider.kind !== 'saml') throw new SamlConfigError('kind', 'is not a SAML connection');
  return validateSamlConnectionConfig(
    {
      connectionId: connection.connectionId,
      orgId: connection.orgId,
      spEntityId: serviceProvider.entityId,
      acsUrl: serviceProvider.acsUrl,
      idpEntityId: saml.idpEntityId,
      idpSsoUrl: saml.idpSsoUrl,
      idpCertificates: saml.idpCertificates,
      wantAssertionsSigned: saml.wantAssertionsSigned,
      // Accepting unsigned assertions is allowed only with a signed Response around them.
      wantResponseSigned: saml.allowUnsignedAssertions,
      signAuthnRequests: saml.signAuthnRequests && saml.spSigning !== null,
      ...(saml.spSigning && {
        spPrivateKey: connection.openSecret(saml.spSigning.sealedPrivateKey),
        spCertificate: saml.spSigning.certificatePem,
      }),
      allowIdpInitiated: saml.allowIdpInitiated,
      relayStateAllowList: saml.relayStateAllowList,
      clockSkewMs: saml.clockSkewSeconds * 1000,
    },
    now,
    { allowInsecureLoopback },
  );
};

/**
 * Tests a SAML connection without the IdP (SAML has no discovery to call): the stored settings make a
 * valid SP configuration, the pinned certificates and the SP key are usable today, and a (signed)
 * AuthnRequest can be built for the IdP's SSO URL.
 */
export const samlConnectionProbe = (loopbackHttp: LoopbackHttp, clock: () => Date): ConnectionProbe => ({
  async test(connection) {
    let config: SamlConnectionConfig;
    try {
      config = samlConfigOf(connection, clock(), loopbackHttp());
    } catch (error) {
      if (error instanceof SamlConfigError)
        return { ok: false, reason: 'saml_invalid_config', message: error.message };
      throw error;
    }
    // Nothing of the test is kept: the request goes to throwaway stores, never to the IdP.
    const sp = new SamlServiceProvider(config, {
      requests: new InMemorySamlRequestStore(clock),
      replay: new InMemoryAssertionReplayCache(clock),
      clock,
    });
    const { redirectUrl } = await sp.createLoginRequest();
    const signed = new URL(redirectUrl).searchParams.has('Signature');
    return {
      ok: true,
      message: `${config.idpCertificates.length} IdP certificate(s) usable; ${signed ? 'signed ' : ''}AuthnRequest built for ${config.idpSsoUrl}`,
    };
  },
});

/** SP metadata of a SAML connection: entity id, ACS and (when requests are signed) the signing certificate. */
export const samlMetadataRenderer = (loopbackHttp: LoopbackHttp, clock: () => Date): SpMetadataRenderer => ({
  render: (connection) =>
    new SamlServiceProvider(samlConfigOf(connection, clock(), loopbackHttp()), {
      requests: new InMemorySamlRequestStore(clock),
      replay: new InMemoryAssertionReplayCache(clock),
      clock,
    }).metadata(),
});

/** The SAML service provider of a connection over the stores every instance shares. */
export const samlServiceProvider = (
  connection: ConnectionUnderTest,
  dataSource: DataSource,
  clock: () => Date,
  allowInsecureLoopback: boolean,
): SamlServiceProvider =>
  new SamlServiceProvider(samlConfigOf(connection, clock(), allowInsecureLoopback), {
    requests: new PostgresSamlRequestStore(dataSource, clock),
    replay: new PostgresAssertionReplayCache(dataSource, clock),
    clock,
  });

/** The relying-party configuration of an OIDC connection, its secrets opened. */
export const oidcConfigOf = (connection: ConnectionUnderTest): OidcConnectionConfig | null => {
  const { oidc, serviceProvider } = connection;
  if (!oidc || serviceProvider.kind !== 'oidc') return null;
  return {
    connectionId: connection.connectionId,
    orgId: connection.orgId,
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientAuth: oidc.clientAuth,
    redirectUri: serviceProvider.redirectUri,
    scopes: oidc.scopes,
    identity: oidc.identity,
    clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS,
    ...(oidc.sealedClientSecret !== null && { clientSecret: connection.openSecret(oidc.sealedClientSecret) }),
    ...(oidc.sealedPrivateKeyJwk !== null && {
      privateJwk: JSON.parse(
        connection.openSecret(oidc.sealedPrivateKeyJwk),
      ) as OidcConnectionConfig['privateJwk'],
    }),
  };
};

/**
 * One discovered relying party per connection and settings version (discovery once, JWKS cached),
 * dropped when the settings change; a failed discovery is not kept, so the next login tries again.
 */
export class OidcUpstreams {
  private readonly cache = new Map<string, { version: number; upstream: Promise<OidcUpstream> }>();

  constructor(private readonly loopbackHttp: LoopbackHttp) {}

  for(connection: ConnectionUnderTest, config: OidcConnectionConfig): Promise<OidcUpstream> {
    const cached = this.cache.get(connection.connectionId);
    if (cached?.version === connection.settingsVersion) return cached.upstream;
    const upstream = OidcUpstream.discover(config, { allowInsecureLoopback: this.loopbackHttp() });
    this.cache.set(connection.connectionId, { version: connection.settingsVersion, upstream });
    upstream.catch(() => {
      if (this.cache.get(connection.connectionId)?.upstream === upstream)
        this.cache.delete(connection.connectionId);
    });
    return upstream;
  }
}
