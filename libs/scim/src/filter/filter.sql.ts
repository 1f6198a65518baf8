import { invalidFilter } from '../errors/scim-error';
import { type AttributeDefinition } from '../schema/attribute';
import { type ResolvedAttribute } from '../schema/schema-registry';
import { type CompareOperator, type ComparisonValue, type Filter } from './filter.ast';
import { leafOf } from './filter.resolve';
import { SqlParameters, sqlArrayOrEmpty, sqlColumn, sqlKey, type SqlFragment } from './sql';

export interface FilterSqlOptions {
  /** The `jsonb` column holding the canonical document, e.g. `doc` or `r.doc`. */
  readonly column: string;
  /** The number of the first placeholder to use (`$1` by default). */
  readonly firstParam?: number;
}

/** A JSON value in SQL: as jsonb, and as text (`->>` / `#>> '{}'`, SQL NULL for JSON null). */
interface SqlValue {
  readonly json: string;
  readonly text: string;
}

const field = (base: string, key: string): SqlValue => ({
  json: `${base}->${sqlKey(key)}`,
  text: `${base}->>${sqlKey(key)}`,
});
const whole = (base: string): SqlValue => ({ json: base, text: `(${base} #>> '{}')` });

const SQL_OPERATORS: Readonly<Record<Exclude<CompareOperator, 'co' | 'sw' | 'ew'>, string>> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

export const escapeLikePattern = (value: string): string => value.replace(/[\\%_]/g, (char) => `\\${char}`);

/**
 * Translates a resolved filter into a WHERE fragment over a `jsonb` column holding canonical
 * documents, with the same answers as `matches`. Every value is a placeholder; keys come from the
 * schema registry. Plain PostgreSQL 15 (`->`, `->>`, `jsonb_array_elements`, `jsonb_typeof`), so it
 * runs unchanged on PostgreSQL 15 to 18 and PGlite.
 */
export const filterToSql = (filter: Filter, options: FilterSqlOptions): SqlFragment => {
  const parameters = new SqlParameters(options.firstParam ?? 1);
  const sql = translate(filter, sqlColumn(options.column), parameters);
  return { sql, params: parameters.values, nextParam: parameters.nextParam };
};

const translate = (filter: Filter, root: string, parameters: SqlParameters): string => {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return `(${filter.filters.map((inner) => translate(inner, root, parameters)).join(` ${filter.kind} `)})`;
    case 'not':
      return `not ${translate(filter.filter, root, parameters)}`;
    case 'present':
      return overValues(filter.attribute, root, parameters, present);
    case 'comparison': {
      const leaf = leafOf(filter.attribute);
      return overValues(filter.attribute, root, parameters, (value) =>
        comparison(leaf, filter.operator, filter.value, value, parameters),
      );
    }
    case 'valuePath': {
      const attribute = attributeJson(filter.attribute, root);
      if (!filter.attribute.attribute.multiValued) {
        return `(coalesce(jsonb_typeof(${attribute}) = 'object', false) and ${translate(filter.filter, attribute, parameters)})`;
      }
      const alias = parameters.alias('scim_e');
      return (
        `exists (select 1 from jsonb_array_elements(${sqlArrayOrEmpty(attribute)}) as ${alias}(value) ` +
        `where ${translate(filter.filter, `${alias}.value`, parameters)})`
      );
    }
  }
};

const containerJson = (resolved: ResolvedAttribute, root: string): string =>
  resolved.extension === undefined ? root : `${root}->${sqlKey(resolved.extension)}`;

export const attributeJson = (resolved: ResolvedAttribute, root: string): string =>
  `${containerJson(resolved, root)}->${sqlKey(resolved.attribute.name)}`;

/**
 * A predicate on every value a path designates; for a multi-valued attribute, true when any element
 * satisfies it. Predicates are wrapped in `coalesce(…, false)` so that an absent value gives false,
 * never SQL NULL: otherwise `not (…)` would drop rows the evaluator keeps.
 */
const overValues = (
  resolved: ResolvedAttribute,
  root: string,
  parameters: SqlParameters,
  predicate: (value: SqlValue) => string,
): string => {
  const attribute = attributeJson(resolved, root);
  const sub = resolved.subAttribute;
  if (!resolved.attribute.multiValued) {
    const value = sub
      ? field(attribute, sub.name)
      : field(containerJson(resolved, root), resolved.attribute.name);
    return `coalesce(${predicate(value)}, false)`;
  }
  const alias = parameters.alias('scim_e');
  const element = `${alias}.value`;
  const value = sub ? field(element, sub.name) : whole(element);
  return (
    `exists (select 1 from jsonb_array_elements(${sqlArrayOrEmpty(attribute)}) as ${alias}(value) ` +
    `where coalesce(${predicate(value)}, false))`
  );
};

const present = (value: SqlValue): string =>
  `jsonb_typeof(${value.json}) <> 'null' and ${value.json} not in ('""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;

const comparison = (
  leaf: AttributeDefinition,
  operator: CompareOperator,
  expected: ComparisonValue,
  actual: SqlValue,
  parameters: SqlParameters,
): string => {
  switch (leaf.type) {
    case 'string':
    case 'reference':
    case 'binary': {
      const fold = (sql: string) => (leaf.caseExact ? sql : `lower(${sql})`);
      const text = fold(actual.text);
      const pattern = (before: string, after: string) =>
        fold(parameters.add(`${before}${escapeLikePattern(String(expected))}${after}`, 'text'));
      switch (operator) {
        case 'co':
          return `${text} like ${pattern('%', '%')} escape '\\'`;
        case 'sw':
          return `${text} like ${pattern('', '%')} escape '\\'`;
        case 'ew':
          return `${text} like ${pattern('%', '')} escape '\\'`;
        case 'eq':
        case 'ne':
          return `${text} ${SQL_OPERATORS[operator]} ${fold(parameters.add(expected, 'text'))}`;
        case 'gt':
        case 'ge':
        case 'lt':
        case 'le':
          // collate "C": code point order, as the evaluator compares, whatever the database's collation.
          return `(${text}) collate "C" ${SQL_OPERATORS[operator]} ${fold(parameters.add(expected, 'text'))}`;
      }
      break;
    }
    case 'dateTime':
    case 'decimal':
    case 'integer': {
      if (operator === 'co' || operator === 'sw' || operator === 'ew') break;
      const cast = leaf.type === 'dateTime' ? 'timestamptz' : 'numeric';
      return `(${actual.text})::${cast} ${SQL_OPERATORS[operator]} ${parameters.add(expected, cast)}`;
    }
    case 'boolean':
      if (operator !== 'eq' && operator !== 'ne') break;
      return `${actual.json} ${SQL_OPERATORS[operator]} to_jsonb(${parameters.add(expected, 'boolean')})`;
    case 'complex':
      break;
  }
  // resolveFilter rejects these combinations already; a hand-built Filter must not pass silently either.
  throw invalidFilter(`'${leaf.name} ${operator}' is not supported for type ${leaf.type}`);
};
