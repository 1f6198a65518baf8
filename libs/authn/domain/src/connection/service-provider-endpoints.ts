import { type ConnectionKind } from '@mandate/contracts';

/** What an IdP administrator configures on their side for one connection. */
export type ServiceProviderEndpoints =
  | {
      readonly kind: 'saml';
      readonly entityId: string;
      readonly acsUrl: string;
      readonly metadataUrl: string;
    }
  | { readonly kind: 'oidc'; readonly redirectUri: string };

/**
 * The endpoints of a connection under Mandate's issuer. Each connection has its own SAML entity id
 * and ACS, so an assertion meant for one connection (or one organization) is refused at another.
 */
export const serviceProviderEndpoints = (
  issuer: string,
  connectionId: string,
  kind: ConnectionKind,
): ServiceProviderEndpoints => {
  const base = issuer.replace(/\/+$/, '');
  if (kind === 'oidc') return { kind, redirectUri: `${base}/sso/oidc/${connectionId}/callback` };
  const entityId = `${base}/sso/saml/${connectionId}`;
  return { kind, entityId, acsUrl: `${entityId}/acs`, metadataUrl: `${entityId}/metadata` };
};
