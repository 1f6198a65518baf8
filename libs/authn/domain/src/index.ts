export * from './client/client.decide';
export * from './exchange/token-exchange';
export * from './connection/attribute-mapping';
export * from './connection/connection-settings';
export * from './connection/connection.decide';
export * from './connection/home-realm';
export * from './connection/service-provider-endpoints';
