export * from './decider';
export * from './decider-specification';
export * from './domain-error';
export * from './event';
