export { ScimError, SCIM_ERROR_SCHEMA, type ScimErrorBody, type ScimType } from './errors/scim-error';
export {
  formatVersion,
  ifMatchSatisfied,
  parseIfMatch,
  parseVersion,
  type EntityTag,
  type EntityTagCondition,
} from './errors/etag';
export { type JsonObject, type JsonPrimitive, type JsonValue, type ScimDocument } from './json';

export {
  type AttributeDefinition,
  type AttributeType,
  type Mutability,
  type ResourceTypeDefinition,
  type Returned,
  type SchemaDefinition,
  type Uniqueness,
} from './schema/attribute';
export { type AttributePath } from './schema/attribute-path';
export * from './schema/builtin-schemas';
export {
  createSchemaRegistry,
  defaultSchemaRegistry,
  schemaExtensionProblems,
  SchemaRegistry,
  type AttributeDeclaration,
  type ResolvedAttribute,
  type ResolvedTarget,
  type SchemaExtensionDeclaration,
} from './schema/schema-registry';
export {
  renderResourceType,
  renderResourceTypes,
  renderSchema,
  renderSchemas,
  renderServiceProviderConfig,
  type ServiceProviderConfigOptions,
} from './schema/discovery';

export {
  COMPARE_OPERATORS,
  type CompareOperator,
  type ComparisonValue,
  type Filter,
  type FilterExpression,
  type FilterLiteral,
} from './filter/filter.ast';
export { DEFAULT_FILTER_LIMITS, parseFilter, type FilterLimits } from './filter/filter.parser';
export { compileFilter, resolveFilter } from './filter/filter.resolve';
export { matches } from './filter/filter.evaluate';
export { filterToSql, type FilterSqlOptions } from './filter/filter.sql';
export { type SqlFragment } from './filter/sql';

export { normalizeResource, type NormalizedResource } from './resource/normalize';
export { replaceResource } from './resource/replace-resource';
export { type ResourceChange, type ValueSetChange } from './resource/resource-change';
export { applyPatch, type PatchOperationName } from './patch/apply-patch';

export { project, type ProjectionOptions } from './query/project';
export {
  listResponse,
  parseListQuery,
  parseSearchRequest,
  type ListQuery,
  type ListQueryOptions,
  type QueryParameters,
  type SortOrder,
  type SortSpec,
} from './query/list-query';
export { compareForSort, sortToSql } from './query/sort';

export {
  executeBulk,
  parseBulkRequest,
  type BulkExecutor,
  type BulkLimits,
  type BulkMethod,
  type BulkOperation,
  type BulkOperationResult,
  type BulkRequest,
  type BulkResponse,
  type BulkResponseOperation,
} from './bulk/bulk';
