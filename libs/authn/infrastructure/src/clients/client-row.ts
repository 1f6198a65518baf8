import { type ClientRegistered } from '@mandate/contracts';

export { CLIENT_CREDENTIALS, TOKEN_EXCHANGE as TOKEN_EXCHANGE_GRANT } from '@mandate/authn-domain';

export interface ClientRow {
  client_id: string;
  org_id: string;
  name: string;
  kind: ClientRegistered['data']['kind'];
  agent_id: string | null;
  redirect_uris: string[];
  grant_types: string[];
  auth_method: ClientRegistered['data']['tokenEndpointAuthMethod'];
  secret_hash: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  scopes: string[];
  audiences: string[];
  backchannel_logout_uri: string | null;
  backchannel_logout_session_required: boolean;
  status: 'active' | 'deleted';
  version: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * The client as oidc-provider sees it. The secret it compares is the stored SHA-256: the token
 * endpoint hashes the presented secret before oidc-provider reads it, so no plaintext is ever kept.
 */
export const clientMetadata = (row: ClientRow): Record<string, unknown> => {
  const browser = row.grant_types.includes('authorization_code');

  return {
    client_id: row.client_id,
    client_name: row.name,
    ...(row.secret_hash !== null && { client_secret: row.secret_hash }),
    ...(row.jwks !== null && { jwks: row.jwks }),
    token_endpoint_auth_method: row.auth_method,
    grant_types: row.grant_types,
    response_types: browser ? ['code'] : [],
    redirect_uris: row.redirect_uris,
    // oidc-provider's `scope` lists OpenID scopes; what a resource server grants is `resource_scopes`.
    ...(browser && { scope: 'openid profile email offline_access' }),
    resource_scopes: row.scopes,
    id_token_signed_response_alg: 'EdDSA',
    org_id: row.org_id,
    agent_id: row.agent_id,
    kind: row.kind,
    audiences: row.audiences,
    ...(row.backchannel_logout_uri !== null && {
      backchannel_logout_uri: row.backchannel_logout_uri,
      backchannel_logout_session_required: row.backchannel_logout_session_required,
    }),
  };
};
