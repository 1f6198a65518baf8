import { isJsonObject, type JsonValue } from '../json';
import { type AttributeDefinition } from '../schema/attribute';
import { parseDateTime } from '../schema/date-time';
import { type ResolvedAttribute } from '../schema/schema-registry';
import { type CompareOperator, type ComparisonValue, type Filter } from './filter.ast';
import { leafOf } from './filter.resolve';

/**
 * Whether a canonical document matches a resolved filter. The semantics are exactly those of
 * `filterToSql`: a multi-valued attribute matches when any value does; `ne` and the ordering
 * operators need a value to compare (an absent attribute matches neither `eq` nor `ne`);
 * `pr` needs a value that is not null, "", [] or {}.
 */
export const matches = (filter: Filter, document: JsonValue): boolean => {
  switch (filter.kind) {
    case 'and':
      return filter.filters.every((inner) => matches(inner, document));
    case 'or':
      return filter.filters.some((inner) => matches(inner, document));
    case 'not':
      return !matches(filter.filter, document);
    case 'present':
      return valuesAt(document, filter.attribute).some(isPresent);
    case 'comparison': {
      const leaf = leafOf(filter.attribute);
      return valuesAt(document, filter.attribute).some((value) =>
        compare(leaf, filter.operator, value, filter.value),
      );
    }
    case 'valuePath':
      return elementsAt(document, filter.attribute).some((element) => matches(filter.filter, element));
  }
};

const member = (value: JsonValue | undefined, key: string): JsonValue | undefined =>
  isJsonObject(value) ? value[key] : undefined;

const attributeValue = (scope: JsonValue, resolved: ResolvedAttribute): JsonValue | undefined => {
  const container = resolved.extension === undefined ? scope : member(scope, resolved.extension);
  return member(container, resolved.attribute.name);
};

/** Every value a path designates: one per element for a multi-valued attribute. */
const valuesAt = (scope: JsonValue, resolved: ResolvedAttribute): JsonValue[] => {
  const value = attributeValue(scope, resolved);
  const sub = resolved.subAttribute;
  const values = resolved.attribute.multiValued
    ? Array.isArray(value)
      ? sub
        ? value.map((element) => member(element, sub.name))
        : value
      : []
    : [sub ? member(value, sub.name) : value];
  return values.filter((item): item is JsonValue => item !== undefined);
};

/** The values a `[...]` filter runs over: the elements of a multi-valued attribute, or the one complex value. */
const elementsAt = (scope: JsonValue, resolved: ResolvedAttribute): JsonValue[] => {
  const value = attributeValue(scope, resolved);
  if (resolved.attribute.multiValued) return Array.isArray(value) ? value : [];
  return isJsonObject(value) ? [value] : [];
};

export const isPresent = (value: JsonValue | undefined): boolean => {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isJsonObject(value)) return Object.keys(value).length > 0;
  return true;
};

/** Code point order, which is PostgreSQL's `collate "C"` order over UTF-8. */
export const compareCodePoints = (a: string, b: string): number => {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    const difference = (left[index]?.codePointAt(0) ?? 0) - (right[index]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
};

const ordered = (operator: CompareOperator, difference: number): boolean => {
  switch (operator) {
    case 'eq':
      return difference === 0;
    case 'ne':
      return difference !== 0;
    case 'gt':
      return difference > 0;
    case 'ge':
      return difference >= 0;
    case 'lt':
      return difference < 0;
    case 'le':
      return difference <= 0;
    case 'co':
    case 'sw':
    case 'ew':
      return false;
  }
};

const compare = (
  leaf: AttributeDefinition,
  operator: CompareOperator,
  actual: JsonValue,
  expected: ComparisonValue,
): boolean => {
  switch (leaf.type) {
    case 'string':
    case 'reference':
    case 'binary': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const left = leaf.caseExact ? actual : actual.toLowerCase();
      const right = leaf.caseExact ? expected : expected.toLowerCase();
      if (operator === 'co') return left.includes(right);
      if (operator === 'sw') return left.startsWith(right);
      if (operator === 'ew') return left.endsWith(right);
      return ordered(operator, compareCodePoints(left, right));
    }
    case 'dateTime': {
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      const left = parseDateTime(actual);
      const right = parseDateTime(expected);
      return left !== undefined && right !== undefined && ordered(operator, left - right);
    }
    case 'decimal':
    case 'integer':
      return (
        typeof actual === 'number' && typeof expected === 'number' && ordered(operator, actual - expected)
      );
    case 'boolean':
      return typeof actual === 'boolean' && ordered(operator, actual === expected ? 0 : 1);
    case 'complex':
      return false;
  }
};
