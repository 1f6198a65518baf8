import { type AuthorizationServerHost } from '../oauth/authorization-server.host';
import { type LogoutTokenDelivery } from './sessions.service';

interface LoggingOutClient {
  readonly backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

/**
 * Logout tokens as oidc-provider makes them for RP-initiated logout (`typ: logout+jwt`, the
 * back-channel `events` claim, `sub`, `sid` when the client asks for it, no `nonce`), signed with the
 * current ID-token key and posted to the client's registered URI.
 */
export const providerLogoutTokens = (host: () => AuthorizationServerHost): LogoutTokenDelivery => ({
  async deliver(clientId, userId, sid) {
    const client = (await host().current.Client.find(clientId)) as unknown as LoggingOutClient | undefined;
    if (!client?.backchannelLogoutUri) return false;
    await client.backchannelLogout(userId, sid ?? undefined);
    return true;
  },
});
