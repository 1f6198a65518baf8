export { type AuthzErrorCode, type AuthzProblem } from './errors';
export {
  ID_PATTERN,
  NAME_PATTERN,
  type ParsedObject,
  type ParsedSubject,
  parseObject,
  parseSubject,
} from './names';
export type {
  ConditionJson,
  ModelJson,
  RewriteJson,
  SubjectRestrictionJson,
  TypeDefinitionJson,
} from './model/model.types';
export { AuthorizationModel } from './model/authorization-model';
export { MODEL_LIMITS, validateModel } from './model/validate-model';
export { SYSTEM_TYPES } from './model/system-types';
export { type ScalarType, type ValueType } from './conditions/condition-expression';
