export * from './organization/organization.commands';
export * from './organization/organization.decide';
