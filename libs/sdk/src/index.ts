export { type FetchLike } from './http';
export { consoleLogger, type SdkLogger } from './logger';
export {
  type GrantRevocation,
  type RevocationList,
  RevokedGrants,
  type RevokedGrantsOptions,
  staticRevocations,
} from './revocations/revocation-list';
export * from './verification/token-verification.error';
export * from './verification/token-verifier';
