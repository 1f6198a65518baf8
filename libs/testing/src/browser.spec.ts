import { Browser, parseForms } from './browser';

const page = (body: string) => ({ url: new URL('https://idp.example/login/step?x=1'), body });

describe('parseForms', () => {
  it('reads method, absolute action and the values a browser would submit', () => {
    const [form] = parseForms(
      page(`<form method="POST" action="/session?a=1&amp;b=2">
        <input type="hidden" name="SAMLResponse" value="PHNhbWw&#43;">
        <input name="user" value='ada'>
        <input type="checkbox" name="remember">
        <input type="checkbox" name="terms" checked>
        <input type="submit" name="go" value="Go">
        <textarea name="note">a &lt;b&gt;</textarea>
      </form>`),
    );
    expect(form!.method).toBe('POST');
    expect(form!.action.href).toBe('https://idp.example/session?a=1&b=2');
    expect([...form!.fields]).toEqual([
      ['SAMLResponse', 'PHNhbWw+'],
      ['user', 'ada'],
      ['terms', 'on'],
      ['note', 'a <b>'],
    ]);
  });

  it('defaults to GET on the page itself', () => {
    const [form] = parseForms(page('<form><input name="q"></form>'));
    expect(form).toMatchObject({ method: 'GET' });
    expect(form!.action.href).toBe('https://idp.example/login/step?x=1');
  });
});

describe('Browser cookies', () => {
  it('sends a cookie back only to its host and path, and forgets expired ones', async () => {
    const browser = new Browser(() => Date.parse('2026-01-01T00:00:00Z'));
    const headers = new Headers();
    headers.append('set-cookie', 'sid=abc; Path=/app; HttpOnly');
    headers.append('set-cookie', 'gone=1; Max-Age=0');
    headers.append('set-cookie', 'root=r');
    const responses = [new Response('ok', { headers })];
    const realFetch = globalThis.fetch;
    globalThis.fetch = () => Promise.resolve(responses.shift()!);
    try {
      await browser.get('http://127.0.0.1:4000/start');
    } finally {
      globalThis.fetch = realFetch;
    }
    expect([...browser.cookiesFor('http://127.0.0.1:4000/app/page')]).toEqual([
      ['sid', 'abc'],
      ['root', 'r'],
    ]);
    expect([...browser.cookiesFor('http://127.0.0.1:4000/application')]).toEqual([['root', 'r']]);
    expect(browser.cookiesFor('http://127.0.0.1:5000/app')).toEqual(new Map());
  });
});
