import { apiKeySecretMatches, hashApiKeySecret } from '@mandate/platform';
import { randomBytes } from 'node:crypto';

/**
 * SCIM bearer tokens look like `mandate_scim_<tokenId>_<secret>`, the shape of organization API
 * keys with a prefix of their own: a leaked one is recognisable, and names the directory's token
 * without revealing anything. Only the SHA-256 of the 256-bit secret is stored.
 */
export const SCIM_TOKEN_PREFIX = 'mandate_scim_';
const SCIM_TOKEN_PATTERN = /^mandate_scim_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedScimToken {
  readonly tokenId: string;
  readonly token: string;
  readonly secretHash: string;
  readonly lastFour: string;
}

export const generateScimToken = (): GeneratedScimToken => {
  const tokenId = randomBytes(10).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    tokenId,
    token: `${SCIM_TOKEN_PREFIX}${tokenId}_${secret}`,
    secretHash: hashApiKeySecret(secret),
    lastFour: secret.slice(-4),
  };
};

export const parseScimToken = (token: string): { tokenId: string; secret: string } | null => {
  const match = SCIM_TOKEN_PATTERN.exec(token);
  return match ? { tokenId: match[1]!, secret: match[2]! } : null;
};

export const scimTokenMatches = (secret: string, secretHash: string): boolean =>
  apiKeySecretMatches(secret, secretHash);
