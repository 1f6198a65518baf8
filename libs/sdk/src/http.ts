/** The `fetch` the SDK calls; the global one by default, injectable for tests, proxies and mTLS. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback address (tests, a sidecar): anything else is refused at configuration time. */
export const assertSecureUrl = (value: string, what: string): URL => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${what} must be an absolute URL, got "${value}"`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new TypeError(`${what} must use https (http only on a loopback address), got "${value}"`);
};

export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';

  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`GET ${url} answered ${status}`);
  }
}

/** Reads at most `maxBytes` of a response body as text, failing beyond it. */
export const readText = async (response: Response, maxBytes: number): Promise<string> => {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > maxBytes) throw new Error(`Response of ${length} bytes exceeds ${maxBytes}`);
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`Response exceeds ${maxBytes} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
};

/** GETs JSON with a timeout and a size limit; a non-2xx answer is an `HttpStatusError`. */
export const getJson = async (
  fetchImpl: FetchLike,
  url: string,
  {
    timeoutMs,
    maxBytes,
    headers = {},
  }: { timeoutMs: number; maxBytes: number; headers?: Record<string, string> },
): Promise<unknown> => {
  const response = await fetchImpl(url, {
    headers: { accept: 'application/json', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status, url);
  }
  return JSON.parse(await readText(response, maxBytes)) as unknown;
};
