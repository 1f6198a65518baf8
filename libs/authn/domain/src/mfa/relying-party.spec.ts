import { validRelyingParty } from './relying-party';

const rp = { rpId: 'example.com', rpName: 'Example', origin: 'https://login.example.com' };
const refusal = expect.objectContaining({ code: 'AUTHN_MFA_RELYING_PARTY_INVALID' }) as Error;

describe('WebAuthn relying party', () => {
  it('accepts the origin host or a parent domain as the RP ID', () => {
    expect(validRelyingParty(rp)).toEqual(rp);
    expect(validRelyingParty({ ...rp, rpId: 'login.example.com' })).toEqual({
      ...rp,
      rpId: 'login.example.com',
    });
    expect(validRelyingParty({ ...rp, rpId: 'Example.COM', rpName: ' Example ' })).toEqual(rp);
    expect(validRelyingParty({ rpId: 'localhost', rpName: 'Dev', origin: 'http://localhost:3000' })).toEqual({
      rpId: 'localhost',
      rpName: 'Dev',
      origin: 'http://localhost:3000',
    });
  });

  it.each([
    ['an RP ID that is not a parent of the origin host', { rpId: 'other.example' }],
    ['a look-alike suffix', { rpId: 'ample.com' }],
    ['an RP ID below the origin host', { rpId: 'a.login.example.com' }],
    ['http outside localhost', { origin: 'http://login.example.com' }],
    ['an origin with a path', { origin: 'https://login.example.com/login' }],
    ['not a URL', { origin: 'login.example.com' }],
    ['an RP ID that is not a host name', { rpId: 'example.com:443' }],
    ['an empty name', { rpName: '  ' }],
  ])('refuses %s', (_case, overrides) =>
    expect(() => validRelyingParty({ ...rp, ...overrides })).toThrow(refusal),
  );
});
