export * from './mandate/mandate.decide';
export * from './policy/permissions';
export * from './policy/policy.decide';
