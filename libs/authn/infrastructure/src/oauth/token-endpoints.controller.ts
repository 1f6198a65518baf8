import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { GrantsService } from '../grants/grants.service';
import { type Caller, CallerAuthentication } from './caller-authentication';
import { INTROSPECTION_PATH, REVOCATION_PATH } from './authorization-server';
import { TokenState } from './token-state';

const oauthError = (res: Response, status: number, error: string, description: string) => {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="mandate", Bearer realm="mandate"');
  res.status(status).setHeader('Cache-Control', 'no-store').json({ error, error_description: description });
};

const formOf = (req: Request): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;

const tokenParam = (body: unknown): { token?: string; hint?: string } => {
  const form = (body ?? {}) as Record<string, unknown>;
  return {
    ...(typeof form['token'] === 'string' && { token: form['token'] }),
    ...(typeof form['token_type_hint'] === 'string' && { hint: form['token_type_hint'] }),
  };
};

/** May this caller see or revoke tokens of `orgId` issued to `clientId`? */
const entitled = (caller: Caller, orgId: string, clientId: string, action: 'introspect' | 'revoke') => {
  if (caller.kind === 'api_key') return caller.orgId === null || caller.orgId === orgId;
  if (caller.orgId !== orgId) return false;
  // Any client of the organization (a resource server) may introspect; only the holder revokes.
  return action === 'introspect' || caller.clientId === clientId;
};

/**
 * RFC 7662 introspection and RFC 7009 revocation, answered from grant state: a token of a revoked
 * grant is inactive at once, whatever its `exp` says. Callers authenticate; a caller never learns
 * about another organization's tokens (they are simply inactive to it).
 */
@ApiExcludeController()
@Controller()
export class TokenEndpointsController {
  constructor(
    private readonly callers: CallerAuthentication,
    private readonly tokens: TokenState,
    private readonly grants: GrantsService,
  ) {}

  @Post(INTROSPECTION_PATH.slice(1))
  @HttpCode(200)
  async introspect(
    @Req() req: Request,
    @Res() res: Response,
    @Headers('authorization') authorization?: string,
  ): Promise<void> {
    const caller = await this.callers.authenticate(authorization, formOf(req), INTROSPECTION_PATH);
    if (!caller) return oauthError(res, 401, 'invalid_client', 'authenticate as a client or with an API key');
    const { token, hint } = tokenParam(req.body);
    if (!token) return oauthError(res, 400, 'invalid_request', 'the token parameter is required');
    const known = await this.tokens.find(token, hint);
    res.setHeader('Cache-Control', 'no-store');
    if (!TokenState.isActive(known) || !entitled(caller, known.orgId, known.clientId, 'introspect')) {
      res.json({ active: false });
      return;
    }
    res.json({ active: true, ...known.claims });
  }

  @Post(REVOCATION_PATH.slice(1))
  @HttpCode(200)
  async revoke(
    @Req() req: Request,
    @Res() res: Response,
    @Headers('authorization') authorization?: string,
  ): Promise<void> {
    const caller = await this.callers.authenticate(authorization, formOf(req), REVOCATION_PATH);
    if (!caller) return oauthError(res, 401, 'invalid_client', 'authenticate as a client or with an API key');
    const { token, hint } = tokenParam(req.body);
    if (!token) return oauthError(res, 400, 'invalid_request', 'the token parameter is required');
    const known = await this.tokens.find(token, hint);
    // RFC 7009 §2.2: an unknown or foreign token is answered like a revoked one.
    if (known?.grant && entitled(caller, known.orgId, known.clientId, 'revoke'))
      await this.grants.revoke(known.grant, caller.kind === 'client' ? 'revoked_by_client' : 'admin');
    res.status(200).setHeader('Cache-Control', 'no-store').end();
  }
}
