export * from './browser';
export * from './databases';
export * from './oidc-idp';
export * from './saml';
export * from './services';
export * from './webauthn-authenticator';
