export * from './browser';
export * from './oidc-idp';
export * from './saml';
export * from './services';
export * from './webauthn-authenticator';
