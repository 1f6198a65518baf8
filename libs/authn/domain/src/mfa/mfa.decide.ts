import { type MfaEvent, type MfaFactorKind, RECOVERY_CODE_COUNT } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data & { readonly orgId: string; readonly userId: string };
  readonly now: Date;
}

export type WebauthnTransport = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb';

export interface TotpFactor {
  readonly factorId: string;
  readonly status: 'pending' | 'active';
  readonly sealedSecret: string;
  readonly enrolledAt: string;
  readonly confirmedAt: string | null;
  /** The last time step spent, by confirmation or sign-in: no code of that step or earlier is accepted. */
  readonly lastTimeStep: number | null;
}

export interface WebauthnFactor {
  readonly factorId: string;
  readonly credentialId: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly WebauthnTransport[];
  readonly name: string;
  readonly aaguid: string;
  readonly userVerified: boolean;
  readonly deviceType: 'singleDevice' | 'multiDevice';
  readonly backedUp: boolean;
  readonly registeredAt: string;
  readonly lastUsedAt: string | null;
}

export interface RecoveryCodes {
  readonly factorId: string;
  readonly codes: readonly { readonly hash: string; readonly usedAt: string | null }[];
  readonly generatedAt: string;
}

/** A user's second factors. */
export interface MfaFactors {
  readonly totp: TotpFactor | null;
  readonly webauthn: readonly WebauthnFactor[];
  readonly recoveryCodes: RecoveryCodes | null;
}

export type WebauthnCredentialInput = Omit<WebauthnFactor, 'factorId' | 'registeredAt' | 'lastUsedAt'>;

export type EnrolTotp = Command<'EnrolTotp', { factorId: string; sealedSecret: string }>;
/** The code was checked against the secret by the caller; the decision is about its time step. */
export type ConfirmTotp = Command<'ConfirmTotp', { factorId: string; timeStep: number }>;
export type UseTotp = Command<'UseTotp', { timeStep: number }>;
export type RegisterWebauthn = Command<'RegisterWebauthn', { factorId: string } & WebauthnCredentialInput>;
/** The assertion's signature was checked by the caller; the decision is about its counter. */
export type UseWebauthn = Command<
  'UseWebauthn',
  { credentialId: string; counter: number; userVerified: boolean }
>;
export type GenerateRecoveryCodes = Command<
  'GenerateRecoveryCodes',
  { factorId: string; codeHashes: readonly string[] }
>;
export type UseRecoveryCode = Command<'UseRecoveryCode', { codeHash: string }>;
export type RemoveFactor = Command<'RemoveFactor', { factorId: string }>;
export type MfaCommand =
  | EnrolTotp
  | ConfirmTotp
  | UseTotp
  | RegisterWebauthn
  | UseWebauthn
  | GenerateRecoveryCodes
  | UseRecoveryCode
  | RemoveFactor;

/** A user may register at most this many security keys and passkeys. */
export const MAX_WEBAUTHN_CREDENTIALS = 20;

export const mfaFactorNotFound = () =>
  new DomainError('not_found', 'AUTHN_MFA_FACTOR_NOT_FOUND', 'The user has no such factor');
export const mfaCodeInvalid = () =>
  new DomainError('forbidden', 'AUTHN_MFA_CODE_INVALID', 'The code is wrong or has expired');
const codeReplayed = () =>
  new DomainError(
    'forbidden',
    'AUTHN_MFA_CODE_REPLAYED',
    'This code was already used; wait for the next one',
  );

/** The factors a user may sign in with: a confirmed TOTP, any WebAuthn credential, unspent recovery codes. */
export const activeFactorKinds = (state: MfaFactors): MfaFactorKind[] => [
  ...(state.totp?.status === 'active' ? (['totp'] as const) : []),
  ...(state.webauthn.length > 0 ? (['webauthn'] as const) : []),
  ...(state.recoveryCodes?.codes.some((code) => code.usedAt === null) ? (['recovery_codes'] as const) : []),
];

const spend = (lastTimeStep: number | null, timeStep: number): void => {
  if (lastTimeStep !== null && timeStep <= lastTimeStep) throw codeReplayed();
};

const decide = (command: MfaCommand, state: MfaFactors): MfaEvent[] => {
  const { orgId, userId } = command.data;
  const at = command.now.toISOString();
  switch (command.type) {
    case 'EnrolTotp': {
      if (state.totp?.status === 'active')
        throw new DomainError(
          'conflict',
          'AUTHN_MFA_TOTP_EXISTS',
          'The user already has an authenticator app; remove it before enrolling another',
        );
      const replaced: MfaEvent[] = state.totp
        ? [
            {
              type: 'authn.mfa.factor_removed',
              data: {
                orgId,
                userId,
                factorId: state.totp.factorId,
                kind: 'totp',
                reason: 'replaced',
                removedAt: at,
              },
            },
          ]
        : [];
      const { factorId, sealedSecret } = command.data;
      return [
        ...replaced,
        {
          type: 'authn.mfa.totp_enrolled',
          data: {
            orgId,
            userId,
            factorId,
            sealedSecret,
            algorithm: 'SHA1',
            digits: 6,
            period: 30,
            enrolledAt: at,
          },
        },
      ];
    }
    case 'ConfirmTotp': {
      const { totp } = state;
      if (totp?.factorId !== command.data.factorId) throw mfaFactorNotFound();
      if (totp.status === 'active') return [];
      spend(totp.lastTimeStep, command.data.timeStep);
      return [
        {
          type: 'authn.mfa.totp_confirmed',
          data: { orgId, userId, factorId: totp.factorId, timeStep: command.data.timeStep, confirmedAt: at },
        },
      ];
    }
    case 'UseTotp': {
      const { totp } = state;
      if (totp?.status !== 'active')
        throw new DomainError(
          'precondition_failed',
          'AUTHN_MFA_TOTP_NOT_ENROLLED',
          'The user has no authenticator app',
        );
      spend(totp.lastTimeStep, command.data.timeStep);
      return [
        {
          type: 'authn.mfa.factor_used',
          data: {
            orgId,
            userId,
            factorId: totp.factorId,
            kind: 'totp',
            timeStep: command.data.timeStep,
            counter: null,
            userVerified: null,
            usedAt: at,
          },
        },
      ];
    }
    case 'RegisterWebauthn': {
      const { factorId, ...credential } = command.data;
      if (state.webauthn.some((existing) => existing.credentialId === credential.credentialId))
        throw new DomainError(
          'conflict',
          'AUTHN_MFA_WEBAUTHN_EXISTS',
          'This credential is already registered',
        );
      if (state.webauthn.length >= MAX_WEBAUTHN_CREDENTIALS)
        throw new DomainError(
          'precondition_failed',
          'AUTHN_MFA_WEBAUTHN_LIMIT',
          `A user has at most ${MAX_WEBAUTHN_CREDENTIALS} security keys and passkeys`,
        );
      const name = credential.name.trim();
      if (name.length === 0 || name.length > 100)
        throw new DomainError('invalid', 'AUTHN_MFA_NAME_INVALID', 'A name has 1 to 100 characters');
      return [
        {
          type: 'authn.mfa.webauthn_registered',
          data: {
            orgId,
            userId,
            factorId,
            credentialId: credential.credentialId,
            publicKey: credential.publicKey,
            counter: credential.counter,
            transports: [...new Set(credential.transports)],
            name,
            aaguid: credential.aaguid,
            userVerified: credential.userVerified,
            deviceType: credential.deviceType,
            backedUp: credential.backedUp,
            registeredAt: at,
          },
        },
      ];
    }
    case 'UseWebauthn': {
      const credential = state.webauthn.find(
        (existing) => existing.credentialId === command.data.credentialId,
      );
      if (!credential) throw mfaFactorNotFound();
      const { counter, userVerified } = command.data;
      // WebAuthn §6.1.1: authenticators without a counter always send 0; otherwise it must move forward.
      if ((counter !== 0 || credential.counter !== 0) && counter <= credential.counter)
        throw new DomainError(
          'forbidden',
          'AUTHN_MFA_WEBAUTHN_COUNTER_REGRESSED',
          'The signature counter did not increase: the authenticator may have been cloned',
          { factorId: credential.factorId },
        );
      return [
        {
          type: 'authn.mfa.factor_used',
          data: {
            orgId,
            userId,
            factorId: credential.factorId,
            kind: 'webauthn',
            timeStep: null,
            counter,
            userVerified,
            usedAt: at,
          },
        },
      ];
    }
    case 'GenerateRecoveryCodes': {
      const { factorId, codeHashes } = command.data;
      if (codeHashes.length !== RECOVERY_CODE_COUNT || new Set(codeHashes).size !== RECOVERY_CODE_COUNT)
        throw new DomainError(
          'invalid',
          'AUTHN_MFA_RECOVERY_CODES_INVALID',
          `A set holds ${RECOVERY_CODE_COUNT} distinct codes`,
        );
      return [
        {
          type: 'authn.mfa.recovery_codes_generated',
          data: { orgId, userId, factorId, codeHashes: [...codeHashes], generatedAt: at },
        },
      ];
    }
    case 'UseRecoveryCode': {
      const set = state.recoveryCodes;
      const codeIndex = set?.codes.findIndex(
        (code) => code.hash === command.data.codeHash && code.usedAt === null,
      );
      if (!set || codeIndex === undefined || codeIndex < 0) throw mfaCodeInvalid();
      const remaining = set.codes.filter((code) => code.usedAt === null).length - 1;
      return [
        {
          type: 'authn.mfa.recovery_code_used',
          data: { orgId, userId, factorId: set.factorId, codeIndex, remaining, usedAt: at },
        },
      ];
    }
    case 'RemoveFactor': {
      const kind = kindOf(state, command.data.factorId);
      if (!kind) throw mfaFactorNotFound();
      return [
        {
          type: 'authn.mfa.factor_removed',
          data: { orgId, userId, factorId: command.data.factorId, kind, reason: 'admin', removedAt: at },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown MFA command');
  }
};

const kindOf = (state: MfaFactors, factorId: string): MfaFactorKind | null =>
  state.totp?.factorId === factorId
    ? 'totp'
    : state.webauthn.some((credential) => credential.factorId === factorId)
      ? 'webauthn'
      : state.recoveryCodes?.factorId === factorId
        ? 'recovery_codes'
        : null;

const evolve = (state: MfaFactors, event: MfaEvent): MfaFactors => {
  switch (event.type) {
    case 'authn.mfa.totp_enrolled': {
      const { factorId, sealedSecret, enrolledAt } = event.data;
      return {
        ...state,
        totp: {
          factorId,
          status: 'pending',
          sealedSecret,
          enrolledAt,
          confirmedAt: null,
          lastTimeStep: null,
        },
      };
    }
    case 'authn.mfa.totp_confirmed':
      return state.totp?.factorId === event.data.factorId
        ? {
            ...state,
            totp: {
              ...state.totp,
              status: 'active',
              confirmedAt: event.data.confirmedAt,
              lastTimeStep: event.data.timeStep,
            },
          }
        : state;
    case 'authn.mfa.webauthn_registered': {
      const { orgId: _orgId, userId: _userId, ...credential } = event.data;
      return { ...state, webauthn: [...state.webauthn, { ...credential, lastUsedAt: null }] };
    }
    case 'authn.mfa.recovery_codes_generated':
      return {
        ...state,
        recoveryCodes: {
          factorId: event.data.factorId,
          codes: event.data.codeHashes.map((hash) => ({ hash, usedAt: null })),
          generatedAt: event.data.generatedAt,
        },
      };
    case 'authn.mfa.recovery_code_used': {
      const set = state.recoveryCodes;
      if (set?.factorId !== event.data.factorId) return state;
      const { codeIndex, usedAt } = event.data;
      return {
        ...state,
        recoveryCodes: {
          ...set,
          codes: set.codes.map((code, index) => (index === codeIndex ? { ...code, usedAt } : code)),
        },
      };
    }
    case 'authn.mfa.factor_used': {
      const { factorId, timeStep, counter, usedAt } = event.data;
      if (event.data.kind === 'totp')
        return state.totp?.factorId === factorId
          ? { ...state, totp: { ...state.totp, lastTimeStep: timeStep } }
          : state;
      return {
        ...state,
        webauthn: state.webauthn.map((credential) =>
          credential.factorId === factorId
            ? { ...credential, counter: counter ?? credential.counter, lastUsedAt: usedAt }
            : credential,
        ),
      };
    }
    case 'authn.mfa.factor_removed': {
      const { factorId } = event.data;
      return {
        totp: state.totp?.factorId === factorId ? null : state.totp,
        webauthn: state.webauthn.filter((credential) => credential.factorId !== factorId),
        recoveryCodes: state.recoveryCodes?.factorId === factorId ? null : state.recoveryCodes,
      };
    }
    default:
      return assertNever(event, 'Unknown MFA event');
  }
};

/** A user's factors: TOTP, WebAuthn credentials and recovery codes, decided over one stream. */
export const mfaDecider: Decider<MfaFactors, MfaCommand, MfaEvent> = {
  initialState: () => ({ totp: null, webauthn: [], recoveryCodes: null }),
  decide,
  evolve,
};
