export * from './saml-attack-fixtures';
export * from './test-identity-provider';
export * from './test-keys';
