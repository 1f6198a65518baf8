import { type NextFunction, type Request, type Response } from 'express';
import { type JsonLogger } from '../logging/json-logger';
import { principalId } from '../auth/principal';
import { enterRequestContext, newRequestContext, type RequestContext } from './request-context';

export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/**
 * Ids a caller may supply: short and free of anything that could forge a log line or a header.
 * Anything else is replaced by a fresh id rather than rejected.
 */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const contexts = new WeakMap<Request, RequestContext>();

/** The platform context of an HTTP request (set by `requestContextMiddleware`). */
export const requestContextOf = (request: Request): RequestContext | undefined => contexts.get(request);

const acceptableId = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' && ACCEPTABLE_ID.test(value) ? value : undefined;

/** Probes hit these every few seconds: their access lines are detail, not news. */
const PROBE_PATHS = new Set(['/health', '/ready']);

/**
 * The first middleware of every app: takes `x-request-id` (or makes one) and `x-correlation-id`
 * (or reuses the request id), echoes both on the response, runs the rest of the request inside the
 * context, and writes one access-log line when the response is over.
 */
export const requestContextMiddleware =
  (logger: JsonLogger, newId: () => string) =>
  (request: Request, response: Response, next: NextFunction): void => {
    const requestId = acceptableId(request.headers[REQUEST_ID_HEADER]) ?? newId();
    const correlationId = acceptableId(request.headers[CORRELATION_ID_HEADER]) ?? requestId;
    const context = newRequestContext(requestId, correlationId);
    contexts.set(request, context);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    response.setHeader(CORRELATION_ID_HEADER, correlationId);

    const started = process.hrtime.bigint();
    response.once('close', () => {
      enterRequestContext(context, () =>
        logger.write(
          PROBE_PATHS.has(request.path) && response.statusCode < 400 ? 'debug' : 'info',
          'request',
          {
            context: 'http',
            method: request.method,
            // The path only: query strings may carry personal data (filters by e-mail, …).
            path: request.path,
            status: response.statusCode,
            durationMs: Number(process.hrtime.bigint() - started) / 1e6,
            ...(context.principal && { principal: principalId(context.principal) }),
            ...(!response.writableFinished && { aborted: true }),
          },
        ),
      );
    });
    enterRequestContext(context, next);
  };
