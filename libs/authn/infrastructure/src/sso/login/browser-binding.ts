import { randomBytes } from 'node:crypto';
import { type Request, type Response } from 'express';
import { browserHashOf } from './login-attempts';

/** The cookie that binds a sign-in to the browser that started it. */
export const BROWSER_COOKIE = 'mandate_sso_browser';
const MAX_AGE_SECONDS = 30 * 86_400;
const VALUE = /^[A-Za-z0-9_-]{43}$/;

const cookieValue = (req: Request, name: string): string | null => {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return null;
};

/**
 * The cookie an IdP-initiated SAML login is bound with. It is set by the ACS response to a cross-site
 * POST, which carries none of the browser's cookies: a binding of its own, so the ACS never
 * overwrites the one of a sign-in the browser started here.
 */
export const UNSOLICITED_COOKIE = 'mandate_sso_idp_login';
const UNSOLICITED_MAX_AGE_SECONDS = 10 * 60;

const hashOfCookie = (req: Request, name: string): string | null => {
  const value = cookieValue(req, name);
  return value !== null && VALUE.test(value) ? browserHashOf(value) : null;
};

/** This browser's binding, when it has one. */
export const browserHashFrom = (req: Request): string | null => hashOfCookie(req, BROWSER_COOKIE);

/** The binding of an IdP-initiated login waiting in this browser, when there is one. */
export const unsolicitedHashFrom = (req: Request): string | null => hashOfCookie(req, UNSOLICITED_COOKIE);

const cookieAttributes = (maxAgeSeconds: number, secure: boolean) =>
  `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** Binds an IdP-initiated login to the browser posting it: the hash to store with the login. */
export const mintUnsolicitedBinding = (res: Response, secure: boolean): string => {
  const value = randomBytes(32).toString('base64url');
  res.append(
    'Set-Cookie',
    `${UNSOLICITED_COOKIE}=${value}; ${cookieAttributes(UNSOLICITED_MAX_AGE_SECONDS, secure)}`,
  );
  return browserHashOf(value);
};

/**
 * This browser's binding, given one first if it has none. Lax, so it comes along on the top-level
 * navigations back from the IdP; `Secure` whenever Mandate is served over https.
 */
export const ensureBrowserBinding = (req: Request, res: Response, secure: boolean): string => {
  const existing = browserHashFrom(req);
  if (existing) return existing;
  const value = randomBytes(32).toString('base64url');
  res.append('Set-Cookie', `${BROWSER_COOKIE}=${value}; ${cookieAttributes(MAX_AGE_SECONDS, secure)}`);
  return browserHashOf(value);
};

export type FormBody =
  { readonly kind: 'form'; readonly fields: URLSearchParams } | { readonly kind: 'too_large' };

/** Reads an urlencoded body the platform left unparsed, stopping at `limit` bytes (the rest is never buffered). */
export const readFormBody = (req: Request, limit: number): Promise<FormBody> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: FormBody) => {
      if (settled) return;
      settled = true;
      resolve(body);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the rest of the body drains unread.
        settle({ kind: 'too_large' });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      settle({ kind: 'form', fields: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) }),
    );
    req.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
