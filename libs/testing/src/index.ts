export * from './services';
export * from './saml';
