import {
  type HrisDelivery,
  type HrisSecret,
  type HrisVerification,
  type HrisVerifyOptions,
} from './hris.types';
import { bytesEqual, failure, headerValue, secretList, sha256 } from './hris-signature';

/**
 * Rippling does not sign webhooks. Its partner webhooks
 * (https://developer.rippling.com/documentation/developer-portal/v2-guides/webhooks) are either
 * unauthenticated or carry a static bearer token the app owner configured; Mandate always requires the
 * token. A token proves the sender knows the secret but protects neither the body nor against replay, and
 * nothing is signed with a time, so there is no replay window.
 */
export const RIPPLING_AUTH = { header: 'authorization', scheme: /^Bearer\s+(\S+)$/i } as const;

export const verifyRippling = (
  delivery: HrisDelivery,
  secret: HrisSecret,
  _options: HrisVerifyOptions,
): HrisVerification => {
  const authorization = headerValue(delivery, RIPPLING_AUTH.header);
  if (authorization === undefined) return failure('HRIS_SIGNATURE_MISSING');
  const presented = RIPPLING_AUTH.scheme.exec(authorization)?.[1];
  if (presented === undefined) return failure('HRIS_SIGNATURE_MALFORMED');

  const tokens = secretList(secret);
  if (tokens.length === 0 || tokens.some((token) => token === '')) return failure('HRIS_SECRET_INVALID');
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const presentedDigest = sha256(presented);
  if (!tokens.some((token) => bytesEqual(sha256(token), presentedDigest)))
    return failure('HRIS_SIGNATURE_INVALID');

  // No delivery id and a body without a timestamp: two distinct `employee.updated` notifications for the
  // same worker have identical bodies, so the receipt time is part of the id (retries are not collapsed;
  // the notifications are thin, and re-reading the worker is idempotent).
  const digest = sha256(delivery.rawBody).toString('hex');
  return { ok: true, deliveryId: `sha256:${digest}@${delivery.receivedAt.toISOString()}`, signedAt: null };
};
