export * from './agent/agent.decide';
export * from './command';
export * from './directory/directory.decide';
export * from './group/group.decide';
export * from './organization/organization.commands';
export * from './organization/organization.decide';
export * from './user/user.decide';
