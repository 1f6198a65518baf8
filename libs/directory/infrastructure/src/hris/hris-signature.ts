import { createHash, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_SECONDS,
  type HrisDelivery,
  type HrisSecret,
  type HrisVerification,
  type HrisVerificationFailure,
  type HrisVerifyOptions,
} from './hris.types';

/** A header's value, trimmed; `undefined` when absent or blank. */
export const headerValue = (delivery: HrisDelivery, name: string): string | undefined => {
  const value = delivery.headers[name.toLowerCase()]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

export const secretList = (secret: HrisSecret): readonly string[] =>
  typeof secret === 'string' ? [secret] : secret;

/** Constant-time for equal lengths; a length mismatch is not secret (digests have a fixed length). */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && timingSafeEqual(a, b);

export const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export const failure = (reason: HrisVerificationFailure): HrisVerification => ({ ok: false, reason });

/** Rejects a signed time outside `now ± tolerance`; `null` when it is inside. */
export const outsideWindow = (signedAt: Date, options: HrisVerifyOptions): HrisVerificationFailure | null => {
  const toleranceMs = (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS) * 1000;
  const skew = options.now.getTime() - signedAt.getTime();
  if (skew > toleranceMs) return 'HRIS_SIGNATURE_STALE';
  if (skew < -toleranceMs) return 'HRIS_SIGNATURE_FUTURE';
  return null;
};
