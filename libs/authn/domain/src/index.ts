export * from './client/client.decide';
export * from './exchange/token-exchange';
export * from './mfa/mfa.attempts';
export * from './mfa/mfa.decide';
export * from './mfa/mfa.policy';
export * from './mfa/relying-party';
