export * from './authn.module';
export * from './authn.registration';
