/** After the n-th failed attempt, wait this long before the next (Standard Webhooks: exponential, over hours). */
export const RETRY_SCHEDULE_MS = [500, 5_000, 30_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000];

export type DeliveryOutcome =
  | { readonly next: 'delivered' }
  | { readonly next: 'retry'; readonly delayMs: number }
  | { readonly next: 'dead_letter' }
  | { readonly next: 'disable' };

/**
 * How one attempt to hand records to a destination went, whatever the destination: `accepted` (a 2xx,
 * a Kafka write acknowledged by every in-sync replica, syslog frames written to a connection that
 * stayed up), `refused` (to be retried; `retryAfterSeconds` when the receiver asked), or `gone` (the
 * receiver says the stream should stop).
 */
export type AttemptResult =
  | { readonly result: 'accepted'; readonly status: number | null }
  | {
      readonly result: 'refused';
      readonly status: number | null;
      readonly error: string;
      readonly retryAfterSeconds: number | null;
    }
  | { readonly result: 'gone'; readonly status: number | null; readonly error: string };

/** What an HTTP answer means: any 2xx accepts; 410 Gone stops the stream; anything else (3xx too, never followed) is refused. */
export const httpAttemptResult = (
  status: number | null,
  error: string | null = null,
  retryAfterSeconds: number | null = null,
): AttemptResult => {
  if (status !== null && status >= 200 && status < 300) return { result: 'accepted', status };
  if (status === 410) return { result: 'gone', status, error: 'the endpoint answered 410 Gone' };
  return { result: 'refused', status, error: error ?? `HTTP ${status}`, retryAfterSeconds };
};

/**
 * What a stream does after an attempt, its `failedAttempts`-th failure in a row counted when it failed:
 * retried on the schedule (never sooner than a Retry-After asks, never later than a day), and once the
 * schedule is spent the record goes to the dead letters and the stream moves on.
 */
export const nextAfter = (attempt: AttemptResult, failedAttempts: number): DeliveryOutcome => {
  switch (attempt.result) {
    case 'accepted':
      return { next: 'delivered' };
    case 'gone':
      return { next: 'disable' };
    case 'refused': {
      const scheduled = RETRY_SCHEDULE_MS[failedAttempts - 1];
      if (scheduled === undefined) return { next: 'dead_letter' };
      const asked = (attempt.retryAfterSeconds ?? 0) > 0 ? attempt.retryAfterSeconds! * 1000 : 0;
      return { next: 'retry', delayMs: Math.min(Math.max(scheduled, asked), 86_400_000) };
    }
  }
};

/** `nextAfter` for an HTTP answer (`status` null when there was none). */
export const afterAttempt = (
  status: number | null,
  failedAttempts: number,
  retryAfterSeconds: number | null = null,
): DeliveryOutcome => nextAfter(httpAttemptResult(status, null, retryAfterSeconds), failedAttempts);

/** Standard Webhooks signature: `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`. */
export const signedContent = (id: string, timestamp: number, body: string): string =>
  `${id}.${timestamp}.${body}`;
