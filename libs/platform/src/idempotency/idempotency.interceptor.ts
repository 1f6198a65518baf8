import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
} from '@nestjs/common';
import { type Request, type Response } from 'express';
import { catchError, from, mergeMap, type Observable, of } from 'rxjs';
import { isManagementApiPath, principalOf } from '../auth/api-auth.guard';
import { principalId } from '../auth/principal';
import { ApiProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { problemInstance } from '../errors/problem.filter';
import { toProblem } from '../errors/problem-mapping';
import { PLATFORM_CLOCK, type Clock } from '../persistence/platform-data-source';
import { requestContextOf } from '../request-context/http-request-context';
import {
  hashRequestBody,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_REPLAYED_HEADER,
  isValidIdempotencyKey,
  replayableHeaders,
  type StoredResponse,
} from './idempotency';
import { IdempotencyRepository, type IdempotentRequest } from './idempotency.repository';

/**
 * Honours `Idempotency-Key` on every POST under `/api`: the first request claims the key and its
 * response is stored; a retry with the same body replays that response (`Idempotency-Replayed: true`),
 * a different request with the same key gets 422, a retry while the first still runs gets 409.
 * Responses of 4xx are stored like successes (retrying cannot change them); a 5xx releases the key so
 * the request can be retried.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('IdempotencyInterceptor');

  constructor(
    private readonly store: IdempotencyRepository,
    @Inject(PLATFORM_CLOCK) private readonly clock: Clock,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    const principal = principalOf(request);
    if (request.method !== 'POST' || !isManagementApiPath(request.path) || key === undefined || !principal) {
      return next.handle();
    }
    if (typeof key !== 'string' || !isValidIdempotencyKey(key)) {
      throw new ApiProblem(
        'PLATFORM_IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be one value of 1 to 255 visible ASCII characters.',
      );
    }

    const idempotent: IdempotentRequest = {
      principal: principalId(principal),
      key,
      method: request.method,
      path: request.originalUrl,
      requestHash: hashRequestBody(request.body),
    };
    const claim = await this.store.claim(idempotent, this.clock());
    switch (claim.type) {
      case 'mismatch':
        throw new ApiProblem(
          'PLATFORM_IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used for a different request.',
        );
      case 'in_progress':
        throw new ApiProblem(
          'PLATFORM_IDEMPOTENCY_IN_PROGRESS',
          'A request with this Idempotency-Key is still being processed; retry later.',
          { headers: { 'Retry-After': '1' } },
        );
      case 'completed':
        return of(this.replay(claim.response, response));
      case 'claimed':
        return next.handle().pipe(
          mergeMap((body) => from(this.stored(idempotent, response, body))),
          catchError((error: unknown) => from(this.failed(idempotent, request, error))),
        );
    }
  }

  private replay(stored: StoredResponse, response: Response): unknown {
    response.status(stored.status);
    for (const [name, value] of Object.entries(stored.headers)) response.setHeader(name, value);
    response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    return stored.body;
  }

  private async stored(request: IdempotentRequest, response: Response, body: unknown): Promise<unknown> {
    const stored: StoredResponse = {
      status: response.statusCode,
      headers: replayableHeaders(response.getHeaders()),
      body,
    };
    await this.remember(request, () => this.store.complete(request, stored, this.clock()));
    return body;
  }

  private async failed(request: IdempotentRequest, httpRequest: Request, error: unknown): Promise<never> {
    const problem = toProblem(error, {
      instance: problemInstance(httpRequest),
      requestId: requestContextOf(httpRequest)?.requestId,
    });
    await this.remember(request, () =>
      problem.status >= 500
        ? this.store.release(request)
        : this.store.complete(
            request,
            {
              status: problem.status,
              headers: { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE },
              body: problem.body,
            },
            this.clock(),
          ),
    );
    throw error;
  }

  /**
   * The request already happened: if its outcome cannot be recorded, the client still gets it. The key
   * then stays claimed until it is taken to be abandoned, so a retry cannot run the request twice.
   */
  private async remember(request: IdempotentRequest, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.logger.error({ msg: 'could not record an idempotent response', err: error, key: request.key });
    }
  }
}
