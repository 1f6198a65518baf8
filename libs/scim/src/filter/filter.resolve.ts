import { invalidFilter } from '../errors/scim-error';
import { subAttribute, type AttributeDefinition } from '../schema/attribute';
import { formatAttributePath, type AttributePath } from '../schema/attribute-path';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { isDateTime } from '../schema/date-time';
import { type ResolvedAttribute, type SchemaRegistry } from '../schema/schema-registry';
import {
  type CompareOperator,
  type ComparisonValue,
  type Filter,
  type FilterExpression,
  type FilterLiteral,
} from './filter.ast';
import { parseFilter, type FilterLimits } from './filter.parser';

const ORDERING: readonly CompareOperator[] = ['gt', 'ge', 'lt', 'le'];
const SUBSTRING: readonly CompareOperator[] = ['co', 'sw', 'ew'];

type Scope =
  | { readonly kind: 'resource'; readonly registry: SchemaRegistry; readonly resourceType: ResourceTypeName }
  | { readonly kind: 'value'; readonly parent: ResolvedAttribute };

/**
 * Checks a parsed filter against a resource type's schemas: unknown attributes, comparisons the
 * attribute's type cannot support (`gt` on a boolean, `co` on a number, ...) and filters on
 * write-only attributes are `invalidFilter`. `attr eq null` becomes `not (attr pr)`.
 */
export const resolveFilter = (
  expression: FilterExpression,
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
): Filter => resolveIn(expression, { kind: 'resource', registry, resourceType });

/** `parseFilter` then `resolveFilter`. */
export const compileFilter = (
  text: string,
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  limits: FilterLimits = {},
): Filter => resolveFilter(parseFilter(text, limits), registry, resourceType);

/** Resolves a value filter relative to one value of `parent` (the inside of `members[...]`). */
export const resolveValueFilter = (expression: FilterExpression, parent: ResolvedAttribute): Filter =>
  resolveIn(expression, { kind: 'value', parent });

const resolveIn = (expression: FilterExpression, scope: Scope): Filter => {
  switch (expression.kind) {
    case 'and':
    case 'or':
      return { kind: expression.kind, filters: expression.filters.map((filter) => resolveIn(filter, scope)) };
    case 'not':
      return { kind: 'not', filter: resolveIn(expression.filter, scope) };
    case 'present':
      return { kind: 'present', attribute: resolvePath(expression.path, scope) };
    case 'comparison':
      return resolveComparison(resolvePath(expression.path, scope), expression.operator, expression.value);
    case 'valuePath': {
      if (scope.kind === 'value') throw invalidFilter('a value filter cannot hold another one');
      const attribute = resolvePath(expression.path, scope);
      if (attribute.subAttribute !== undefined || attribute.attribute.type !== 'complex') {
        throw invalidFilter(`'${attribute.path}' is not a complex attribute; '[...]' cannot filter it`);
      }
      return {
        kind: 'valuePath',
        attribute,
        filter: resolveIn(expression.filter, { kind: 'value', parent: attribute }),
      };
    }
  }
};

const resolvePath = (path: AttributePath, scope: Scope): ResolvedAttribute => {
  const written = formatAttributePath(path);
  let resolved: ResolvedAttribute | undefined;
  if (scope.kind === 'resource') {
    resolved = scope.registry.resolveAttribute(scope.resourceType, path);
  } else if (path.schema === undefined && path.subAttribute === undefined) {
    const sub = subAttribute(scope.parent.attribute, path.attribute);
    if (sub) {
      resolved = {
        extension: undefined,
        attribute: sub,
        subAttribute: undefined,
        path: `${scope.parent.path}.${sub.name}`,
      };
    }
  }
  if (!resolved) {
    const where = scope.kind === 'value' ? ` of '${scope.parent.path}'` : '';
    throw invalidFilter(`unknown attribute '${written}'${where}`);
  }
  const leaf = leafOf(resolved);
  if (leaf.returned === 'never' || leaf.mutability === 'writeOnly') {
    throw invalidFilter(`'${resolved.path}' is write-only and cannot be filtered on`);
  }
  return resolved;
};

export const leafOf = (resolved: ResolvedAttribute): AttributeDefinition =>
  resolved.subAttribute ?? resolved.attribute;

const resolveComparison = (
  resolved: ResolvedAttribute,
  operator: CompareOperator,
  literal: FilterLiteral,
): Filter => {
  let attribute = resolved;
  if (leafOf(attribute).type === 'complex') {
    // RFC 7644 §3.4.2.2 example `emails co "example.com"`: a complex attribute compares by its value.
    const value = subAttribute(attribute.attribute, 'value');
    if (!value) throw invalidFilter(`'${attribute.path}' is complex; compare one of its sub-attributes`);
    attribute = { ...attribute, subAttribute: value, path: `${attribute.path}.${value.name}` };
  }
  const leaf = leafOf(attribute);
  const unsupported = (why: string) =>
    invalidFilter(`'${attribute.path} ${operator}' is not supported: ${why}`);
  if (literal.type === 'null') {
    if (operator === 'eq') return { kind: 'not', filter: { kind: 'present', attribute } };
    if (operator === 'ne') return { kind: 'present', attribute };
    throw unsupported('null can only be compared with eq or ne');
  }
  const value = comparisonValue(leaf, literal);
  if (value === undefined) {
    throw invalidFilter(
      `'${attribute.path}' is of type ${leaf.type}; ${describeLiteral(literal)} does not suit it`,
    );
  }
  switch (leaf.type) {
    case 'boolean':
      if (operator !== 'eq' && operator !== 'ne')
        throw unsupported('a boolean can only be compared with eq or ne');
      break;
    case 'binary':
      if (ORDERING.includes(operator)) throw unsupported('binary values have no order');
      break;
    case 'decimal':
    case 'integer':
    case 'dateTime':
      if (SUBSTRING.includes(operator))
        throw unsupported(`${leaf.type === 'integer' ? 'an' : 'a'} ${leaf.type} has no substrings`);
      break;
    case 'string':
    case 'reference':
    case 'complex':
      break;
  }
  return { kind: 'comparison', attribute, operator, value };
};

const describeLiteral = (literal: FilterLiteral): string =>
  literal.type === 'string'
    ? `the string ${JSON.stringify(literal.value)}`
    : `the ${literal.type} ${literalText(literal)}`;

const literalText = (literal: FilterLiteral): string => {
  switch (literal.type) {
    case 'string':
      return literal.value;
    case 'number':
      return literal.text;
    case 'boolean':
      return String(literal.value);
    case 'null':
      return 'null';
  }
};

const comparisonValue = (leaf: AttributeDefinition, literal: FilterLiteral): ComparisonValue | undefined => {
  switch (leaf.type) {
    case 'string':
    case 'reference':
    case 'binary':
      // Entra sends unquoted values (`externalId eq 12345`): take the text as written.
      return literalText(literal);
    case 'dateTime':
      return literal.type === 'string' && isDateTime(literal.value) ? literal.value : undefined;
    case 'boolean':
      if (literal.type === 'boolean') return literal.value;
      if (literal.type === 'string' && /^(true|false)$/i.test(literal.value)) {
        return literal.value.toLowerCase() === 'true';
      }
      return undefined;
    case 'decimal':
      return literal.type === 'number' ? literal.value : undefined;
    case 'integer':
      return literal.type === 'number' && Number.isInteger(literal.value) ? literal.value : undefined;
    case 'complex':
      return undefined;
  }
};
