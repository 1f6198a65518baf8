import {
  type CanActivate,
  createParamDecorator,
  type DynamicModule,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Module,
  Optional,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { authenticateBearer, type BearerAuthOptions } from '../verification/bearer-auth';
import { type TokenVerifier, type VerifiedToken } from '../verification/token-verifier';

/** The injection token of the `TokenVerifier` the guard uses. */
export const MANDATE_TOKEN_VERIFIER = Symbol('MANDATE_TOKEN_VERIFIER');
/** The injection token of the guard's options (realm, resource metadata, fail-closed). */
export const MANDATE_AUTH_OPTIONS = Symbol('MANDATE_AUTH_OPTIONS');
export const REQUIRED_SCOPES = 'mandate:required-scopes';

export type MandateGuardOptions = Omit<BearerAuthOptions, 'requiredScopes'>;

/** Scopes a handler (or every handler of a controller) requires; both levels add up. */
export const RequireScopes = (...scopes: string[]) => SetMetadata(REQUIRED_SCOPES, scopes);

interface RequestWithToken {
  headers: Record<string, string | string[] | undefined>;
  mandate?: VerifiedToken;
}

interface HeaderWriter {
  setHeader?: (name: string, value: string) => unknown;
  header?: (name: string, value: string) => unknown;
}

/**
 * Verifies the Bearer token of HTTP requests and checks `@RequireScopes()`; refusals are RFC 6750
 * answers with `WWW-Authenticate` (401 `invalid_token`, 403 `insufficient_scope`).
 */
@Injectable()
export class MandateAuthGuard implements CanActivate {
  constructor(
    @Inject(MANDATE_TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Optional() @Inject(MANDATE_AUTH_OPTIONS) private readonly options: MandateGuardOptions | null = null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithToken>();
    const requiredScopes = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, [
      context.getClass(),
      context.getHandler(),
    ]);
    const result = await authenticateBearer(this.verifier, request.headers['authorization'], {
      ...this.options,
      requiredScopes: [...new Set(requiredScopes)],
    });
    if (result.ok) {
      request.mandate = result.token;
      return true;
    }
    const response = http.getResponse<HeaderWriter>();
    if (typeof response.setHeader === 'function') {
      response.setHeader('WWW-Authenticate', result.wwwAuthenticate);
      response.setHeader('Cache-Control', 'no-store');
    } else if (typeof response.header === 'function') {
      response.header('WWW-Authenticate', result.wwwAuthenticate);
      response.header('Cache-Control', 'no-store');
    }
    throw new HttpException(result.body, result.status);
  }
}

/** The verified token of the request (the guard must have run). */
export const CurrentToken = createParamDecorator((_: unknown, context: ExecutionContext): VerifiedToken => {
  const token = context.switchToHttp().getRequest<RequestWithToken>().mandate;
  if (token === undefined) throw new Error('@CurrentToken() needs MandateAuthGuard on the route');
  return token;
});

/** Provides the verifier and the guard: `MandateAuthModule.forRoot({ verifier })`, then `@UseGuards(MandateAuthGuard)`. */
@Module({})
export class MandateAuthModule {
  static forRoot({ verifier, ...options }: MandateGuardOptions & { verifier: TokenVerifier }): DynamicModule {
    return {
      module: MandateAuthModule,
      global: true,
      providers: [
        { provide: MANDATE_TOKEN_VERIFIER, useValue: verifier },
        { provide: MANDATE_AUTH_OPTIONS, useValue: options },
        MandateAuthGuard,
      ],
      exports: [MANDATE_TOKEN_VERIFIER, MANDATE_AUTH_OPTIONS, MandateAuthGuard],
    };
  }
}
