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
export {
  type ParsedTuple,
  parseTuples,
  type Tuple,
  type TupleCondition,
  type TupleFault,
  type TupleKey,
  type TupleProblem,
  validateTuples,
} from './tuples/tuple';
export { TupleIndex, type TupleIndexStats } from './tuples/tuple-index';
export { AuthzEngine } from './engine/authz-engine';
export type {
  CheckRequest,
  CheckResult,
  DenyReason,
  EngineOptions,
  ExpandNode,
  ExpandRequest,
  ListObjectsRequest,
  ListObjectsResult,
  ListSubjectsRequest,
  ListSubjectsResult,
  RequestContext,
} from './engine/engine.types';
export { compileModelDsl, parseModelDsl } from './model/model-dsl';
export * from './mandate/mandate.decide';
export * from './policy/permissions';
export * from './policy/policy.decide';
export * from './policy/sso-roles';
