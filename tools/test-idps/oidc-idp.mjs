#!/usr/bin/env node
/**
 * An upstream enterprise OpenID Provider for tests, run as its own process: oidc-provider on a
 * loopback port, static clients and users, PKCE required, RFC 9207 `iss` in authorization responses,
 * and a login page that is a plain HTML form (no browser needed). Consent is granted automatically.
 *
 *   OIDC_IDP_CONFIG='{"port":0,"clients":[…],"users":[…]}' node tools/test-idps/oidc-idp.mjs
 *   node tools/test-idps/oidc-idp.mjs --config '{"port":0,…}'
 *
 * When listening it prints one JSON line `{"ready":true,"issuer":"http://127.0.0.1:<port>"}` on stdout.
 * A client is oidc-provider client metadata (`client_secret_basic` / `client_secret_post` with a
 * `client_secret`, or `private_key_jwt` with a public `jwks`). A user is
 * `{ sub, email?, email_verified?, name?, groups?, amr?, acr?, claims? }`.
 */
import { generateKeyPair, exportJWK } from 'jose';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const readConfig = () => {
  const flag = process.argv.indexOf('--config');
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env.OIDC_IDP_CONFIG;
  if (!raw) throw new Error('oidc-idp: pass the configuration as --config <json> or OIDC_IDP_CONFIG');
  const config = JSON.parse(raw);
  if (!Array.isArray(config.clients) || config.clients.length === 0) throw new Error('oidc-idp: no clients');
  if (!Array.isArray(config.users) || config.users.length === 0) throw new Error('oidc-idp: no users');
  return { port: Number(config.port ?? 0), clients: config.clients, users: config.users };
};

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const readForm = async (req) => {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
};

const loginPage = (uid, clientId, error) => `<!doctype html>
<html><head><title>Test IdP sign-in</title></head><body>
<h1>Sign in to the test IdP</h1>
<p>Application: ${escapeHtml(clientId)}</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label>User <input name="login" autocomplete="username"></label>
  <button type="submit">Sign in</button>
</form>
</body></html>`;

const main = async () => {
  const { port, clients, users } = readConfig();
  const usersBySub = new Map(users.map((user) => [user.sub, user]));

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-idp-rs256', alg: 'RS256', use: 'sig' };

  const server = createServer();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingKey] },
    pkce: { required: () => true },
    responseTypes: ['code'],
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    acrValues: [...new Set(users.flatMap((user) => (user.acr ? [user.acr] : [])))],
    claims: {
      sid: null,
      // How the user authenticated, and extra user claims (e.g. Entra ID's tid and oid), ride with openid.
      openid: [
        'sub',
        'acr',
        'amr',
        'auth_time',
        ...new Set(users.flatMap((user) => Object.keys(user.claims ?? {}))),
      ],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // Scope claims in the ID token too, as enterprise IdPs usually do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-idp-cookie-key'] },
    findAccount: (_ctx, sub) => {
      const user = usersBySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: user.email,
          email_verified: user.email_verified ?? user.email !== undefined,
          name: user.name,
          groups: user.groups ?? [],
          ...(user.claims ?? {}),
        }),
      };
    },
    // Consent is implicit: every requested OIDC scope and claim is granted.
    loadExistingGrant: async (ctx) => {
      const existing =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
  });

  const interaction = async (req, res) => {
    const url = new URL(req.url, issuer);
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!match) return false;
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && !match[2]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(loginPage(details.uid, details.params.client_id));
      return true;
    }
    if (req.method === 'POST' && match[2]) {
      const form = await readForm(req);
      const user = usersBySub.get(form.get('login') ?? '');
      if (!user) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(loginPage(details.uid, details.params.client_id, 'unknown user'));
        return true;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, amr: user.amr ?? ['pwd'], ...(user.acr ? { acr: user.acr } : {}) } },
        { mergeWithLastSubmission: false },
      );
      return true;
    }
    res.writeHead(405).end();
    return true;
  };

  const callback = provider.callback();
  server.on('request', (req, res) => {
    interaction(req, res)
      .then((handled) => {
        if (!handled) callback(req, res);
      })
      .catch((error) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(error?.message ?? error));
      });
  });

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
};

main().catch((error) => {
  process.stderr.write(`oidc-idp: ${error?.stack ?? error}\n`);
  process.exit(1);
});
