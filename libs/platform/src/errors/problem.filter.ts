import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type Request, type Response } from 'express';
import { currentRequestContext } from '../request-context/request-context';
import { requestContextOf } from '../request-context/http-request-context';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { toProblem } from './problem-mapping';

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
