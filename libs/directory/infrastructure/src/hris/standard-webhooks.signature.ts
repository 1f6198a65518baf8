import { createHmac } from 'node:crypto';
import {
  type HrisDelivery,
  type HrisSecret,
  type HrisVerification,
  type HrisVerifyOptions,
} from './hris.types';
import { bytesEqual, failure, headerValue, outsideWindow, secretList } from './hris-signature';

/**
 * Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md),
 * symmetric variant: `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`,
 * several space-separated signatures allowed, key = base64-decoded `whsec_…` secret.
 */
export const STANDARD_WEBHOOKS = {
  idHeader: 'webhook-id',
  timestampHeader: 'webhook-timestamp',
  signatureHeader: 'webhook-signature',
  signatureVersion: 'v1',
  secretPrefix: 'whsec_',
} as const;

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional); `undefined` when it is not base64. */
export const standardWebhookKey = (secret: string): Buffer | undefined => {
  const encoded = secret.startsWith(STANDARD_WEBHOOKS.secretPrefix)
    ? secret.slice(STANDARD_WEBHOOKS.secretPrefix.length)
    : secret;
  if (encoded === '' || !base64.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64');
};

const signaturesOf = (header: string): Buffer[] =>
  header
    .split(' ')
    .filter((part) => part !== '')
    .flatMap((part) => {
      const comma = part.indexOf(',');
      if (comma < 0 || part.slice(0, comma) !== STANDARD_WEBHOOKS.signatureVersion) return [];
      const encoded = part.slice(comma + 1);
      return base64.test(encoded) && encoded !== '' ? [Buffer.from(encoded, 'base64')] : [];
    });

export const verifyStandardWebhook = (
  delivery: HrisDelivery,
  secret: HrisSecret,
  options: HrisVerifyOptions,
): HrisVerification => {
  const id = headerValue(delivery, STANDARD_WEBHOOKS.idHeader);
  const timestamp = headerValue(delivery, STANDARD_WEBHOOKS.timestampHeader);
  const signatureHeader = headerValue(delivery, STANDARD_WEBHOOKS.signatureHeader);
  if (id === undefined || timestamp === undefined || signatureHeader === undefined) {
    return failure('HRIS_SIGNATURE_MISSING');
  }
  if (!/^\d{1,15}$/.test(timestamp) || id.includes('.')) return failure('HRIS_SIGNATURE_MALFORMED');

  const secrets = secretList(secret);
  const keys = secrets.map(standardWebhookKey).filter((key): key is Buffer => key !== undefined);
  if (keys.length === 0 || keys.length !== secrets.length) return failure('HRIS_SECRET_INVALID');

  const signatures = signaturesOf(signatureHeader);
  if (signatures.length === 0) return failure('HRIS_SIGNATURE_MALFORMED');

  const signedContent = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), delivery.rawBody]);
  const authentic = keys.some((key) => {
    const expected = createHmac('sha256', key).update(signedContent).digest();
    return signatures.some((signature) => bytesEqual(signature, expected));
  });
  if (!authentic) return failure('HRIS_SIGNATURE_INVALID');

  const signedAt = new Date(Number(timestamp) * 1000);
  const window = outsideWindow(signedAt, options);
  if (window !== null) return failure(window);
  return { ok: true, deliveryId: id, signedAt };
};
