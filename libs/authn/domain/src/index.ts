export * from './client/client.decide';
export * from './exchange/token-exchange';
