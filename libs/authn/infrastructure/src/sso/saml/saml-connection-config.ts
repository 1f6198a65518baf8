import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { SamlConfigError } from './saml-errors';
import { parseRelayStateRule } from './saml-relay-state';

/** One organization's SAML connection, as the SP engine needs it. */
export interface SamlConnectionConfig {
  readonly connectionId: string;
  readonly orgId: string;
  /** This SP's entity id for the connection, e.g. `${issuer}/sso/saml/${connectionId}`. */
  readonly spEntityId: string;
  /** The Assertion Consumer Service URL, e.g. `${issuer}/sso/saml/${connectionId}/acs`. */
  readonly acsUrl: string;
  readonly idpEntityId: string;
  readonly idpSsoUrl: string;
  /** PEM certificates pinned for this connection; nothing from a message's KeyInfo is trusted. */
  readonly idpCertificates: readonly string[];
  readonly wantAssertionsSigned: boolean;
  readonly wantResponseSigned: boolean;
  readonly signAuthnRequests: boolean;
  readonly spPrivateKey?: string;
  readonly spCertificate?: string;
  /** The key encrypted assertions are decrypted with, and the certificate published for it. */
  readonly decryptionPrivateKey?: string;
  readonly decryptionCertificate?: string;
  readonly allowIdpInitiated: boolean;
  /** Absolute URLs and path prefixes (`/app`) that RelayState may point at. */
  readonly relayStateAllowList: readonly string[];
  readonly clockSkewMs: number;
  readonly maxAssertionAgeMs?: number;
}

export const DEFAULT_CLOCK_SKEW_MS = 60_000;
export const MAX_CLOCK_SKEW_MS = 180_000;

const MIN_RSA_BITS = 2048;

/**
 * Checks an untrusted connection configuration and fills in the defaults. Throws a
 * `SamlConfigError` naming the first field at fault. Certificates must be valid at `now`.
 */
export const validateSamlConnectionConfig = (
  input: unknown,
  now: Date = new Date(),
  options: { readonly allowInsecureLoopback?: boolean } = {},
): SamlConnectionConfig => {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new SamlConfigError('config', 'must be an object');
  const raw = input as Record<string, unknown>;

  const signAuthnRequests = optionalBoolean(raw, 'signAuthnRequests', false);
  const spPrivateKey = optionalPrivateKey(raw, 'spPrivateKey');
  const spCertificate = optionalCertificate(raw, 'spCertificate', now);
  if (signAuthnRequests && !spPrivateKey)
    throw new SamlConfigError('spPrivateKey', 'is required when signAuthnRequests is true');
  if (spPrivateKey && spCertificate)
    assertKeyMatchesCertificate('spCertificate', spPrivateKey, spCertificate);

  const decryptionPrivateKey = optionalPrivateKey(raw, 'decryptionPrivateKey');
  const decryptionCertificate = optionalCertificate(raw, 'decryptionCertificate', now);
  if (decryptionPrivateKey && !decryptionCertificate)
    throw new SamlConfigError(
      'decryptionCertificate',
      'is required with decryptionPrivateKey (the IdP encrypts to it)',
    );
  if (decryptionCertificate && !decryptionPrivateKey)
    throw new SamlConfigError('decryptionPrivateKey', 'is required with decryptionCertificate');
  if (decryptionPrivateKey && decryptionCertificate)
    assertKeyMatchesCertificate('decryptionCertificate', decryptionPrivateKey, decryptionCertificate);

  const certificates = raw['idpCertificates'];
  if (!Array.isArray(certificates) || certificates.length === 0)
    throw new SamlConfigError('idpCertificates', 'must list at least one PEM certificate');
  const idpCertificates = certificates.map((certificate, index) =>
    certificateField(`idpCertificates[${index}]`, certificate, now),
  );

  const clockSkewMs = optionalInteger(raw, 'clockSkewMs', DEFAULT_CLOCK_SKEW_MS);
  if (clockSkewMs < 0 || clockSkewMs > MAX_CLOCK_SKEW_MS)
    throw new SamlConfigError(
      'clockSkewMs',
      `must be between 0 and ${MAX_CLOCK_SKEW_MS} ms (time checks cannot be disabled)`,
    );
  const maxAssertionAgeMs =
    raw['maxAssertionAgeMs'] === undefined ? undefined : optionalInteger(raw, 'maxAssertionAgeMs', 0);
  if (maxAssertionAgeMs !== undefined && maxAssertionAgeMs <= 0)
    throw new SamlConfigError('maxAssertionAgeMs', 'must be a positive number of milliseconds');

  const allowList = raw['relayStateAllowList'] ?? [];
  if (!Array.isArray(allowList)) throw new SamlConfigError('relayStateAllowList', 'must be a list');
  const relayStateAllowList = allowList.map((entry, index) => {
    const field = `relayStateAllowList[${index}]`;
    if (typeof entry !== 'string' || parseRelayStateRule(entry) === null)
      throw new SamlConfigError(field, 'must be an absolute https URL or a path starting with a single "/"');
    return entry;
  });

  return {
    connectionId: identifier(raw, 'connectionId'),
    orgId: identifier(raw, 'orgId'),
    spEntityId: requiredString(raw, 'spEntityId'),
    acsUrl: httpsUrl(raw, 'acsUrl', options.allowInsecureLoopback ?? false),
    idpEntityId: requiredString(raw, 'idpEntityId'),
    idpSsoUrl: httpsUrl(raw, 'idpSsoUrl', options.allowInsecureLoopback ?? false),
    idpCertificates,
    wantAssertionsSigned: optionalBoolean(raw, 'wantAssertionsSigned', true),
    wantResponseSigned: optionalBoolean(raw, 'wantResponseSigned', false),
    signAuthnRequests,
    ...(spPrivateKey && { spPrivateKey }),
    ...(spCertificate && { spCertificate }),
    ...(decryptionPrivateKey && { decryptionPrivateKey }),
    ...(decryptionCertificate && { decryptionCertificate }),
    allowIdpInitiated: optionalBoolean(raw, 'allowIdpInitiated', false),
    relayStateAllowList,
    clockSkewMs,
    ...(maxAssertionAgeMs !== undefined && { maxAssertionAgeMs }),
  };
};

/** A certificate as PEM, from PEM or from the bare base64 of `<ds:X509Certificate>`. */
export const toCertificatePem = (value: string): string => {
  const body = value
    .replace(/-----BEGIN CERTIFICATE-----|-----END CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
};

/** Parses and checks one certificate: well-formed, valid at `now`, an RSA (≥ 2048 bits) or EC key. */
export const certificateField = (field: string, value: unknown, now: Date): string => {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SamlConfigError(field, 'must be a PEM certificate');
  if (/-----BEGIN (?!CERTIFICATE-----)/.test(value))
    throw new SamlConfigError(field, 'must be a certificate, not a key or other PEM block');
  const pem = toCertificatePem(value);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new SamlConfigError(field, 'is not a valid PEM certificate');
  }
  if (now.getTime() >= new Date(certificate.validTo).getTime())
    throw new SamlConfigError(field, `expired on ${new Date(certificate.validTo).toISOString()}`);
  if (now.getTime() < new Date(certificate.validFrom).getTime())
    throw new SamlConfigError(field, `is not valid before ${new Date(certificate.validFrom).toISOString()}`);
  assertStrongKey(field, certificate.publicKey);
  return pem;
};

const assertStrongKey = (field: string, key: KeyObject): void => {
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS)
      throw new SamlConfigError(field, `RSA key of ${bits} bits is too weak (minimum ${MIN_RSA_BITS})`);
    return;
  }
  if (key.asymmetricKeyType === 'ec') return;
  throw new SamlConfigError(
    field,
    `key type ${key.asymmetricKeyType ?? 'unknown'} is not supported (RSA or EC)`,
  );
};

const assertKeyMatchesCertificate = (field: string, privateKeyPem: string, certificatePem: string): void => {
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(createPrivateKey(privateKeyPem)))
    throw new SamlConfigError(field, 'does not belong to the configured private key');
};

const optionalPrivateKey = (raw: Record<string, unknown>, field: string): string | undefined => {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new SamlConfigError(field, 'must be a PEM private key');
  let key: KeyObject;
  try {
    key = createPrivateKey(value);
  } catch {
    throw new SamlConfigError(field, 'is not a valid unencrypted PEM private key');
  }
  assertStrongKey(field, key);
  return value;
};

const optionalCertificate = (raw: Record<string, unknown>, field: string, now: Date): string | undefined => {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  return certificateField(field, value, now);
};

const requiredString = (raw: Record<string, unknown>, field: string): string => {
  const value = raw[field];
  if (typeof value !== 'string' || value.trim() === '') throw new SamlConfigError(field, 'is required');
  if (value.length > 1024) throw new SamlConfigError(field, 'is longer than 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new SamlConfigError(field, 'contains control characters');
  return value;
};

const identifier = (raw: Record<string, unknown>, field: string): string => {
  const value = requiredString(raw, field);
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(value))
    throw new SamlConfigError(field, 'must be 1–128 letters, digits, "_" or "-"');
  return value;
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An https URL; plain http only on a loopback host, and only where the instance is a development one. */
const httpsUrl = (raw: Record<string, unknown>, field: string, allowInsecureLoopback: boolean): string => {
  const value = requiredString(raw, field);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SamlConfigError(field, 'must be an absolute URL');
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(allowInsecureLoopback && loopbackHttp))
    throw new SamlConfigError(field, 'must be an https URL');
  if (url.username || url.password) throw new SamlConfigError(field, 'must not carry credentials');
  if (url.hash) throw new SamlConfigError(field, 'must not have a fragment');
  return value;
};

const optionalBoolean = (raw: Record<string, unknown>, field: string, fallback: boolean): boolean => {
  const value = raw[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new SamlConfigError(field, 'must be true or false');
  return value;
};

const optionalInteger = (raw: Record<string, unknown>, field: string, fallback: number): number => {
  const value = raw[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new SamlConfigError(field, 'must be a whole number of milliseconds');
  return value;
};
