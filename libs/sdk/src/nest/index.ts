export * from './mandate-auth.guard';
