import { createHash } from 'node:crypto';

const BASIC = /^Basic +([A-Za-z0-9+/=]+) *$/i;

/** The client id and secret of `Authorization: Basic` (RFC 6749 §2.3.1: each form-urlencoded); null when malformed. */
export const parseBasicCredentials = (
  authorization: string | undefined,
): { clientId: string; secret: string } | null => {
  const match = authorization === undefined ? null : BASIC.exec(authorization);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const form = (value: string) => decodeURIComponent(value.replace(/\+/g, '%20'));
  try {
    return { clientId: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
};

/** How client secrets are kept: SHA-256, hex (they are 256-bit random, so no salt or stretching is needed). */
export const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');
