export * from './services';
export * from './webauthn-authenticator';
