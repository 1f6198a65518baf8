export * from './organization-replica';
export * from './tenancy.module';
