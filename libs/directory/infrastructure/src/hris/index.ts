export * from './hris.types';
export * from './hris-payload.error';
export * from './standard-webhooks.signature';
export * from './generic.payload';
export * from './workday.payload';
export * from './bamboohr.signature';
export * from './bamboohr.payload';
