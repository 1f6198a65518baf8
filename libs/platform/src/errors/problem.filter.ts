import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { currentRequestContext } from '../request-context/request-context';
import { requestContextOf } from '../request-context/http-request-context';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './problem-mapping';

/** A response in another protocol's error format (SCIM, OAuth), for the paths that speak it. */
export interface ForeignErrorResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ForeignErrorRenderer = (error: unknown, request: Request) => ForeignErrorResponse;

const foreignRenderers = new Map<string, ForeignErrorRenderer>();

/**
 * Renders every error under `pathPrefix` (e.g. `/scim/`) with `render` instead of as problem+json —
 * including those raised before any route runs (malformed or oversized bodies, unknown paths).
 */
export const registerErrorRenderer = (pathPrefix: string, render: ForeignErrorRenderer): void => {
  foreignRenderers.set(pathPrefix, render);
};

/** The request path a problem is about (without the query string, which may carry personal data). */
export const problemInstance = (request: Request): string => request.originalUrl.split('?', 1)[0] ?? '/';

/** Renders every error of an HTTP request as `application/problem+json` (see `toProblem`). */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemExceptionFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const context = requestContextOf(request) ?? currentRequestContext();
    const foreign = [...foreignRenderers].find(([prefix]) => request.path.startsWith(prefix))?.[1];
    if (foreign) {
      const rendered = foreign(error, request);
      if (rendered.status >= 500 && rendered.status !== 501) {
        this.logger.error({
          msg: 'request failed',
          err: error,
          method: request.method,
          path: problemInstance(request),
        });
      }
      if (response.headersSent) {
        response.end();
        return;
      }
      response.status(rendered.status);
      for (const [name, value] of Object.entries(rendered.headers ?? {})) response.setHeader(name, value);
      response.type(rendered.contentType).send(rendered.body);
      return;
    }
    const problem = toProblem(error, { instance: problemInstance(request), requestId: context?.requestId });

    if (problem.unexpected || problem.status >= 500) {
      this.logger.error({
        msg: 'request failed',
        err: error,
        method: request.method,
        path: problemInstance(request),
        status: problem.status,
        ...(context && { requestId: context.requestId, correlationId: context.correlationId }),
      });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(problem.status);
    for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
    response.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem.body));
  }
}
