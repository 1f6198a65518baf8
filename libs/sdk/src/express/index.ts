export * from './mandate-auth.middleware';
