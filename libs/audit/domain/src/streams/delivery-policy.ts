/** After the n-th failed attempt, wait this long before the next (Standard Webhooks: exponential, over hours). */
export const RETRY_SCHEDULE_MS = [500, 5_000, 30_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000];

export type DeliveryOutcome =
  | { readonly next: 'delivered' }
  | { readonly next: 'retry'; readonly delayMs: number }
  | { readonly next: 'dead_letter' }
  | { readonly next: 'disable' };

/**
 * What a stream does after one attempt to deliver a record: any 2xx delivered it; 410 Gone disables the
 * stream; anything else (3xx included, never followed) is retried on the schedule, honouring a longer
 * Retry-After, and once the schedule is spent the record goes to the dead letters and the stream moves on.
 */
export const afterAttempt = (
  status: number | null,
  failedAttempts: number,
  retryAfterSeconds: number | null = null,
): DeliveryOutcome => {
  if (status !== null && status >= 200 && status < 300) return { next: 'delivered' };
  if (status === 410) return { next: 'disable' };
  const scheduled = RETRY_SCHEDULE_MS[failedAttempts - 1];
  if (scheduled === undefined) return { next: 'dead_letter' };
  const asked = retryAfterSeconds !== null && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 0;
  return { next: 'retry', delayMs: Math.min(Math.max(scheduled, asked), 86_400_000) };
};

/** Standard Webhooks signature: `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`. */
export const signedContent = (id: string, timestamp: number, body: string): string =>
  `${id}.${timestamp}.${body}`;
