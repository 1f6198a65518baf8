import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authenticateBearer, type BearerAuthOptions } from '../verification/bearer-auth';
import { type TokenVerifier, type VerifiedToken } from '../verification/token-verifier';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access token, set by `mandateAuth`. */
      mandate?: VerifiedToken;
    }
  }
}

export type MandateAuthOptions = BearerAuthOptions;

/**
 * Express middleware: verifies the Bearer token, sets `req.mandate`, and otherwise answers as RFC 6750
 * says (401 `invalid_token`, 403 `insufficient_scope`, with `WWW-Authenticate`). Express itself is
 * only a type dependency.
 */
export const mandateAuth =
  (verifier: TokenVerifier, options: MandateAuthOptions = {}): RequestHandler =>
  (request: Request, response: Response, next: NextFunction): void => {
    authenticateBearer(verifier, request.headers.authorization, options).then(
      (result) => {
        if (result.ok) {
          request.mandate = result.token;
          return next();
        }
        response.status(result.status).setHeader('WWW-Authenticate', result.wwwAuthenticate);
        response.setHeader('Cache-Control', 'no-store');
        response.json(result.body);
      },
      (error: unknown) => next(error),
    );
  };

/** `req.mandate`, or an error when the route is not behind `mandateAuth`. */
export const mandateTokenOf = (request: Request): VerifiedToken => {
  if (request.mandate === undefined) throw new Error('This route is not behind mandateAuth()');
  return request.mandate;
};
