export * from './test-identity-provider';
export * from './test-keys';
