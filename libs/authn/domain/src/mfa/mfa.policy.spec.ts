import {
  ACR_MFA,
  ACR_SSO,
  assertFactorAllowed,
  authenticationContext,
  factorsSatisfying,
  mfaRequirement,
  type MfaPolicy,
  upstreamAssertsMfa,
} from './mfa.policy';

const everything: MfaPolicy = { required: true, allowedFactors: ['webauthn', 'totp', 'recovery_codes'] };
const keysOnly: MfaPolicy = { required: true, allowedFactors: ['webauthn'] };

describe('MFA policy', () => {
  it('asks nothing more when the organization does not require MFA', () =>
    expect(mfaRequirement({ ...everything, required: false }, [], ['pwd'])).toEqual({
      step: 'none',
      reason: 'not_required',
    }));

  it('trusts the IdP that asserts MFA, by `mfa` or by methods of two classes', () => {
    expect(upstreamAssertsMfa(['mfa'])).toBe(true);
    expect(upstreamAssertsMfa(['pwd', 'otp'])).toBe(true);
    expect(upstreamAssertsMfa(['hwk', 'fpt'])).toBe(true);
    expect(upstreamAssertsMfa(['pwd'])).toBe(false);
    expect(upstreamAssertsMfa(['otp', 'hwk'])).toBe(false);
    expect(upstreamAssertsMfa(['pwd', 'pin'])).toBe(false);
    expect(mfaRequirement(everything, [], ['pwd', 'otp'])).toEqual({
      step: 'none',
      reason: 'asserted_by_idp',
    });
  });

  it('asks for a factor the user has and the policy accepts, in the policy order', () => {
    expect(factorsSatisfying(everything, ['totp', 'webauthn'])).toEqual(['webauthn', 'totp']);
    expect(mfaRequirement(everything, ['recovery_codes', 'totp'], ['pwd'])).toEqual({
      step: 'verify',
      factors: ['totp', 'recovery_codes'],
    });
    expect(mfaRequirement(keysOnly, ['totp', 'recovery_codes'], [])).toEqual({
      step: 'enrol',
      factors: ['webauthn'],
    });
  });

  it('never offers recovery codes as the first factor to enrol', () =>
    expect(mfaRequirement(everything, [], [])).toEqual({ step: 'enrol', factors: ['webauthn', 'totp'] }));

  it('refuses a kind the organization does not accept', () => {
    expect(() => assertFactorAllowed(keysOnly, 'totp')).toThrow(
      expect.objectContaining({ code: 'AUTHN_MFA_FACTOR_NOT_ALLOWED' }) as Error,
    );
    expect(() => assertFactorAllowed(keysOnly, 'webauthn')).not.toThrow();
  });
});

describe('amr and acr (RFC 8176)', () => {
  it('a sign-in at the IdP alone is single-factor SSO', () =>
    expect(authenticationContext(['pwd'], null)).toEqual({ amr: ['pwd'], acr: ACR_SSO }));

  it('keeps what the IdP asserted', () =>
    expect(authenticationContext(['pwd', 'otp'], null)).toEqual({
      amr: ['pwd', 'otp', 'mfa'],
      acr: ACR_MFA,
    }));

  it('a TOTP or recovery code after the IdP is otp, and multi-factor', () => {
    expect(authenticationContext(['pwd'], { kind: 'totp' })).toEqual({
      amr: ['pwd', 'otp', 'mfa'],
      acr: ACR_MFA,
    });
    expect(authenticationContext([], { kind: 'recovery_codes' })).toEqual({
      amr: ['otp', 'mfa'],
      acr: ACR_MFA,
    });
  });

  it('a security key is hwk, a synced passkey swk, and user verification adds user', () => {
    expect(
      authenticationContext(['pwd'], { kind: 'webauthn', userVerified: true, deviceType: 'singleDevice' }),
    ).toEqual({
      amr: ['pwd', 'hwk', 'user', 'mfa'],
      acr: ACR_MFA,
    });
    expect(
      authenticationContext([], { kind: 'webauthn', userVerified: false, deviceType: 'multiDevice' }),
    ).toEqual({
      amr: ['swk', 'mfa'],
      acr: ACR_MFA,
    });
  });

  it('merges without duplicates and drops what is not a method name', () =>
    expect(authenticationContext(['pwd', 'otp', 'otp', 'bad value', ''], { kind: 'totp' }).amr).toEqual([
      'pwd',
      'otp',
      'mfa',
    ]));
});
