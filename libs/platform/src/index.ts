export * from './auth/api-auth.guard';
export * from './commands/context-writer';
export * from './crypto/secret-box';
export * from './auth/api-key';
export * from './auth/api-key.repository';
export * from './auth/api-key.verifier';
export * from './auth/principal';
export * from './config/config';
export * from './config/platform-env';
export * from './errors/problem';
export * from './errors/problem-mapping';
export * from './errors/problem.filter';
export * from './health/health.controller';
export * from './health/readiness';
export * from './http/bootstrap';
export * from './http/openapi';
export * from './http/platform.module';
export * from './http/platform.options';
export * from './http/public-url';
export * from './idempotency/idempotency';
export * from './ids/prefixed-id';
export * from './idempotency/idempotency-cleanup';
export * from './idempotency/idempotency.interceptor';
export * from './idempotency/idempotency.repository';
export * from './logging/json-logger';
export { PLATFORM_CLOCK, PLATFORM_DATA_SOURCE, type Clock } from './persistence/platform-data-source';
export * from './persistence/platform.entities';
export * from './persistence/platform.migrations';
export {
  CORRELATION_ID_HEADER,
  REQUEST_ID_HEADER,
  requestContextMiddleware,
  requestContextOf,
} from './request-context/http-request-context';
export {
  currentRequestContext,
  type RequestContext,
  runWithRequestContext,
  setContextPrincipal,
} from './request-context/request-context';
export * from './validation/zod-validation';
