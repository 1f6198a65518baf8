import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request } from 'express';
import { ApiProblem } from '../errors/problem';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../http/platform.options';
import { requestContextOf } from '../request-context/http-request-context';
import { setContextPrincipal } from '../request-context/request-context';
import { API_KEY_PREFIX, adminKeyMatches, apiKeySecretMatches } from './api-key';
import { ApiKeyVerifier } from './api-key.verifier';
import { ADMIN_PRINCIPAL, assertAdmin, assertOrgAccess, type Principal } from './principal';

/**
 * Everything under `/api` (the management API) and `/access` (the AuthZEN evaluation API) needs a
 * bearer key (the docs are served outside Nest).
 */
export const isManagementApiPath = (path: string): boolean =>
  path === '/api' || path.startsWith('/api/') || path.startsWith('/access/');

/** The route parameter that names an organization: checked against an organization key automatically. */
export const ORG_ID_PARAM = 'orgId';

const ADMIN_ONLY = 'mandate:admin-only';

/** Restricts a route (or controller) to the admin key: 403 PLATFORM_ADMIN_REQUIRED for organization keys. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);

const ACCESS_TOKEN_ROUTE = 'mandate:access-token-route';

/**
 * A route under `/api` that callers reach with an OAuth access token rather than an API key (the
 * audit ingest API): the guard lets it through and the handler verifies the token itself.
 */
export const AccessTokenRoute = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_TOKEN_ROUTE, true);

const principals = new WeakMap<Request, Principal>();

/** The authenticated caller of a management-API request, or undefined outside `/api`. */
export const principalOf = (request: Request): Principal | undefined => principals.get(request);

/** The authenticated caller, as a handler parameter: `@CurrentPrincipal() principal: Principal`. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = principalOf(context.switchToHttp().getRequest<Request>());
    if (!principal) throw new Error('@CurrentPrincipal() is only available on routes under /api');
    return principal;
  },
);

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
const CHALLENGE = 'Bearer realm="mandate"';

const missing = () =>
  new ApiProblem('PLATFORM_CREDENTIALS_MISSING', 'Send an API key as "Authorization: Bearer <key>".', {
    headers: { 'WWW-Authenticate': CHALLENGE },
  });

const rejected = (code: 'PLATFORM_CREDENTIALS_INVALID' | 'PLATFORM_API_KEY_REVOKED', detail: string) =>
  new ApiProblem(code, detail, { headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` } });

/**
 * Authenticates every request under `/api` with a bearer key — the bootstrap admin key or an
 * organization API key — then applies `@AdminOnly()` and, when the route has an `:orgId` parameter,
 * refuses an organization key that names another organization. Other routes pass untouched.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ApiKeyVerifier,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    if (!isManagementApiPath(request.path)) return true;
    if (
      this.reflector.getAllAndOverride<boolean | undefined>(ACCESS_TOKEN_ROUTE, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      return true;

    const principal = await this.authenticate(request.headers.authorization);
    principals.set(request, principal);
    const requestContext = requestContextOf(request);
    if (requestContext) setContextPrincipal(requestContext, principal);

    if (
      this.reflector.getAllAndOverride<boolean | undefined>(ADMIN_ONLY, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      assertAdmin(principal);
    }
    const orgId: unknown = request.params[ORG_ID_PARAM];
    if (typeof orgId === 'string') assertOrgAccess(principal, orgId);
    return true;
  }

  private async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) throw missing();
    if (token.startsWith(API_KEY_PREFIX)) {
      const verification = await this.verifier.verify(token);
      if (verification.ok) return verification.principal;
      throw verification.reason === 'revoked'
        ? rejected('PLATFORM_API_KEY_REVOKED', 'This API key has been revoked.')
        : rejected('PLATFORM_CREDENTIALS_INVALID', 'The API key is not valid.');
    }
    const { adminKey, adminKeySha256 } = this.options;
    if (adminKey !== undefined && adminKeyMatches(token, adminKey)) return ADMIN_PRINCIPAL;
    if (adminKeySha256 !== undefined && apiKeySecretMatches(token, adminKeySha256)) return ADMIN_PRINCIPAL;
    throw rejected('PLATFORM_CREDENTIALS_INVALID', 'The API key is not valid.');
  }
}
