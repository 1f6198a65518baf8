import { type AttributeMapping, type ConnectionKind } from '@mandate/contracts';

export type AttributeMappingPreset = 'generic' | 'okta' | 'entra' | 'google' | 'oidc';

/**
 * Where each profile field is read from, per IdP. SAML attribute names are what the IdP's admin
 * console suggests (Okta and Google Workspace let the administrator name them; Entra ID sends its
 * claim URIs); OIDC uses the standard claims, `groups` being the claim Okta and Entra ID emit.
 */
export const ATTRIBUTE_MAPPING_PRESETS: Readonly<Record<AttributeMappingPreset, AttributeMapping>> = {
  generic: {
    email: 'email',
    givenName: 'firstName',
    familyName: 'lastName',
    displayName: 'displayName',
    groups: 'groups',
  },
  okta: {
    email: 'email',
    givenName: 'firstName',
    familyName: 'lastName',
    displayName: 'displayName',
    groups: 'groups',
  },
  entra: {
    email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
    familyName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
    displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
    groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  },
  google: {
    email: 'email',
    givenName: 'firstName',
    familyName: 'lastName',
    displayName: 'displayName',
    groups: 'groups',
  },
  oidc: {
    email: 'email',
    givenName: 'given_name',
    familyName: 'family_name',
    displayName: 'name',
    groups: 'groups',
  },
};

/** The preset a connection starts from when the administrator names none. */
export const defaultPresetFor = (kind: ConnectionKind): AttributeMappingPreset =>
  kind === 'oidc' ? 'oidc' : 'generic';
