import { type OidcConnectionConfig, validateOidcConnectionConfig } from './oidc-connection-config';

const valid = {
  connectionId: 'conn_okta',
  orgId: 'org_acme',
  issuer: 'https://acme.okta.example',
  clientId: 'mandate',
  clientAuth: 'client_secret_basic' as const,
  clientSecret: 'secret',
  redirectUri: 'https://mandate.example/sso/oidc/conn_okta/callback',
};

const privateJwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k1', alg: 'ES256' };

const fieldAtFault = (input: unknown, options = {}): string | null => {
  const result = validateOidcConnectionConfig(input, options);
  return result.ok ? null : result.error.field;
};

describe('validateOidcConnectionConfig', () => {
  it('fills the defaults: openid email profile, 30 s tolerance, (iss, sub) identity', () => {
    const result = validateOidcConnectionConfig(valid);
    expect(result).toEqual({
      ok: true,
      config: {
        ...valid,
        scopes: ['openid', 'email', 'profile'],
        clockToleranceSeconds: 30,
        identity: 'iss_sub',
      } satisfies OidcConnectionConfig,
    });
  });

  it('keeps explicit settings', () => {
    const result = validateOidcConnectionConfig({
      ...valid,
      scopes: ['openid', 'groups', 'openid'],
      clockToleranceSeconds: 0,
      identity: 'entra_tid_oid',
    });
    expect(result.ok && result.config).toMatchObject({
      scopes: ['openid', 'groups'],
      clockToleranceSeconds: 0,
      identity: 'entra_tid_oid',
    });
  });

  it('accepts private_key_jwt with an asymmetric private key and no secret', () => {
    const { clientSecret: _secret, ...rest } = valid;
    const result = validateOidcConnectionConfig({ ...rest, clientAuth: 'private_key_jwt', privateJwk });
    expect(result.ok && result.config.privateJwk).toEqual(privateJwk);
  });

  it.each([
    ['not an object', 'nope', '(root)'],
    ['no connection id', { ...valid, connectionId: '' }, 'connectionId'],
    ['no organization', { ...valid, orgId: undefined }, 'orgId'],
    ['a relative issuer', { ...valid, issuer: 'acme.okta.example' }, 'issuer'],
    ['an http issuer', { ...valid, issuer: 'http://acme.okta.example' }, 'issuer'],
    ['an issuer with a query', { ...valid, issuer: 'https://acme.okta.example/?tenant=1' }, 'issuer'],
    ['an issuer with a fragment', { ...valid, issuer: 'https://acme.okta.example/#x' }, 'issuer'],
    ['an issuer with whitespace', { ...valid, issuer: ' https://acme.okta.example' }, 'issuer'],
    ['no client id', { ...valid, clientId: undefined }, 'clientId'],
    ['an unknown client authentication', { ...valid, clientAuth: 'none' }, 'clientAuth'],
    ['a secret method without secret', { ...valid, clientSecret: undefined }, 'clientSecret'],
    ['a secret method with a private key', { ...valid, privateJwk }, 'privateJwk'],
    [
      'private_key_jwt with a secret',
      { ...valid, clientAuth: 'private_key_jwt', privateJwk },
      'clientSecret',
    ],
    [
      'private_key_jwt without a key',
      { ...valid, clientSecret: undefined, clientAuth: 'private_key_jwt' },
      'privateJwk',
    ],
    [
      'private_key_jwt with a public key',
      {
        ...valid,
        clientSecret: undefined,
        clientAuth: 'private_key_jwt',
        privateJwk: { ...privateJwk, d: undefined },
      },
      'privateJwk',
    ],
    [
      'private_key_jwt with a symmetric key',
      {
        ...valid,
        clientSecret: undefined,
        clientAuth: 'private_key_jwt',
        privateJwk: { kty: 'oct', k: 'abc' },
      },
      'privateJwk',
    ],
    [
      'private_key_jwt with an HMAC alg',
      {
        ...valid,
        clientSecret: undefined,
        clientAuth: 'private_key_jwt',
        privateJwk: { ...privateJwk, alg: 'HS256' },
      },
      'privateJwk',
    ],
    ['an http redirect URI', { ...valid, redirectUri: 'http://mandate.example/cb' }, 'redirectUri'],
    ['scopes without openid', { ...valid, scopes: ['email'] }, 'scopes'],
    ['an empty scope list', { ...valid, scopes: [] }, 'scopes'],
    ['a scope with a space', { ...valid, scopes: ['openid', 'a b'] }, 'scopes'],
    ['a negative tolerance', { ...valid, clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    ['a tolerance over 120 s', { ...valid, clockToleranceSeconds: 121 }, 'clockToleranceSeconds'],
    ['a fractional tolerance', { ...valid, clockToleranceSeconds: 1.5 }, 'clockToleranceSeconds'],
    ['an email identity key', { ...valid, identity: 'email' }, 'identity'],
  ])('refuses %s, naming the field', (_case, input, field) => {
    expect(fieldAtFault(input)).toBe(field);
  });

  it('says what is wrong with a stable code', () => {
    const result = validateOidcConnectionConfig({ ...valid, clockToleranceSeconds: 3600 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({
      kind: 'invalid',
      code: 'AUTHN_SSO_OIDC_CONFIG_INVALID',
      field: 'clockToleranceSeconds',
      message: 'clockToleranceSeconds: must be an integer from 0 to 120',
    });
  });

  it('accepts loopback http only when asked', () => {
    const local = { ...valid, issuer: 'http://127.0.0.1:4000', redirectUri: 'http://localhost:3000/cb' };
    expect(fieldAtFault(local)).toBe('issuer');
    expect(fieldAtFault(local, { allowInsecureLoopback: true })).toBeNull();
    expect(fieldAtFault({ ...local, issuer: 'http://idp.example' }, { allowInsecureLoopback: true })).toBe(
      'issuer',
    );
  });
});
