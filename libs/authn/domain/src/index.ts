export * from './client/client.decide';
