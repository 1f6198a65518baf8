import { type MfaEvent, type MfaFactorKind, mfaStream, RECOVERY_CODE_COUNT } from '@mandate/contracts';
import {
  activeFactorKinds,
  afterFailure,
  assertFactorAllowed,
  assertNotLocked,
  DEFAULT_LOCKOUT,
  type LockoutPolicy,
  mfaCodeInvalid,
  mfaDecider,
  type MfaFactors,
  mfaFactorNotFound,
  type MfaPolicy,
  type MfaRequirement,
  mfaRequirement,
  type MfaAttempts,
  type RelyingParty,
  validRelyingParty,
  type VerifiedFactor,
  type WebauthnTransport,
} from '@mandate/authn-domain';
import { type EventStore } from '@mandate/eventstore';
import { DomainError, fold, type RecordedEvent } from '@mandate/kernel';
import { type ContextWriter, prefixedId, type SecretBox } from '@mandate/platform';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { generateSecret, generateURI, verify as verifyOtp } from 'otplib';
import { createHash, randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';

/** A factor as the management API shows it: never a secret, a public key or a code. */
export interface MfaFactorView {
  readonly factorId: string;
  readonly kind: MfaFactorKind;
  readonly status: 'pending' | 'active';
  readonly name: string | null;
  readonly transports: string[];
  readonly details: Record<string, unknown>;
  readonly createdAt: string;
  readonly confirmedAt: string | null;
  readonly lastUsedAt: string | null;
}

interface FactorRow {
  factor_id: string;
  kind: MfaFactorKind;
  status: 'pending' | 'active';
  name: string | null;
  transports: string[];
  details: Record<string, unknown>;
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
}

const toView = (row: FactorRow): MfaFactorView => ({
  factorId: row.factor_id,
  kind: row.kind,
  status: row.status,
  name: row.name,
  transports: row.transports,
  details: row.details,
  createdAt: row.created_at.toISOString(),
  confirmedAt: row.confirmed_at?.toISOString() ?? null,
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
});

/** A second factor passed: which one, and what `authenticationContext` needs to state it in `amr`. */
export interface VerifiedMfa {
  readonly factorId: string;
  readonly factor: VerifiedFactor;
}

export interface TotpEnrolment {
  readonly factorId: string;
  /** For the QR code; it holds the secret, so show it once and never log it. */
  readonly otpauthUri: string;
  /** Base32, for typing in by hand. */
  readonly secret: string;
}

export interface MfaServiceOptions {
  readonly lockout?: LockoutPolicy;
  /** How long a WebAuthn challenge may be answered. */
  readonly challengeTtlMs?: number;
  /** The issuer authenticator apps show beside the account. */
  readonly totpIssuer?: string;
}

const DEFAULT_CHALLENGE_TTL_MS = 5 * 60_000;
const TOTP_CODE = /^\d{6}$/;
/** ±1 time step of 30 s around now, for clocks that drift and codes typed slowly. */
const TOTP_TOLERANCE_SECONDS = 30;
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const TRANSPORTS = new Set<string>(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const webauthnInvalid = (reason: string) =>
  new DomainError('forbidden', 'AUTHN_MFA_WEBAUTHN_INVALID', `The WebAuthn response was refused: ${reason}`);
const userNotFound = () =>
  new DomainError('not_found', 'AUTHN_USER_NOT_FOUND', 'The organization has no such active user');

/** 80 random bits as 16 Crockford base32 characters, `xxxx-xxxx-xxxx-xxxx`. */
const newRecoveryCode = (): string => {
  let value = BigInt(`0x${randomBytes(10).toString('hex')}`);
  let code = '';
  for (let i = 0; i < 16; i++) {
    code = CROCKFORD[Number(value & 31n)]! + code;
    value >>= 5n;
  }
  return code.match(/.{4}/g)!.join('-');
};

/** Case, separators and the look-alikes Crockford base32 folds (I, L → 1; O → 0) do not matter. */
const recoveryCodeHash = (code: string): string =>
  createHash('sha256')
    .update(code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0'))
    .digest('hex');

/** The challenge a WebAuthn response answers, read from its client data (verified again by the library). */
const challengeOf = (clientDataJSON: unknown): string => {
  try {
    const parsed = JSON.parse(Buffer.from(String(clientDataJSON), 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    if (typeof parsed.challenge === 'string' && parsed.challenge.length > 0) return parsed.challenge;
  } catch {
    // falls through to the refusal
  }
  throw webauthnInvalid('clientDataJSON is not readable');
};

/**
 * Second factors of an organization's users: TOTP apps, WebAuthn security keys and passkeys, and
 * recovery codes. Factors are events in one `mfa-<userId>` stream, decided by `mfaDecider` (one
 * active TOTP, spent time steps, signature counters, single-use codes); challenges and failed
 * attempts are operational rows. The sign-in flow calls the verify methods after the IdP step.
 */
export class MfaService {
  private readonly execute;
  private readonly lockout: LockoutPolicy;
  private readonly challengeTtlMs: number;
  private readonly totpIssuer: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly writer: ContextWriter,
    private readonly secrets: SecretBox,
    options: MfaServiceOptions = {},
  ) {
    this.execute = writer.handlerFor(mfaDecider);
    this.lockout = options.lockout ?? DEFAULT_LOCKOUT;
    this.challengeTtlMs = options.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS;
    this.totpIssuer = options.totpIssuer ?? 'Mandate';
  }

  // ---- reading and removing ----

  async listFactors(orgId: string, userId: string): Promise<MfaFactorView[]> {
    await this.user(orgId, userId);
    const rows: FactorRow[] = await this.dataSource.query(
      `select * from authn.mfa_factors where org_id = $1 and user_id = $2 order by created_at, factor_id`,
      [orgId, userId],
    );
    return rows.map(toView);
  }

  async getFactor(orgId: string, userId: string, factorId: string): Promise<MfaFactorView> {
    const rows: FactorRow[] = await this.dataSource.query(
      'select * from authn.mfa_factors where factor_id = $1 and org_id = $2 and user_id = $3',
      [factorId, orgId, userId],
    );
    if (!rows[0]) throw mfaFactorNotFound();
    return toView(rows[0]);
  }

  async removeFactor(orgId: string, userId: string, factorId: string): Promise<void> {
    await this.user(orgId, userId);
    await this.execute(mfaStream(userId), orgId, 'RemoveFactor', { orgId, userId, factorId });
  }

  /** What the sign-in asks of this user next, under the organization's policy and what the IdP asserted. */
  async requirement(
    orgId: string,
    userId: string,
    policy: MfaPolicy,
    upstreamAmr: readonly string[],
  ): Promise<MfaRequirement> {
    await this.user(orgId, userId);
    return mfaRequirement(policy, activeFactorKinds(await this.factors(userId)), upstreamAmr);
  }

  // ---- TOTP ----

  async enrolTotp(orgId: string, userId: string): Promise<TotpEnrolment> {
    const user = await this.user(orgId, userId);
    const factorId = prefixedId('mfa');
    const secret = generateSecret();
    await this.execute(mfaStream(userId), orgId, 'EnrolTotp', {
      orgId,
      userId,
      factorId,
      sealedSecret: this.secrets.seal(secret, secretContext(orgId, userId, factorId)),
    });
    const otpauthUri = generateURI({ issuer: this.totpIssuer, label: user.email ?? user.user_name, secret });
    return { factorId, otpauthUri, secret };
  }

  /** Activates a pending TOTP with a first valid code; that code's time step is spent. */
  async confirmTotp(orgId: string, userId: string, factorId: string, code: string): Promise<MfaFactorView> {
    await this.user(orgId, userId);
    await this.limited(orgId, userId, async () => {
      const { totp } = await this.factors(userId);
      if (totp?.factorId !== factorId) throw mfaFactorNotFound();
      const timeStep = await this.totpTimeStep(orgId, userId, totp.factorId, totp.sealedSecret, code);
      await this.execute(mfaStream(userId), orgId, 'ConfirmTotp', { orgId, userId, factorId, timeStep });
    });
    return this.getFactor(orgId, userId, factorId);
  }

  async verifyTotp(orgId: string, userId: string, code: string, policy?: MfaPolicy): Promise<VerifiedMfa> {
    await this.user(orgId, userId);
    if (policy) assertFactorAllowed(policy, 'totp');
    return this.limited(orgId, userId, async () => {
      const { totp } = await this.factors(userId);
      if (totp?.status !== 'active')
        throw new DomainError(
          'precondition_failed',
          'AUTHN_MFA_TOTP_NOT_ENROLLED',
          'The user has no authenticator app',
        );
      const timeStep = await this.totpTimeStep(orgId, userId, totp.factorId, totp.sealedSecret, code);
      await this.execute(mfaStream(userId), orgId, 'UseTotp', { orgId, userId, timeStep });
      return { factorId: totp.factorId, factor: { kind: 'totp' } };
    });
  }

  /** The time step the code belongs to, within ±1 step of now; whether it was spent is the decider's call. */
  private async totpTimeStep(
    orgId: string,
    userId: string,
    factorId: string,
    sealedSecret: string,
    code: string,
  ): Promise<number> {
    const token = code.replace(/\s/g, '');
    if (!TOTP_CODE.test(token)) throw mfaCodeInvalid();
    const result = await verifyOtp({
      secret: this.secrets.open(sealedSecret, secretContext(orgId, userId, factorId)),
      token,
      epoch: Math.floor(this.writer.clock().getTime() / 1000),
      epochTolerance: TOTP_TOLERANCE_SECONDS,
    });
    if (!result.valid || !('timeStep' in result)) throw mfaCodeInvalid();
    return result.timeStep;
  }

  // ---- recovery codes ----

  /** Ten new codes, shown this once; the earlier set stops working. */
  async generateRecoveryCodes(orgId: string, userId: string): Promise<{ factorId: string; codes: string[] }> {
    await this.user(orgId, userId);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const factorId = prefixedId('mfa');
    await this.execute(mfaStream(userId), orgId, 'GenerateRecoveryCodes', {
      orgId,
      userId,
      factorId,
      codeHashes: codes.map(recoveryCodeHash),
    });
    return { factorId, codes };
  }

  async useRecoveryCode(
    orgId: string,
    userId: string,
    code: string,
    policy?: MfaPolicy,
  ): Promise<VerifiedMfa & { remaining: number }> {
    await this.user(orgId, userId);
    if (policy) assertFactorAllowed(policy, 'recovery_codes');
    return this.limited(orgId, userId, async () => {
      if (code.length > 64) throw mfaCodeInvalid();
      const { newEvents } = await this.execute(mfaStream(userId), orgId, 'UseRecoveryCode', {
        orgId,
        userId,
        codeHash: recoveryCodeHash(code),
      });
      const used = newEvents.find((event) => event.type === 'authn.mfa.recovery_code_used');
      if (used?.type !== 'authn.mfa.recovery_code_used') throw mfaCodeInvalid();
      return {
        factorId: used.data.factorId,
        factor: { kind: 'recovery_codes' },
        remaining: used.data.remaining,
      };
    });
  }

  // ---- WebAuthn ----

  async webauthnRegistrationOptions(
    orgId: string,
    userId: string,
    relyingParty: RelyingParty,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.user(orgId, userId);
    const rp = validRelyingParty(relyingParty);
    const { webauthn } = await this.factors(userId);
    const options = await generateRegistrationOptions({
      rpName: rp.rpName,
      rpID: rp.rpId,
      userName: user.email ?? user.user_name,
      userDisplayName: user.name ?? user.user_name,
      userID: Buffer.from(userId, 'utf8'),
      attestationType: 'none',
      timeout: this.challengeTtlMs,
      excludeCredentials: webauthn.map((credential) => ({
        id: credential.credentialId,
        transports: [...credential.transports],
      })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await this.saveChallenge(orgId, userId, 'registration', options.challenge, rp);
    return options;
  }

  async verifyWebauthnRegistration(
    orgId: string,
    userId: string,
    response: RegistrationResponseJSON,
    name = 'Security key',
  ): Promise<MfaFactorView> {
    await this.user(orgId, userId);
    const challenge = await this.consumeChallenge(
      orgId,
      userId,
      'registration',
      response.response.clientDataJSON,
    );
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: challenge.origin,
        expectedRPID: challenge.rp_id,
        requireUserVerification: false,
      });
    } catch (error) {
      throw webauthnInvalid((error as Error).message);
    }
    if (!verified.verified) throw webauthnInvalid('the attestation did not verify');
    const info = verified.registrationInfo;
    const factorId = prefixedId('mfa');
    await this.execute(mfaStream(userId), orgId, 'RegisterWebauthn', {
      orgId,
      userId,
      factorId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: (response.response.transports ?? []).filter((transport): transport is WebauthnTransport =>
        TRANSPORTS.has(transport),
      ),
      name,
      aaguid: info.aaguid,
      userVerified: info.userVerified,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    });
    return this.getFactor(orgId, userId, factorId);
  }

  async webauthnAuthenticationOptions(
    orgId: string,
    userId: string,
    relyingParty: RelyingParty,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.user(orgId, userId);
    const rp = validRelyingParty(relyingParty);
    const { webauthn } = await this.factors(userId);
    if (webauthn.length === 0)
      throw new DomainError(
        'precondition_failed',
        'AUTHN_MFA_WEBAUTHN_NOT_ENROLLED',
        'The user has no security key or passkey',
      );
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId,
      timeout: this.challengeTtlMs,
      userVerification: 'preferred',
      allowCredentials: webauthn.map((credential) => ({
        id: credential.credentialId,
        transports: [...credential.transports],
      })),
    });
    await this.saveChallenge(orgId, userId, 'authentication', options.challenge, rp);
    return options;
  }

  async verifyWebauthnAuthentication(
    orgId: string,
    userId: string,
    response: AuthenticationResponseJSON,
    policy?: MfaPolicy,
  ): Promise<VerifiedMfa> {
    await this.user(orgId, userId);
    if (policy) assertFactorAllowed(policy, 'webauthn');
    return this.limited(orgId, userId, async () => {
      const challenge = await this.consumeChallenge(
        orgId,
        userId,
        'authentication',
        response.response.clientDataJSON,
      );
      const { webauthn } = await this.factors(userId);
      const credential = webauthn.find((candidate) => candidate.credentialId === response.id);
      if (!credential) throw webauthnInvalid('the credential is not registered to this user');
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge.challenge,
          expectedOrigin: challenge.origin,
          expectedRPID: challenge.rp_id,
          // The decider owns the counter rule (with its own error code); given 0, the library never refuses on it.
          credential: {
            id: credential.credentialId,
            publicKey: Buffer.from(credential.publicKey, 'base64url'),
            counter: 0,
            transports: [...credential.transports],
          },
          requireUserVerification: false,
        });
      } catch (error) {
        throw webauthnInvalid((error as Error).message);
      }
      if (!verified.verified) throw webauthnInvalid('the signature did not verify');
      const { newCounter, userVerified } = verified.authenticationInfo;
      await this.execute(mfaStream(userId), orgId, 'UseWebauthn', {
        orgId,
        userId,
        credentialId: credential.credentialId,
        counter: newCounter,
        userVerified,
      });
      return {
        factorId: credential.factorId,
        factor: { kind: 'webauthn', userVerified, deviceType: credential.deviceType },
      };
    });
  }

  // ---- state, challenges, attempts ----

  private async factors(userId: string): Promise<MfaFactors> {
    const { events } = await this.store.readStream(mfaStream(userId));
    return fold(
      mfaDecider,
      events.map((event: RecordedEvent) => ({ type: event.type, data: event.data }) as MfaEvent),
    );
  }

  private async user(orgId: string, userId: string) {
    const [user] = await this.dataSource.query<
      { user_name: string; email: string | null; name: string | null }[]
    >(
      "select user_name, email, name from authn.users where user_id = $1 and org_id = $2 and status = 'active'",
      [userId, orgId],
    );
    if (!user) throw userNotFound();
    return user;
  }

  private async saveChallenge(
    orgId: string,
    userId: string,
    purpose: 'registration' | 'authentication',
    challenge: string,
    rp: RelyingParty,
  ): Promise<void> {
    const now = this.writer.clock();
    await this.dataSource.query('delete from authn.mfa_challenges where expires_at < $1', [now]);
    await this.dataSource.query(
      `insert into authn.mfa_challenges (challenge, org_id, user_id, purpose, rp_id, origin, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [challenge, orgId, userId, purpose, rp.rpId, rp.origin, new Date(now.getTime() + this.challengeTtlMs)],
    );
  }

  /** Takes the challenge the response answers: it works once, for this user and ceremony, until it expires. */
  private async consumeChallenge(
    orgId: string,
    userId: string,
    purpose: 'registration' | 'authentication',
    clientDataJSON: unknown,
  ): Promise<{ challenge: string; rp_id: string; origin: string }> {
    const [rows] = await this.dataSource.query<
      [{ challenge: string; rp_id: string; origin: string; expires_at: Date }[], number]
    >(
      `delete from authn.mfa_challenges where challenge = $1 and org_id = $2 and user_id = $3 and purpose = $4
       returning challenge, rp_id, origin, expires_at`,
      [challengeOf(clientDataJSON), orgId, userId, purpose],
    );
    const [challenge] = rows;
    if (!challenge)
      throw new DomainError(
        'forbidden',
        'AUTHN_MFA_CHALLENGE_INVALID',
        'The response answers no open challenge; ask for new options',
      );
    if (challenge.expires_at <= this.writer.clock())
      throw new DomainError(
        'forbidden',
        'AUTHN_MFA_CHALLENGE_EXPIRED',
        'The challenge has expired; ask for new options',
      );
    return challenge;
  }

  /**
   * Runs a check under the user's attempt limit. Each attempt is counted as a failure before it
   * runs, in a transaction holding the user's row, so parallel guesses cannot outrun the lock; only
   * a success clears the count.
   */
  private async limited<T>(orgId: string, userId: string, check: () => Promise<T>): Promise<T> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        'insert into authn.mfa_attempts (org_id, user_id, failures) values ($1, $2, 0) on conflict do nothing',
        [orgId, userId],
      );
      const [row] = await manager.query<{ failures: number; locked_until: Date | null }[]>(
        'select failures, locked_until from authn.mfa_attempts where org_id = $1 and user_id = $2 for update',
        [orgId, userId],
      );
      const attempts: MfaAttempts = { failures: row!.failures, lockedUntil: row!.locked_until };
      const now = this.writer.clock();
      assertNotLocked(attempts, now);
      const counted = afterFailure(attempts, now, this.lockout);
      await manager.query(
        'update authn.mfa_attempts set failures = $3, locked_until = $4 where org_id = $1 and user_id = $2',
        [orgId, userId, counted.failures, counted.lockedUntil],
      );
    });
    const result = await check();
    await this.dataSource.query(
      'update authn.mfa_attempts set failures = 0, locked_until = null where org_id = $1 and user_id = $2',
      [orgId, userId],
    );
    return result;
  }
}

/** The sealed TOTP secret opens only for the factor it was sealed for. */
const secretContext = (orgId: string, userId: string, factorId: string): string =>
  `mfa:${orgId}:${userId}:${factorId}`;
