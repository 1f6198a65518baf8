export * from './browser';
export * from './oidc-idp';
export * from './services';
export * from './webauthn-authenticator';
