export * from './saml-service-provider';
export * from './saml-stores';
export { CreateAuthnSamlStores1796169600000 } from './saml-stores.migration';
