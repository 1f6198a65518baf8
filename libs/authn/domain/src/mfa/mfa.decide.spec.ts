import { type MfaEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { activeFactorKinds, type MfaCommand, mfaDecider, type WebauthnCredentialInput } from './mfa.decide';

const given = deciderSpecification(mfaDecider);
const user = { orgId: 'org_01k00000000000000000000000', userId: 'usr_01k00000000000000000000000' };
const totpId = 'mfa_01k0000000000000000000totp';
const keyId = 'mfa_01k000000000000000000000k1';
const codesId = 'mfa_01k00000000000000000codes';
const t1 = new Date('2026-11-02T09:00:00.000Z');
const at = t1.toISOString();

const command = <C extends MfaCommand>(type: C['type'], data: Omit<C['data'], 'orgId' | 'userId'>) =>
  ({ type, data: { ...user, ...data }, now: t1 }) as C;

const totpEnrolled = (factorId = totpId): MfaEvent => ({
  type: 'authn.mfa.totp_enrolled',
  data: {
    ...user,
    factorId,
    sealedSecret: 'v1.sealed',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    enrolledAt: at,
  },
});
const totpConfirmed = (timeStep = 100): MfaEvent => ({
  type: 'authn.mfa.totp_confirmed',
  data: { ...user, factorId: totpId, timeStep, confirmedAt: at },
});
const totpUsed = (timeStep: number): MfaEvent => ({
  type: 'authn.mfa.factor_used',
  data: { ...user, factorId: totpId, kind: 'totp', timeStep, counter: null, userVerified: null, usedAt: at },
});
const securityKey = (overrides: Partial<WebauthnCredentialInput> = {}): WebauthnCredentialInput => ({
  credentialId: 'Y3JlZGVudGlhbC0x',
  publicKey: 'cHVibGljLWtleQ',
  counter: 3,
  transports: ['usb'],
  name: 'YubiKey',
  aaguid: '00000000-0000-0000-0000-000000000000',
  userVerified: true,
  deviceType: 'singleDevice',
  backedUp: false,
  ...overrides,
});
const keyRegistered = (overrides: Partial<WebauthnCredentialInput> = {}): MfaEvent => {
  const key = securityKey(overrides);
  return {
    type: 'authn.mfa.webauthn_registered',
    data: { ...user, factorId: keyId, ...key, transports: [...key.transports], registeredAt: at },
  };
};
const hashes = Array.from({ length: 10 }, (_, index) => index.toString(16).repeat(64));
const codesGenerated = (factorId = codesId): MfaEvent => ({
  type: 'authn.mfa.recovery_codes_generated',
  data: { ...user, factorId, codeHashes: hashes, generatedAt: at },
});

describe('MFA factors', () => {
  describe('TOTP', () => {
    it('is pending when enrolled and active once a code confirms it', () => {
      given([])
        .when(command('EnrolTotp', { factorId: totpId, sealedSecret: 'v1.sealed' }))
        .then([totpEnrolled()]);
      given([totpEnrolled()])
        .when(command('ConfirmTotp', { factorId: totpId, timeStep: 100 }))
        .then([totpConfirmed(100)]);
      expect(activeFactorKinds(mfaDecider.evolve(mfaDecider.initialState(), totpEnrolled()))).toEqual([]);
      expect(
        activeFactorKinds(
          [totpEnrolled(), totpConfirmed()].reduce(mfaDecider.evolve, mfaDecider.initialState()),
        ),
      ).toEqual(['totp']);
    });

    it('allows one active app per user; a new enrolment replaces an unconfirmed one', () => {
      given([totpEnrolled(), totpConfirmed()])
        .when(command('EnrolTotp', { factorId: 'mfa_01k0000000000000000000new1', sealedSecret: 'v1.sealed' }))
        .thenThrows('AUTHN_MFA_TOTP_EXISTS');
      given([totpEnrolled()])
        .when(command('EnrolTotp', { factorId: 'mfa_01k0000000000000000000new1', sealedSecret: 'v1.sealed' }))
        .then([
          {
            type: 'authn.mfa.factor_removed',
            data: { ...user, factorId: totpId, kind: 'totp', reason: 'replaced', removedAt: at },
          },
          totpEnrolled('mfa_01k0000000000000000000new1'),
        ]);
    });

    it('never accepts a time step twice, nor one before the last spent', () => {
      given([totpEnrolled(), totpConfirmed(100)])
        .when(command('UseTotp', { timeStep: 100 }))
        .thenThrows('AUTHN_MFA_CODE_REPLAYED');
      given([totpEnrolled(), totpConfirmed(100), totpUsed(102)])
        .when(command('UseTotp', { timeStep: 101 }))
        .thenThrows('AUTHN_MFA_CODE_REPLAYED');
      given([totpEnrolled(), totpConfirmed(100)])
        .when(command('UseTotp', { timeStep: 101 }))
        .then([totpUsed(101)]);
    });

    it('cannot be used before it is confirmed', () =>
      given([totpEnrolled()])
        .when(command('UseTotp', { timeStep: 101 }))
        .thenThrows('AUTHN_MFA_TOTP_NOT_ENROLLED'));
  });

  describe('WebAuthn', () => {
    it('registers a credential once', () => {
      given([])
        .when(command('RegisterWebauthn', { factorId: keyId, ...securityKey() }))
        .then([keyRegistered()]);
      given([keyRegistered()])
        .when(command('RegisterWebauthn', { factorId: 'mfa_01k000000000000000000000k2', ...securityKey() }))
        .thenThrows('AUTHN_MFA_WEBAUTHN_EXISTS');
      given([])
        .when(command('RegisterWebauthn', { factorId: keyId, ...securityKey({ name: '  ' }) }))
        .thenThrows('AUTHN_MFA_NAME_INVALID');
    });

    it('moves the signature counter forward, and refuses one that does not increase (a cloned authenticator)', () => {
      const use = (counter: number) =>
        command('UseWebauthn', { credentialId: 'Y3JlZGVudGlhbC0x', counter, userVerified: true });
      given([keyRegistered({ counter: 3 })])
        .when(use(4))
        .then([
          {
            type: 'authn.mfa.factor_used',
            data: {
              ...user,
              factorId: keyId,
              kind: 'webauthn',
              timeStep: null,
              counter: 4,
              userVerified: true,
              usedAt: at,
            },
          },
        ]);
      given([keyRegistered({ counter: 3 })])
        .when(use(3))
        .thenThrows('AUTHN_MFA_WEBAUTHN_COUNTER_REGRESSED');
      given([keyRegistered({ counter: 3 })])
        .when(use(0))
        .thenThrows('AUTHN_MFA_WEBAUTHN_COUNTER_REGRESSED');
      // An authenticator without a counter (many passkeys) always sends 0.
      given([keyRegistered({ counter: 0 })])
        .when(use(0))
        .then([
          {
            type: 'authn.mfa.factor_used',
            data: {
              ...user,
              factorId: keyId,
              kind: 'webauthn',
              timeStep: null,
              counter: 0,
              userVerified: true,
              usedAt: at,
            },
          },
        ]);
      given([keyRegistered()])
        .when(command('UseWebauthn', { credentialId: 'b3RoZXI', counter: 9, userVerified: true }))
        .thenThrows('AUTHN_MFA_FACTOR_NOT_FOUND');
    });
  });

  describe('recovery codes', () => {
    it('are a set of ten distinct hashes', () => {
      given([])
        .when(command('GenerateRecoveryCodes', { factorId: codesId, codeHashes: hashes }))
        .then([codesGenerated()]);
      given([])
        .when(
          command('GenerateRecoveryCodes', {
            factorId: codesId,
            codeHashes: [...hashes.slice(1), hashes[1]!],
          }),
        )
        .thenThrows('AUTHN_MFA_RECOVERY_CODES_INVALID');
    });

    it('each works once', () => {
      const used: MfaEvent = {
        type: 'authn.mfa.recovery_code_used',
        data: { ...user, factorId: codesId, codeIndex: 2, remaining: 9, usedAt: at },
      };
      given([codesGenerated()])
        .when(command('UseRecoveryCode', { codeHash: hashes[2]! }))
        .then([used]);
      given([codesGenerated(), used])
        .when(command('UseRecoveryCode', { codeHash: hashes[2]! }))
        .thenThrows('AUTHN_MFA_CODE_INVALID');
      given([])
        .when(command('UseRecoveryCode', { codeHash: hashes[2]! }))
        .thenThrows('AUTHN_MFA_CODE_INVALID');
    });

    it('regenerating replaces the whole set', () =>
      given([codesGenerated(), codesGenerated('mfa_01k00000000000000000code2')])
        .when(command('UseRecoveryCode', { codeHash: hashes[0]! }))
        .then([
          {
            type: 'authn.mfa.recovery_code_used',
            data: {
              ...user,
              factorId: 'mfa_01k00000000000000000code2',
              codeIndex: 0,
              remaining: 9,
              usedAt: at,
            },
          },
        ]));

    it('are active while one is unspent', () => {
      const spent = hashes.map((_hash, codeIndex): MfaEvent => ({
        type: 'authn.mfa.recovery_code_used',
        data: { ...user, factorId: codesId, codeIndex, remaining: 9 - codeIndex, usedAt: at },
      }));
      const state = (events: MfaEvent[]) => events.reduce(mfaDecider.evolve, mfaDecider.initialState());
      expect(activeFactorKinds(state([codesGenerated(), ...spent.slice(1)]))).toEqual(['recovery_codes']);
      expect(activeFactorKinds(state([codesGenerated(), ...spent]))).toEqual([]);
    });
  });

  it('removes a factor of any kind, and only one the user has', () => {
    for (const [events, factorId, kind] of [
      [[totpEnrolled(), totpConfirmed()], totpId, 'totp'],
      [[keyRegistered()], keyId, 'webauthn'],
      [[codesGenerated()], codesId, 'recovery_codes'],
    ] as const)
      given(events)
        .when(command('RemoveFactor', { factorId }))
        .then([
          {
            type: 'authn.mfa.factor_removed',
            data: { ...user, factorId, kind, reason: 'admin', removedAt: at },
          },
        ]);
    given([keyRegistered()])
      .when(command('RemoveFactor', { factorId: totpId }))
      .thenThrows('AUTHN_MFA_FACTOR_NOT_FOUND');
    const removed = [
      keyRegistered(),
      {
        type: 'authn.mfa.factor_removed',
        data: { ...user, factorId: keyId, kind: 'webauthn', reason: 'admin', removedAt: at },
      } as MfaEvent,
    ];
    expect(removed.reduce(mfaDecider.evolve, mfaDecider.initialState()).webauthn).toEqual([]);
  });
});
