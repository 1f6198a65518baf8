import { attributeJson } from '../filter/filter.sql';
import { compareCodePoints } from '../filter/filter.evaluate';
import { sqlArrayOrEmpty, sqlColumn, sqlKey } from '../filter/sql';
import { isJsonObject, type JsonValue, type ScimDocument } from '../json';
import { parseDateTime } from '../schema/date-time';
import { type SortSpec } from './list-query';

/**
 * The ORDER BY list for `sortBy` over a `jsonb` column (without the `order by` keywords). A
 * multi-valued attribute sorts by its primary value, else its first. Unassigned values sort last
 * ascending and first descending; ties break on `id` so that pages are stable.
 */
export const sortToSql = (sort: SortSpec, options: { readonly column: string }): string => {
  const column = sqlColumn(options.column);
  const { attribute } = sort;
  const json = attributeJson(attribute, column);
  const sub = attribute.subAttribute;
  const pick = (element: string) => (sub ? `${element}->${sqlKey(sub.name)}` : element);
  const value = attribute.attribute.multiValued
    ? `coalesce((select ${pick('scim_s.value')} from jsonb_array_elements(${sqlArrayOrEmpty(json)}) as scim_s(value) ` +
      `where scim_s.value->'primary' = 'true'::jsonb limit 1), ${pick(`${json}->0`)})`
    : pick(json);
  const text = `(${value} #>> '{}')`;
  const leaf = sub ?? attribute.attribute;
  let key: string;
  switch (leaf.type) {
    case 'dateTime':
      key = `${text}::timestamptz`;
      break;
    case 'decimal':
    case 'integer':
      key = `${text}::numeric`;
      break;
    case 'boolean':
      key = `${text}::boolean`;
      break;
    case 'string':
    case 'reference':
    case 'binary':
    case 'complex':
      key = `${leaf.caseExact ? text : `lower(${text})`} collate "C"`;
      break;
  }
  const direction = sort.order === 'ascending' ? 'asc nulls last' : 'desc nulls first';
  return `${key} ${direction}, ${column}->>'id' collate "C" asc`;
};

type SortKey = string | number | boolean | undefined;

const sortKey = (sort: SortSpec, document: ScimDocument): SortKey => {
  const { attribute } = sort;
  const container = attribute.extension === undefined ? document : document[attribute.extension];
  const value = isJsonObject(container) ? container[attribute.attribute.name] : undefined;
  const sub = attribute.subAttribute;
  const pick = (element: JsonValue | undefined) =>
    sub ? (isJsonObject(element) ? element[sub.name] : undefined) : element;
  let picked: JsonValue | undefined;
  if (attribute.attribute.multiValued) {
    const elements = Array.isArray(value) ? value : [];
    const primary = elements.find((element) => isJsonObject(element) && element.primary === true);
    picked = pick(primary);
    if (picked === undefined || picked === null) picked = pick(elements[0]);
  } else picked = pick(value);
  if (picked === undefined || picked === null) return undefined;
  const leaf = sub ?? attribute.attribute;
  if (leaf.type === 'dateTime') return typeof picked === 'string' ? parseDateTime(picked) : undefined;
  if (typeof picked === 'string') return leaf.caseExact ? picked : picked.toLowerCase();
  return typeof picked === 'number' || typeof picked === 'boolean' ? picked : undefined;
};

const compareKeys = (a: Exclude<SortKey, undefined>, b: Exclude<SortKey, undefined>): number => {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Number(a) - Number(b);
};

/** The in-memory order `sortToSql` gives, for lists sorted outside the database. */
export const compareForSort =
  (sort: SortSpec) =>
  (left: ScimDocument, right: ScimDocument): number => {
    const a = sortKey(sort, left);
    const b = sortKey(sort, right);
    let order: number;
    if (a === undefined || b === undefined) {
      order = a === b ? 0 : a === undefined ? 1 : -1;
      if (sort.order === 'descending') order = -order;
    } else {
      order = compareKeys(a, b);
      if (sort.order === 'descending') order = -order;
    }
    if (order !== 0) return order;
    const id = (document: ScimDocument) => (typeof document.id === 'string' ? document.id : '');
    return compareCodePoints(id(left), id(right));
  };
