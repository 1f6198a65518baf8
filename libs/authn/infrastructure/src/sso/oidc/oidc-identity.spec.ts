import { OidcLoginError } from './oidc-failure';
import { oidcLoginResult } from './oidc-identity';

const idToken = {
  iss: 'https://acme.okta.example',
  sub: '00u1',
  aud: 'mandate',
  exp: 1_800_000_000,
  iat: 1_799_999_700,
  email: 'ada@acme.example',
  email_verified: true,
  name: 'Ada',
  groups: ['eng', 7, ''],
  amr: ['pwd', 'otp'],
  acr: 'urn:acme:mfa',
};

const reasonOf = (attempt: () => unknown) => {
  try {
    attempt();
  } catch (error) {
    return error instanceof OidcLoginError ? error.reason : error;
  }
  return null;
};

describe('oidcLoginResult', () => {
  it('reads the identity and profile from the ID token', () => {
    expect(oidcLoginResult('iss_sub', idToken)).toMatchObject({
      subject: '00u1',
      issuer: 'https://acme.okta.example',
      email: 'ada@acme.example',
      emailVerified: true,
      name: 'Ada',
      groups: ['eng'],
      amr: ['pwd', 'otp'],
      acr: 'urn:acme:mfa',
      idTokenExpiresAt: '2027-01-15T08:00:00.000Z',
    });
  });

  it('treats a missing or non-boolean email_verified as unverified', () => {
    expect(oidcLoginResult('iss_sub', { ...idToken, email_verified: 'true' }).emailVerified).toBe(false);
    expect(oidcLoginResult('iss_sub', { ...idToken, email_verified: undefined }).emailVerified).toBe(false);
  });

  it('adds UserInfo profile claims without letting them replace the ID token', () => {
    const result = oidcLoginResult(
      'iss_sub',
      { ...idToken, groups: undefined, email: undefined },
      {
        sub: 'someone-else',
        iss: 'https://evil.example',
        email: 'ada@acme.example',
        groups: ['ops'],
        amr: ['mfa'],
      },
    );
    expect(result).toMatchObject({
      subject: '00u1',
      email: 'ada@acme.example',
      groups: ['ops'],
      amr: ['pwd', 'otp'],
    });
    expect(result.claims['iss']).toBe('https://acme.okta.example');
  });

  it('keys Entra ID identities by tid and oid, never by email', () => {
    const entra = { ...idToken, tid: 'tenant-1', oid: 'object-1' };
    expect(oidcLoginResult('entra_tid_oid', entra).subject).toBe('tenant-1:object-1');
    expect(oidcLoginResult('entra_tid_oid', { ...entra, tid: 'tenant-2' }).subject).toBe('tenant-2:object-1');
  });

  it.each([
    ['iss_sub', { sub: undefined }, 'oidc_missing_subject'],
    ['iss_sub', { sub: '  ' }, 'oidc_missing_subject'],
    ['entra_tid_oid', { tid: 'tenant-1' }, 'oidc_missing_identity_claims'],
    ['entra_tid_oid', { oid: 'object-1' }, 'oidc_missing_identity_claims'],
    ['iss_sub', { exp: undefined }, 'oidc_invalid_id_token'],
  ] as const)('refuses a %s identity from %j', (identity, changes, reason) => {
    expect(reasonOf(() => oidcLoginResult(identity, { ...idToken, ...changes }))).toBe(reason);
  });
});
