export * from './authz.module';
export * from './authz.registration';
