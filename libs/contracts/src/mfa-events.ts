import { z } from 'zod';
import { orgIdSchema, userIdSchema } from './directory-events';
import { defineIntegrationEvent, type EventOf } from './integration-events';

/** `mfa_` + 26 Crockford base32 characters: one factor of a user (a TOTP app, a passkey, a set of recovery codes). */
export const mfaFactorIdSchema = z.string().regex(/^mfa_[0-9a-z]{26}$/);
export const mfaFactorKindSchema = z.enum(['totp', 'webauthn', 'recovery_codes']);
export type MfaFactorKind = z.infer<typeof mfaFactorKindSchema>;

const at = z.iso.datetime();
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
/** SHA-256, hex: what is kept of a recovery code. */
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** A TOTP time step (RFC 6238 `T`): seconds since the epoch divided by the period. */
const timeStep = z.number().int().nonnegative();
const factorKey = { orgId: orgIdSchema, userId: userIdSchema, factorId: mfaFactorIdSchema };

export const RECOVERY_CODE_COUNT = 10;

/** A TOTP authenticator app was set up; it is pending until a first valid code confirms it. */
export const MfaTotpEnrolledV1 = defineIntegrationEvent(
  'authn.mfa.totp_enrolled',
  1,
  z.strictObject({
    ...factorKey,
    /** The shared secret, sealed with the authn context's secret box; never in clear. */
    sealedSecret: z.string().min(1).max(500),
    algorithm: z.literal('SHA1'),
    digits: z.literal(6),
    period: z.literal(30),
    enrolledAt: at,
  }),
);

/** The user proved the app holds the secret; the code's time step is spent. */
export const MfaTotpConfirmedV1 = defineIntegrationEvent(
  'authn.mfa.totp_confirmed',
  1,
  z.strictObject({ ...factorKey, timeStep, confirmedAt: at }),
);

export const webauthnTransportSchema = z.enum([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
]);

/** A WebAuthn credential (security key or passkey) was registered. */
export const MfaWebauthnRegisteredV1 = defineIntegrationEvent(
  'authn.mfa.webauthn_registered',
  1,
  z.strictObject({
    ...factorKey,
    credentialId: base64url.max(1400),
    /** The COSE public key, base64url. */
    publicKey: base64url.max(2000),
    counter: z.number().int().nonnegative(),
    transports: z.array(webauthnTransportSchema).max(7),
    name: z.string().min(1).max(100),
    aaguid: z.string().max(36),
    userVerified: z.boolean(),
    /** `multiDevice`: a synced passkey; `singleDevice`: bound to one authenticator. */
    deviceType: z.enum(['singleDevice', 'multiDevice']),
    backedUp: z.boolean(),
    registeredAt: at,
  }),
);

/** A new set of recovery codes, replacing any earlier set; only their hashes are kept. */
export const MfaRecoveryCodesGeneratedV1 = defineIntegrationEvent(
  'authn.mfa.recovery_codes_generated',
  1,
  z.strictObject({
    ...factorKey,
    codeHashes: z.array(sha256Hex).length(RECOVERY_CODE_COUNT),
    generatedAt: at,
  }),
);

/** One recovery code was spent; it never works again. */
export const MfaRecoveryCodeUsedV1 = defineIntegrationEvent(
  'authn.mfa.recovery_code_used',
  1,
  z.strictObject({
    ...factorKey,
    codeIndex: z
      .number()
      .int()
      .min(0)
      .max(RECOVERY_CODE_COUNT - 1),
    remaining: z.number().int().min(0).max(RECOVERY_CODE_COUNT),
    usedAt: at,
  }),
);

/**
 * A factor passed a sign-in check. For TOTP the time step is spent (replay protection); for WebAuthn
 * the signature counter moves on (a lower one later means a cloned authenticator).
 */
export const MfaFactorUsedV1 = defineIntegrationEvent(
  'authn.mfa.factor_used',
  1,
  z.strictObject({
    ...factorKey,
    kind: z.enum(['totp', 'webauthn']),
    timeStep: timeStep.nullable(),
    counter: z.number().int().nonnegative().nullable(),
    userVerified: z.boolean().nullable(),
    usedAt: at,
  }),
);

export const MfaFactorRemovedV1 = defineIntegrationEvent(
  'authn.mfa.factor_removed',
  1,
  z.strictObject({
    ...factorKey,
    kind: mfaFactorKindSchema,
    /** `replaced`: a new pending TOTP enrolment took the place of an unconfirmed one. */
    reason: z.enum(['admin', 'replaced']),
    removedAt: at,
  }),
);

export type MfaTotpEnrolled = EventOf<typeof MfaTotpEnrolledV1>;
export type MfaTotpConfirmed = EventOf<typeof MfaTotpConfirmedV1>;
export type MfaWebauthnRegistered = EventOf<typeof MfaWebauthnRegisteredV1>;
export type MfaRecoveryCodesGenerated = EventOf<typeof MfaRecoveryCodesGeneratedV1>;
export type MfaRecoveryCodeUsed = EventOf<typeof MfaRecoveryCodeUsedV1>;
export type MfaFactorUsed = EventOf<typeof MfaFactorUsedV1>;
export type MfaFactorRemoved = EventOf<typeof MfaFactorRemovedV1>;
export type MfaEvent =
  | MfaTotpEnrolled
  | MfaTotpConfirmed
  | MfaWebauthnRegistered
  | MfaRecoveryCodesGenerated
  | MfaRecoveryCodeUsed
  | MfaFactorUsed
  | MfaFactorRemoved;

/** Every factor of a user lives in one stream, so one-active-TOTP and replay checks are decided together. */
export const mfaStream = (userId: string): string => `mfa-${userId}`;
