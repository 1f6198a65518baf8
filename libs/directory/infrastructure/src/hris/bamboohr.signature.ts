import { createHmac } from 'node:crypto';
import {
  type HrisDelivery,
  type HrisSecret,
  type HrisVerification,
  type HrisVerifyOptions,
} from './hris.types';
import { parseDateTime } from './hris-dates';
import { bytesEqual, failure, headerValue, outsideWindow, secretList, sha256 } from './hris-signature';

/**
 * BambooHR webhooks (https://documentation.bamboohr.com/docs/webhooks): HMAC-SHA256 keyed with the
 * webhook's private key, over the raw body immediately followed by the `X-BambooHR-Timestamp` value,
 * hex-encoded in `X-BambooHR-Signature`. Everything that is an assumption rather than documented lives
 * here (see docs/hris-webhooks.md): the key is the private key's text as shown by BambooHR, and the
 * timestamp may be Unix seconds, Unix milliseconds or an ISO 8601 date-time.
 */
export const BAMBOOHR_SIGNATURE = {
  signatureHeader: 'x-bamboohr-signature',
  timestampHeader: 'x-bamboohr-timestamp',
  key: (privateKey: string): Buffer => Buffer.from(privateKey, 'utf8'),
  signedContent: (rawBody: Buffer, timestamp: string): Buffer =>
    Buffer.concat([rawBody, Buffer.from(timestamp, 'utf8')]),
  parseTimestamp: (value: string): Date | undefined => {
    if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000);
    if (/^\d{13}$/.test(value)) return new Date(Number(value));
    return parseDateTime(value);
  },
} as const;

export const verifyBambooHr = (
  delivery: HrisDelivery,
  secret: HrisSecret,
  options: HrisVerifyOptions,
): HrisVerification => {
  const signature = headerValue(delivery, BAMBOOHR_SIGNATURE.signatureHeader);
  const timestamp = headerValue(delivery, BAMBOOHR_SIGNATURE.timestampHeader);
  if (signature === undefined || timestamp === undefined) return failure('HRIS_SIGNATURE_MISSING');
  if (!/^[0-9a-f]{64}$/i.test(signature)) return failure('HRIS_SIGNATURE_MALFORMED');
  const signedAt = BAMBOOHR_SIGNATURE.parseTimestamp(timestamp);
  if (signedAt === undefined) return failure('HRIS_SIGNATURE_MALFORMED');

  const privateKeys = secretList(secret);
  if (privateKeys.length === 0 || privateKeys.some((key) => key === ''))
    return failure('HRIS_SECRET_INVALID');

  const received = Buffer.from(signature, 'hex');
  const signedContent = BAMBOOHR_SIGNATURE.signedContent(delivery.rawBody, timestamp);
  const authentic = privateKeys.some((privateKey) =>
    bytesEqual(
      received,
      createHmac('sha256', BAMBOOHR_SIGNATURE.key(privateKey)).update(signedContent).digest(),
    ),
  );
  if (!authentic) return failure('HRIS_SIGNATURE_INVALID');

  const window = outsideWindow(signedAt, options);
  if (window !== null) return failure(window);
  // BambooHR sends no delivery id. Its bodies carry per-change timestamps, so the body digest tells two
  // deliveries apart while a retry of the same body (re-signed with a new header timestamp) keeps its id.
  return { ok: true, deliveryId: `sha256:${sha256(delivery.rawBody).toString('hex')}`, signedAt };
};
