import { type MfaFactorKind } from '@mandate/contracts';
import { DomainError } from '@mandate/kernel';

/** What an organization asks of a sign-in: a second factor or not, and which kinds count. */
export interface MfaPolicy {
  readonly required: boolean;
  readonly allowedFactors: readonly MfaFactorKind[];
}

export const ACR_MFA = 'urn:mandate:acr:mfa';
export const ACR_SSO = 'urn:mandate:acr:sso';

/**
 * The next step of a sign-in after the IdP: nothing more, or a second factor among `factors`, or
 * enrolment first because the user has no factor the policy accepts.
 */
export type MfaRequirement =
  | { readonly step: 'none'; readonly reason: 'not_required' | 'asserted_by_idp' }
  | { readonly step: 'verify'; readonly factors: readonly MfaFactorKind[] }
  | { readonly step: 'enrol'; readonly factors: readonly MfaFactorKind[] };

/** RFC 8176 methods by the factor class they prove: something known, something held, something one is. */
const FACTOR_CLASS: Readonly<Record<string, 'knowledge' | 'possession' | 'inherence'>> = {
  pwd: 'knowledge',
  pin: 'knowledge',
  kba: 'knowledge',
  otp: 'possession',
  hwk: 'possession',
  swk: 'possession',
  sc: 'possession',
  sms: 'possession',
  tel: 'possession',
  fpt: 'inherence',
  face: 'inherence',
  iris: 'inherence',
  retina: 'inherence',
  vbm: 'inherence',
};

/** The IdP vouches for multiple factors when it says `mfa`, or names methods of two different classes. */
export const upstreamAssertsMfa = (upstreamAmr: readonly string[]): boolean =>
  upstreamAmr.includes('mfa') ||
  new Set(upstreamAmr.map((method) => FACTOR_CLASS[method]).filter((kind) => kind !== undefined)).size >= 2;

/** The user's active factors that the policy accepts, in the policy's order of preference. */
export const factorsSatisfying = (policy: MfaPolicy, active: readonly MfaFactorKind[]): MfaFactorKind[] =>
  policy.allowedFactors.filter((kind) => active.includes(kind));

export const mfaRequirement = (
  policy: MfaPolicy,
  active: readonly MfaFactorKind[],
  upstreamAmr: readonly string[],
): MfaRequirement => {
  if (!policy.required) return { step: 'none', reason: 'not_required' };
  if (upstreamAssertsMfa(upstreamAmr)) return { step: 'none', reason: 'asserted_by_idp' };
  const factors = factorsSatisfying(policy, active);
  if (factors.length > 0) return { step: 'verify', factors };
  // Recovery codes back up another factor; they are never the first one enrolled.
  return { step: 'enrol', factors: policy.allowedFactors.filter((kind) => kind !== 'recovery_codes') };
};

/** Refuses a factor the organization does not accept, before it is checked. */
export const assertFactorAllowed = (policy: MfaPolicy, kind: MfaFactorKind): void => {
  if (!policy.allowedFactors.includes(kind))
    throw new DomainError(
      'forbidden',
      'AUTHN_MFA_FACTOR_NOT_ALLOWED',
      `The organization does not accept ${kind} as a second factor`,
    );
};

/** The second factor a sign-in passed, as the amr claim needs to know it. */
export type VerifiedFactor =
  | { readonly kind: 'totp' }
  | { readonly kind: 'recovery_codes' }
  | {
      readonly kind: 'webauthn';
      readonly userVerified: boolean;
      /** A synced passkey (`multiDevice`) is a software key; one bound to its authenticator a hardware key. */
      readonly deviceType: 'singleDevice' | 'multiDevice';
    };

const methodsOf = (factor: VerifiedFactor): string[] => {
  switch (factor.kind) {
    case 'totp':
    case 'recovery_codes':
      return ['otp'];
    case 'webauthn':
      // The authenticator verified the user (PIN or biometrics) itself; which one it does not say.
      return [factor.deviceType === 'singleDevice' ? 'hwk' : 'swk', ...(factor.userVerified ? ['user'] : [])];
  }
};

/** RFC 8176 method names: 1 to 32 printable characters without spaces or quotes, as IdPs may send anything. */
const METHOD = /^[\x21\x23-\x5b\x5d-\x7e]{1,32}$/;

/**
 * The `amr` and `acr` of a sign-in: the IdP's methods, then those of the second factor Mandate
 * checked. The IdP step is a factor of its own, so any second factor makes the sign-in `mfa`
 * (`acr` {@link ACR_MFA}); without one, it is `mfa` only when the IdP asserted it.
 */
export const authenticationContext = (
  upstreamAmr: readonly string[],
  factor: VerifiedFactor | null,
): { amr: string[]; acr: string } => {
  const methods = [
    ...upstreamAmr.filter((method) => METHOD.test(method)),
    ...(factor ? methodsOf(factor) : []),
  ];
  const multiFactor = factor !== null || upstreamAssertsMfa(upstreamAmr);
  const amr = [...new Set([...methods, ...(multiFactor ? ['mfa'] : [])])];
  return { amr, acr: multiFactor ? ACR_MFA : ACR_SSO };
};
