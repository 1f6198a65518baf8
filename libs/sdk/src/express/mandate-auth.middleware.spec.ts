import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import express from 'express';
import { staticRevocations } from '../revocations/revocation-list';
import { TestIssuer } from '../testing/test-issuer';
import { createTokenVerifier, type TokenVerifier } from '../verification/token-verifier';
import { mandateAuth, mandateTokenOf } from './mandate-auth.middleware';

describe('mandateAuth (Express)', () => {
  let issuer: TestIssuer;
  let server: Server;
  let base: string;
  let verifier: TokenVerifier;
  const revocations = staticRevocations();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    verifier = createTokenVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example.test',
      revocations,
    });
    const app = express();
    app.get('/documents', mandateAuth(verifier, { realm: 'docs' }), (request, response) => {
      const token = mandateTokenOf(request);
      response.json({ subject: token.subject, actor: token.actor, scopes: [...token.scopes] });
    });
    app.delete(
      '/documents',
      mandateAuth(verifier, {
        requiredScopes: ['documents:delete'],
        resourceMetadata: 'https://api.example.test/.well-known/oauth-protected-resource',
      }),
      (_request, response) => void response.status(204).end(),
    );
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await issuer.close();
  });

  const get = (authorization?: string, method = 'GET') =>
    fetch(`${base}/documents`, { method, headers: authorization === undefined ? {} : { authorization } });

  it('passes a valid token on as req.mandate', async () => {
    const token = await issuer.sign({ act: { sub: 'agt_42' } });
    const response = await get(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: 'usr_01jqk6ry4b0000000000000000',
      actor: 'agt_42',
      scopes: ['documents:read', 'documents:write'],
    });
  });

  it('accepts the scheme in any case', async () => {
    expect((await get(`bearer ${await issuer.sign()}`)).status).toBe(200);
  });

  it('answers 401 with a bare challenge when no token is sent', async () => {
    for (const header of [undefined, 'Basic dXNlcjpwYXNz']) {
      const response = await get(header);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="docs"');
    }
  });

  it('answers 400 invalid_request to a malformed Authorization header', async () => {
    const response = await get('Bearer two tokens');
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('answers 401 invalid_token to a refused token, with the reason in the challenge', async () => {
    const expired = await issuer.sign({
      exp: Math.floor(Date.now() / 1000) - 3600,
      iat: Math.floor(Date.now() / 1000) - 7200,
    });
    const response = await get(`Bearer ${expired}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="docs", error="invalid_token", error_description="The access token expired"',
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token expired',
    });
  });

  it('answers 401 to a token of a revoked grant', async () => {
    const token = await issuer.sign({ grant_id: 'grt_express_revoked' });
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    revocations.revoke('grt_express_revoked');
    const response = await get(`Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('revoked');
  });

  it('answers 403 insufficient_scope naming the scope the route needs', async () => {
    const response = await get(`Bearer ${await issuer.sign()}`, 'DELETE');
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="The access token lacks the scope documents:delete", scope="documents:delete", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
    );
    expect((await get(`Bearer ${await issuer.sign({ scope: 'documents:delete' })}`, 'DELETE')).status).toBe(
      204,
    );
  });

  it('fails closed while the revocation feed is disconnected, when asked to', async () => {
    const disconnected = { ...staticRevocations(), connected: false };
    const strict = createTokenVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example.test',
      revocations: disconnected,
    });
    const app = express();
    app.get(
      '/',
      mandateAuth(strict, { requireConnectedRevocations: true }),
      (_request, response) => void response.end(),
    );
    const strictServer = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${(strictServer.address() as AddressInfo).port}/`, {
        headers: { authorization: `Bearer ${await issuer.sign()}` },
      });
      expect(response.status).toBe(503);
    } finally {
      strictServer.closeAllConnections();
      await new Promise((resolve) => strictServer.close(resolve));
    }
  });
});
