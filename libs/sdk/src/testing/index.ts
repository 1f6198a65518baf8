export * from './recorded-events';
export * from './test-issuer';
export * from './test-revocation-feed';
export * from './wait-until';
