import { type OidcIdentityKey } from './oidc-connection-config';
import { OidcLoginError } from './oidc-failure';

/** A person authenticated by the upstream IdP, as this connection knows them. */
export interface OidcLoginResult {
  /**
   * The stable identity key under this connection: the ID token's `sub` (the issuer is pinned per
   * connection, so this is `(iss, sub)`), or `<tid>:<oid>` for Entra ID. Never the email.
   */
  readonly subject: string;
  readonly issuer: string;
  readonly claims: Record<string, unknown>;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly groups: string[];
  readonly amr: string[];
  readonly acr: string | null;
  readonly idTokenExpiresAt: string;
}

/** Claims that only the ID token may state; UserInfo never overrides them. */
const PROTOCOL_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'nonce',
  'auth_time',
  'amr',
  'acr',
  'at_hash',
  'c_hash',
  'sid',
  'tid',
  'oid',
]);

const nonEmptyString = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : [];

const subjectOf = (identity: OidcIdentityKey, claims: Record<string, unknown>): string => {
  switch (identity) {
    case 'iss_sub': {
      const sub = nonEmptyString(claims['sub']);
      if (sub === null) throw new OidcLoginError('oidc_missing_subject', 'the ID token has no sub claim');
      return sub;
    }
    case 'entra_tid_oid': {
      const tid = nonEmptyString(claims['tid']);
      const oid = nonEmptyString(claims['oid']);
      if (tid === null || oid === null) {
        throw new OidcLoginError(
          'oidc_missing_identity_claims',
          `the ID token lacks the Entra ID ${tid === null ? 'tid' : 'oid'} claim this connection keys identities by`,
        );
      }
      return `${tid}:${oid}`;
    }
  }
};

/**
 * The login result from verified ID token claims, completed by UserInfo claims (which may add
 * profile claims such as email or groups, never replace the ID token's protocol claims).
 */
export const oidcLoginResult = (
  identity: OidcIdentityKey,
  idTokenClaims: Record<string, unknown>,
  userInfoClaims: Record<string, unknown> = {},
): OidcLoginResult => {
  const claims: Record<string, unknown> = { ...idTokenClaims };
  for (const [name, value] of Object.entries(userInfoClaims)) {
    if (!PROTOCOL_CLAIMS.has(name) && claims[name] === undefined) claims[name] = value;
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new OidcLoginError('oidc_invalid_id_token', 'the ID token has no numeric exp claim');
  }
  const issuer = nonEmptyString(claims['iss']);
  if (issuer === null) throw new OidcLoginError('oidc_invalid_issuer', 'the ID token has no iss claim');
  return {
    subject: subjectOf(identity, claims),
    issuer,
    claims,
    email: nonEmptyString(claims['email']),
    emailVerified: claims['email_verified'] === true,
    name: nonEmptyString(claims['name']),
    groups: strings(claims['groups']),
    amr: strings(claims['amr']),
    acr: nonEmptyString(claims['acr']),
    idTokenExpiresAt: new Date(exp * 1000).toISOString(),
  };
};
