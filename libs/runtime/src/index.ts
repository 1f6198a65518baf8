export * from './admin-key';
export * from './distributed';
export * from './readiness';
export * from './root-module';
export * from './standalone';
