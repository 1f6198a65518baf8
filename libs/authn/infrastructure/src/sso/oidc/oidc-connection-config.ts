import { DomainError } from '@mandate/kernel';
import { type JWK } from 'jose';

export type OidcClientAuth = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
export type OidcIdentityKey = 'iss_sub' | 'entra_tid_oid';
export type OidcPrivateJwk = JWK & { kid?: string; alg?: string };

/** An organization's upstream OpenID Provider, as Mandate's relying party sees it. */
export interface OidcConnectionConfig {
  readonly connectionId: string;
  readonly orgId: string;
  /** Pinned: the discovery document's `issuer` must equal it exactly, and so must every ID token's `iss`. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientAuth: OidcClientAuth;
  readonly clientSecret?: string;
  readonly privateJwk?: OidcPrivateJwk;
  /** Where the IdP sends the browser back, e.g. `${mandateIssuer}/sso/oidc/${connectionId}/callback`. */
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  /** Allowed clock difference with the IdP for `exp`, `nbf` and `iat`; never disabled. */
  readonly clockToleranceSeconds: number;
  /** Which claims name the person: `(iss, sub)`, or Entra ID's `tid` + `oid`. Never the email (nOAuth). */
  readonly identity: OidcIdentityKey;
}

export const DEFAULT_OIDC_SCOPES: readonly string[] = ['openid', 'email', 'profile'];
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 120;

/** JWS algorithms a private_key_jwt client key may sign with (asymmetric only). */
export const ASYMMETRIC_SIGNING_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const CLIENT_AUTH_METHODS: readonly OidcClientAuth[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];
const IDENTITY_KEYS: readonly OidcIdentityKey[] = ['iss_sub', 'entra_tid_oid'];
const MAX_TEXT_LENGTH = 2048;

/** A connection configuration refused, naming the field at fault. */
export class OidcConfigError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid', 'AUTHN_SSO_OIDC_CONFIG_INVALID', `${field}: ${message}`, { field });
  }
}

export type OidcConfigValidation =
  | { readonly ok: true; readonly config: OidcConnectionConfig }
  | { readonly ok: false; readonly error: OidcConfigError };

export interface OidcConfigValidationOptions {
  /** Accept `http://` issuer and redirect URIs on loopback hosts (tests and local development only). */
  readonly allowInsecureLoopback?: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const isLoopbackUrl = (url: URL): boolean => LOOPBACK_HOSTS.has(url.hostname);

/** `https:`, or `http:` on a loopback host when insecure loopback is allowed. */
export const isAcceptedTransport = (url: URL, allowInsecureLoopback: boolean): boolean =>
  url.protocol === 'https:' || (allowInsecureLoopback && url.protocol === 'http:' && isLoopbackUrl(url));

const fail = (field: string, message: string): never => {
  throw new OidcConfigError(field, message);
};

const text = (input: Record<string, unknown>, field: string): string => {
  const value = input[field];
  if (typeof value !== 'string' || value.trim() === '')
    return fail(field, 'is required (a non-empty string)');
  if (value.length > MAX_TEXT_LENGTH) return fail(field, `is longer than ${MAX_TEXT_LENGTH} characters`);
  if (value !== value.trim()) return fail(field, 'has leading or trailing whitespace');
  return value;
};

const url = (input: Record<string, unknown>, field: string, options: OidcConfigValidationOptions): string => {
  const value = text(input, field);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail(field, 'is not an absolute URL');
  }
  if (!isAcceptedTransport(parsed, options.allowInsecureLoopback ?? false)) {
    return fail(field, 'must be an https URL');
  }
  if (parsed.hash !== '' || value.includes('#')) return fail(field, 'must not have a fragment');
  if (parsed.username !== '' || parsed.password !== '') return fail(field, 'must not carry credentials');
  return value;
};

const privateJwkOf = (value: unknown): OidcPrivateJwk => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('privateJwk', 'is required for private_key_jwt (a private JWK object)');
  }
  const jwk = value as OidcPrivateJwk;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') {
    return fail('privateJwk', 'must be an RSA, EC or OKP key (symmetric keys are not accepted)');
  }
  if (typeof jwk.d !== 'string' || jwk.d === '') return fail('privateJwk', 'must be a private key (no "d")');
  if (jwk.alg !== undefined && !ASYMMETRIC_SIGNING_ALGORITHMS.includes(jwk.alg)) {
    return fail('privateJwk', `alg ${String(jwk.alg)} is not an asymmetric signing algorithm`);
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) {
    return fail('privateJwk', 'kid must be a non-empty string');
  }
  return jwk;
};

const scopesOf = (value: unknown): string[] => {
  if (value === undefined) return [...DEFAULT_OIDC_SCOPES];
  if (!Array.isArray(value) || value.length === 0)
    return fail('scopes', 'must be a non-empty array of scopes');
  const scopes: string[] = [];
  for (const scope of value as unknown[]) {
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      return fail('scopes', `${JSON.stringify(scope)} is not a valid scope token`);
    }
    if (!scopes.includes(scope)) scopes.push(scope);
  }
  if (!scopes.includes('openid')) return fail('scopes', 'must include openid');
  return scopes;
};

const clockToleranceOf = (value: unknown): number => {
  if (value === undefined) return DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_CLOCK_TOLERANCE_SECONDS
  ) {
    return fail('clockToleranceSeconds', `must be an integer from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  return value;
};

const oneOf = <T extends string>(value: unknown, field: string, allowed: readonly T[], fallback?: T): T => {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    return fail(field, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
};

const validate = (input: unknown, options: OidcConfigValidationOptions): OidcConnectionConfig => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('(root)', 'the connection configuration must be an object');
  }
  const record = input as Record<string, unknown>;
  const issuer = url(record, 'issuer', options);
  if (new URL(issuer).search !== '') fail('issuer', 'must not have a query');
  const clientAuth = oneOf(record['clientAuth'], 'clientAuth', CLIENT_AUTH_METHODS);
  const base = {
    connectionId: text(record, 'connectionId'),
    orgId: text(record, 'orgId'),
    issuer,
    clientId: text(record, 'clientId'),
    clientAuth,
    redirectUri: url(record, 'redirectUri', options),
    scopes: scopesOf(record['scopes']),
    clockToleranceSeconds: clockToleranceOf(record['clockToleranceSeconds']),
    identity: oneOf(record['identity'], 'identity', IDENTITY_KEYS, 'iss_sub'),
  };
  if (clientAuth === 'private_key_jwt') {
    if (record['clientSecret'] !== undefined) fail('clientSecret', 'must not be set with private_key_jwt');
    return { ...base, privateJwk: privateJwkOf(record['privateJwk']) };
  }
  if (record['privateJwk'] !== undefined) fail('privateJwk', `must not be set with ${clientAuth}`);
  return { ...base, clientSecret: text(record, 'clientSecret') };
};

/**
 * Checks a connection configuration as an administrator entered it and fills the defaults
 * (scopes `openid email profile`, 30 s clock tolerance, `(iss, sub)` identity). The first field at
 * fault is named in the error.
 */
export const validateOidcConnectionConfig = (
  input: unknown,
  options: OidcConfigValidationOptions = {},
): OidcConfigValidation => {
  try {
    return { ok: true, config: validate(input, options) };
  } catch (error) {
    if (error instanceof OidcConfigError) return { ok: false, error };
    throw error;
  }
};
