export * from './authn-events';
export * from './authz-events';
export * from './cloud-events';
export * from './directory-events';
export { ContractViolation, type ContractViolationCode, type WireResult } from './contract-violation';
export * from './integration-events';
export * from './organization-events';
export * from './topics';
export * from './wire-envelope';
