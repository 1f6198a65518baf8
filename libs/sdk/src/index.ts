export * from './authz/authorizer';
export * from './events/identity-events';
export { type FetchLike } from './http';
export { consoleLogger, type SdkLogger } from './logger';
export * from './revocations/http-revocations';
export * from './revocations/revocation-feed';
export {
  type GrantRevocation,
  type RevocationFollower,
  type RevocationList,
  RevokedGrants,
  type RevokedGrantsOptions,
  staticRevocations,
} from './revocations/revocation-list';
export { type ServerSentEvent, SseParser, type SseParserCallbacks } from './revocations/sse-parser';
export { type BackoffOptions } from './timing';
export * from './verification/bearer-auth';
export * from './verification/token-verification.error';
export * from './verification/token-verifier';
