import { type SettingsEnvironment } from '@mandate/authn-domain';
import { testOidcConnection } from '../sso/oidc/oidc-upstream';
import { type ConnectionProbe } from './connection-ports';

/**
 * Tests an OIDC connection with the relying party's own check: the configuration as the RP reads it
 * (secrets opened for the occasion), discovery answering with the pinned issuer, and a JWKS that
 * holds a signing key.
 */
export const oidcConnectionProbe = (environment: () => SettingsEnvironment): ConnectionProbe => ({
  async test(connection) {
    const { oidc, serviceProvider } = connection;
    if (!oidc || serviceProvider.kind !== 'oidc')
      return { ok: false, reason: 'oidc_invalid_config', message: 'Not an OIDC connection' };
    const result = await testOidcConnection(
      {
        connectionId: connection.connectionId,
        orgId: connection.orgId,
        issuer: oidc.issuer,
        clientId: oidc.clientId,
        clientAuth: oidc.clientAuth,
        redirectUri: serviceProvider.redirectUri,
        scopes: oidc.scopes,
        identity: oidc.identity,
        ...(oidc.sealedClientSecret !== null && {
          clientSecret: connection.openSecret(oidc.sealedClientSecret),
        }),
        ...(oidc.sealedPrivateKeyJwk !== null && {
          privateJwk: JSON.parse(connection.openSecret(oidc.sealedPrivateKeyJwk)) as unknown,
        }),
      },
      { allowInsecureLoopback: environment().allowLoopbackHttp },
    );
    return result.ok
      ? {
          ok: true,
          message: `${result.issuer} answered discovery; ${result.signingKeys} signing key(s) published`,
        }
      : { ok: false, reason: result.reason, message: result.message };
  },
});
