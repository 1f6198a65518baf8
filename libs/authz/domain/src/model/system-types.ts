import type { TypeDefinitionJson } from './model.types';

/** Types every organization's model has; a model may reference them but not redefine them. */
export const SYSTEM_TYPES: Readonly<Record<string, TypeDefinitionJson>> = {
  user: {},
  agent: {},
  group: { relations: { member: { this: ['user', 'agent', 'group#member'] } } },
  role: { relations: { assignee: { this: ['user', 'agent', 'group#member'] } } },
};

export const isSystemType = (name: string): boolean => Object.hasOwn(SYSTEM_TYPES, name);
