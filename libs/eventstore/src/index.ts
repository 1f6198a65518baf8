export * from './command-handler';
export * from './event-store';
export * from './postgres/embedded-postgres';
export * from './postgres/polling-subscription';
export * from './postgres/postgres-event-store';
export * from './uuid';
