/**
 * A browser-less user agent for login flows in tests: one request per call with redirects followed
 * by hand, cookies kept per host (host and port — stricter than a browser, so two loopback servers
 * never share cookies), and HTML forms parsed and submitted the way a browser would post them.
 */
export interface Page {
  readonly url: URL;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** The absolute redirect target of a 3xx response, or null. */
  readonly location: URL | null;
}

export interface HtmlForm {
  readonly method: 'GET' | 'POST';
  readonly action: URL;
  readonly fields: ReadonlyMap<string, string>;
}

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  readonly expiresAt: number | null;
}

const MAX_REDIRECTS = 20;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

const decodeEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#') && lower !== '#39') return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ENTITIES[lower] ?? whole;
  });

const attributesOf = (tag: string): Map<string, string> => {
  const attributes = new Map<string, string>();
  for (const match of tag.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    const name = match[1]!.toLowerCase();
    if (!attributes.has(name)) attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
};

/** The forms of an HTML page, with the values a browser would submit by default. */
export const parseForms = (page: Pick<Page, 'url' | 'body'>): HtmlForm[] =>
  [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((match) => {
    const attributes = attributesOf(match[1]!);
    const fields = new Map<string, string>();
    for (const control of match[2]!.matchAll(
      /<textarea\b([^>]*)>([\s\S]*?)<\/textarea>|<input\b([^>]*)>/gi,
    )) {
      const isTextarea = control[1] !== undefined;
      const controlAttributes = attributesOf(isTextarea ? control[1]! : control[3]!);
      const name = controlAttributes.get('name');
      if (name === undefined) continue;
      if (isTextarea) {
        fields.set(name, decodeEntities(control[2] ?? ''));
        continue;
      }
      const type = (controlAttributes.get('type') ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset') continue;
      if ((type === 'checkbox' || type === 'radio') && !controlAttributes.has('checked')) continue;
      fields.set(name, controlAttributes.get('value') ?? (type === 'checkbox' ? 'on' : ''));
    }
    return {
      method: (attributes.get('method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      action: new URL(attributes.get('action') || page.url.href, page.url),
      fields,
    };
  });

export class Browser {
  private readonly cookies = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** One GET request; redirects are not followed (see `follow`). */
  get(url: string | URL): Promise<Page> {
    return this.request(new URL(url), 'GET');
  }

  /**
   * Submits a form of the page (the first one, or the first whose action matches), with `fields`
   * overriding or adding to its own values. One request; redirects are not followed.
   */
  submitForm(
    page: Page,
    fields: Readonly<Record<string, string>> = {},
    options: { readonly action?: (action: URL) => boolean } = {},
  ): Promise<Page> {
    const form = parseForms(page).find((candidate) => options.action?.(candidate.action) ?? true);
    if (!form) throw new Error(`no matching form on ${page.url.href} (status ${page.status})`);
    const values = new URLSearchParams([...new Map([...form.fields, ...Object.entries(fields)])]);
    if (form.method === 'GET') {
      const target = new URL(form.action);
      target.search = values.toString();
      return this.request(target, 'GET');
    }
    return this.request(form.action, 'POST', values);
  }

  /**
   * Follows redirects from `page` (GET, as browsers do after 301/302/303) and returns the first
   * page that is not a redirect — or the redirect whose target satisfies `until`, without
   * requesting that target (so a test can take over at, say, the relying party's callback).
   */
  async follow(page: Page, until?: (url: URL) => boolean): Promise<Page> {
    let current = page;
    for (let hops = 0; current.location !== null; hops += 1) {
      if (until?.(current.location)) return current;
      if (hops >= MAX_REDIRECTS)
        throw new Error(`more than ${MAX_REDIRECTS} redirects from ${page.url.href}`);
      current = await this.get(current.location);
    }
    return current;
  }

  /** The cookies this browser would send to `url`, by name. */
  cookiesFor(url: string | URL): Map<string, string> {
    const target = new URL(url);
    const jar = this.cookies.get(target.host);
    const now = this.now();
    const result = new Map<string, string>();
    for (const cookie of jar?.values() ?? []) {
      if (cookie.expiresAt !== null && cookie.expiresAt <= now) continue;
      if (!pathMatches(target.pathname, cookie.path)) continue;
      result.set(cookie.name, cookie.value);
    }
    return result;
  }

  private async request(url: URL, method: 'GET' | 'POST', body?: URLSearchParams): Promise<Page> {
    const headers = new Headers({ accept: 'text/html,application/json;q=0.9,*/*;q=0.8' });
    const cookie = [...this.cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    if (body) headers.set('content-type', 'application/x-www-form-urlencoded');
    const response = await fetch(url, { method, headers, body: body?.toString(), redirect: 'manual' });
    this.store(url, response.headers.getSetCookie());
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      location: response.status >= 300 && response.status < 400 && location ? new URL(location, url) : null,
    };
  }

  private store(url: URL, setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributeParts] = header.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const attributes = new Map(
        attributeParts.map((part) => {
          const [key = '', ...rest] = part.split('=');
          return [key.trim().toLowerCase(), rest.join('=').trim()] as const;
        }),
      );
      const path = attributes.get('path')?.startsWith('/') ? attributes.get('path')! : defaultPath(url);
      const maxAge = attributes.get('max-age');
      const expires = attributes.get('expires');
      const expiresAt =
        maxAge !== undefined && /^-?\d+$/.test(maxAge)
          ? this.now() + Number(maxAge) * 1000
          : expires !== undefined && !Number.isNaN(Date.parse(expires))
            ? Date.parse(expires)
            : null;
      const jar = this.cookies.get(url.host) ?? new Map<string, StoredCookie>();
      this.cookies.set(url.host, jar);
      jar.set(`${path} ${name}`, { name, value, path, expiresAt });
    }
  }
}

const defaultPath = (url: URL): string => {
  const directory = url.pathname.slice(0, url.pathname.lastIndexOf('/'));
  return directory === '' ? '/' : directory;
};

const pathMatches = (requestPath: string, cookiePath: string): boolean =>
  requestPath === cookiePath ||
  (requestPath.startsWith(cookiePath) &&
    (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));
