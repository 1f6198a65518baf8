import { createHash } from 'node:crypto';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_REPLAYED_HEADER = 'idempotency-replayed';
/** How long a key is remembered; after that it may be used again for anything. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1–255 visible ASCII characters (a UUID is the usual choice). */
const KEY = /^[\x21-\x7e]{1,255}$/;

export const isValidIdempotencyKey = (key: string): boolean => KEY.test(key);

/** JSON with object keys sorted, so that `{a,b}` and `{b,a}` are the same request. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** SHA-256 of the canonical body: what a retry must match. An absent body hashes like an empty one. */
export const hashRequestBody = (body: unknown): string =>
  createHash('sha256')
    .update(body === undefined ? '' : canonicalJson(body))
    .digest('hex');

/** A response worth replaying: its status, the headers the handler set, and the body. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Set per request or by the transport, never replayed. */
const UNREPLAYED_HEADERS = new Set([
  'connection',
  'content-length',
  'date',
  'etag',
  'keep-alive',
  'set-cookie',
  'transfer-encoding',
  'x-powered-by',
  'x-request-id',
  'x-correlation-id',
  IDEMPOTENCY_REPLAYED_HEADER,
]);

/** The response headers a replay repeats (e.g. `location`), lower-cased. */
export const replayableHeaders = (
  headers: Readonly<Record<string, number | string | readonly string[] | undefined>>,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([name, value]) => value !== undefined && !UNREPLAYED_HEADERS.has(name.toLowerCase()))
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)]),
  );
