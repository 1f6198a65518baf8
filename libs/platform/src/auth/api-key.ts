import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Organization API keys look like `mandate_sk_<keyId>_<secret>`:
 * - `mandate_sk_` makes a leaked key recognisable; secret scanners can match
 *   {@link API_KEY_SCAN_PATTERN} (`mandate_sk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}`);
 * - `keyId` (20 hex characters, 80 random bits) names the key: it is not secret and is how the key is
 *   looked up, listed and revoked;
 * - `secret` is 32 random bytes, base64url (43 characters). Only its hash is stored.
 */
export const API_KEY_PREFIX = 'mandate_sk_';
export const API_KEY_PATTERN = /^mandate_sk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;
/** The same shape without anchors, for secret scanners searching text. */
export const API_KEY_SCAN_PATTERN = /mandate_sk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}/g;

export interface GeneratedApiKey {
  readonly keyId: string;
  readonly secret: string;
  /** The whole key, shown to its creator once and never stored. */
  readonly token: string;
  /** What is stored instead of the secret (see `hashApiKeySecret`). */
  readonly hash: string;
  /** The secret's last four characters, so people can tell their keys apart in listings. */
  readonly lastFour: string;
}

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

/**
 * SHA-256 of the secret, hex. A slow password hash (scrypt, argon2) defends low-entropy secrets against
 * guessing; these secrets are 256 random bits, beyond any guessing, so a fast hash loses nothing and
 * keeps verification cheap on every request.
 */
export const hashApiKeySecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export const generateApiKey = (): GeneratedApiKey => {
  const keyId = randomBytes(10).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    keyId,
    secret,
    token: `${API_KEY_PREFIX}${keyId}_${secret}`,
    hash: hashApiKeySecret(secret),
    lastFour: secret.slice(-4),
  };
};

/** The key id and secret of a well-formed key, or null. */
export const parseApiKey = (token: string): ParsedApiKey | null => {
  const match = API_KEY_PATTERN.exec(token);
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
};

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export const apiKeySecretMatches = (secret: string, storedHash: string): boolean => {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(secret).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
};

/**
 * Whether a presented bearer token is the configured admin key. Both sides are hashed first, so the
 * comparison is constant-time and does not even reveal the key's length.
 */
export const adminKeyMatches = (presented: string, adminKey: string): boolean =>
  timingSafeEqual(
    createHash('sha256').update(presented).digest(),
    createHash('sha256').update(adminKey).digest(),
  );

/** A fresh bootstrap admin key (`mandate_admin_` + 32 random bytes, base64url), recognisable like API keys. */
export const generateAdminKey = (): string => `mandate_admin_${randomBytes(32).toString('base64url')}`;
