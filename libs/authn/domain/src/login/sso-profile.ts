import { type AttributeMapping } from '@mandate/contracts';

/** Who the IdP says the person is, read through the connection's attribute mapping. */
export interface SsoProfile {
  readonly email: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly displayName: string | null;
  readonly groups: readonly string[];
}

const MAX_GROUPS = 200;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

const first = (values: readonly string[] | undefined, max = 256): string | null => {
  const value = values?.find((candidate) => candidate.trim() !== '')?.trim();
  return value === undefined ? null : value.slice(0, max);
};

const emailOf = (value: string | null): string | null =>
  value !== null && EMAIL.test(value) ? value.toLowerCase() : null;

/** Values of a claim or attribute as strings: a string, or an array's strings. */
export const claimValues = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((item): item is string => typeof item === 'string')
      : [];

const groupsOf = (values: readonly string[]): string[] =>
  [
    ...new Set(values.map((group) => group.trim()).filter((group) => group !== '' && group.length <= 500)),
  ].slice(0, MAX_GROUPS);

/**
 * A SAML profile: each field from its mapped attribute. An email-format NameID stands in for a
 * missing email attribute (it is what most IdPs send), but the NameID stays the identity either way.
 */
export const samlProfile = (
  attributes: Readonly<Record<string, readonly string[]>>,
  nameId: { readonly value: string; readonly format: string | null },
  mapping: AttributeMapping,
): SsoProfile => {
  const emailNameId = nameId.format?.endsWith(':emailAddress') ? nameId.value : null;
  return {
    email: emailOf(first(attributes[mapping.email], 320) ?? emailNameId),
    givenName: first(attributes[mapping.givenName]),
    familyName: first(attributes[mapping.familyName]),
    displayName: first(attributes[mapping.displayName]),
    groups: groupsOf(attributes[mapping.groups] ?? []),
  };
};

/**
 * An OIDC profile from the verified claims. An email the IdP does not say it verified is not
 * kept: it could be anything the person typed into their IdP profile.
 */
export const oidcProfile = (
  claims: Readonly<Record<string, unknown>>,
  emailVerified: boolean,
  mapping: AttributeMapping,
): SsoProfile => ({
  email: emailVerified ? emailOf(first(claimValues(claims[mapping.email]), 320)) : null,
  givenName: first(claimValues(claims[mapping.givenName])),
  familyName: first(claimValues(claims[mapping.familyName])),
  displayName: first(claimValues(claims[mapping.displayName])),
  groups: groupsOf(claimValues(claims[mapping.groups])),
});

/** The role keys the connection maps the person's IdP groups to (exact group names), plus `extra`. */
export const rolesForGroups = (
  groups: readonly string[],
  mappings: readonly { readonly group: string; readonly role: string }[],
  extra: readonly string[] = [],
): string[] => {
  const held = new Set(groups);
  return [
    ...new Set([
      ...mappings.filter((mapping) => held.has(mapping.group)).map((mapping) => mapping.role),
      ...extra,
    ]),
  ].sort();
};

/** The user name a just-in-time user gets: their email, or the IdP's subject when there is none. */
export const jitUserName = (profile: SsoProfile, subject: string): string =>
  (profile.email ?? subject).slice(0, 512);

const SAML_CONTEXT_AMR: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/multipleauthn|:MultiFactor|:mfa$/i, ['mfa']],
  [/:(Password|PasswordProtectedTransport)$/, ['pwd']],
  [/:(X509|Smartcard|SmartcardPKI|SoftwarePKI)$/, ['sc']],
  [/:(TimeSyncToken|MobileOneFactorContract|MobileTwoFactorContract)$/, ['otp']],
  [/:(Kerberos|windows)$/i, ['kba']],
];

/**
 * The RFC 8176 methods a SAML `AuthnContextClassRef` stands for (and Entra's `multipleauthn`), so the
 * MFA step and the `amr` claim read SAML and OIDC logins alike. An unknown class says nothing.
 */
export const samlContextAmr = (classRefs: readonly (string | null)[]): string[] => [
  ...new Set(
    classRefs.flatMap(
      (classRef) =>
        SAML_CONTEXT_AMR.find(([pattern]) => classRef !== null && pattern.test(classRef))?.[1] ?? [],
    ),
  ),
];
