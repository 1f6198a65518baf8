import { invalidSyntax, invalidValue } from '../errors/scim-error';
import { type Filter } from '../filter/filter.ast';
import { compileFilter } from '../filter/filter.resolve';
import { type FilterLimits } from '../filter/filter.parser';
import { findKeyIgnoringCase, isJsonObject, type JsonObject, type JsonValue } from '../json';
import { subAttribute } from '../schema/attribute';
import { parseAttributePath } from '../schema/attribute-path';
import {
  LIST_RESPONSE_SCHEMA,
  SEARCH_REQUEST_SCHEMA,
  type ResourceTypeName,
} from '../schema/builtin-schemas';
import { type ResolvedAttribute, type SchemaRegistry } from '../schema/schema-registry';

export type SortOrder = 'ascending' | 'descending';

export interface SortSpec {
  readonly attribute: ResolvedAttribute;
  readonly order: SortOrder;
}

/** A validated list request: what `GET /Users?…` or `POST /Users/.search` asks for. */
export interface ListQuery {
  readonly filter: Filter | undefined;
  /** 1-based. */
  readonly startIndex: number;
  /** 0 asks for `totalResults` only; never above `maxResults`. */
  readonly count: number;
  readonly sort: SortSpec | undefined;
  readonly attributes: readonly string[];
  readonly excludedAttributes: readonly string[];
}

export interface ListQueryOptions {
  /** The `filter.maxResults` advertised in /ServiceProviderConfig: the largest page. */
  readonly maxResults: number;
  /** The page size when `count` is not given; `maxResults` by default. */
  readonly defaultCount?: number;
  readonly filterLimits?: FilterLimits;
}

/** Query parameters as an HTTP framework hands them over (a repeated key gives an array). */
export type QueryParameters = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Parses the query string of a list request (RFC 7644 §3.4.2); parameter names are case-insensitive. */
export const parseListQuery = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  query: QueryParameters,
  options: ListQueryOptions,
): ListQuery => {
  const lookup = (name: string): string | undefined => {
    const key = Object.keys(query).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : query[key];
    if (value === undefined || typeof value === 'string') return value;
    if (name === 'attributes' || name === 'excludedAttributes') return value.join(',');
    if (value.length > 1) throw invalidValue(`'${name}' is given more than once`);
    return value[0];
  };
  return buildListQuery(registry, resourceType, options, {
    filter: lookup('filter'),
    startIndex: lookup('startIndex'),
    count: lookup('count'),
    sortBy: lookup('sortBy'),
    sortOrder: lookup('sortOrder'),
    attributes: lookup('attributes'),
    excludedAttributes: lookup('excludedAttributes'),
  });
};

/** Parses a `SearchRequest` body (`POST …/.search`, RFC 7644 §3.4.3). */
export const parseSearchRequest = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  body: unknown,
  options: ListQueryOptions,
): ListQuery => {
  if (!isJsonObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const get = (name: string): JsonValue | undefined => {
    const key = findKeyIgnoringCase(body, name);
    return key === undefined ? undefined : body[key];
  };
  const schemas = get('schemas');
  if (!Array.isArray(schemas) || !schemas.includes(SEARCH_REQUEST_SCHEMA)) {
    throw invalidSyntax(`'schemas' must be ["${SEARCH_REQUEST_SCHEMA}"]`);
  }
  return buildListQuery(registry, resourceType, options, {
    filter: get('filter'),
    startIndex: get('startIndex'),
    count: get('count'),
    sortBy: get('sortBy'),
    sortOrder: get('sortOrder'),
    attributes: get('attributes'),
    excludedAttributes: get('excludedAttributes'),
  });
};

type RawListQuery = Readonly<
  Record<
    'filter' | 'startIndex' | 'count' | 'sortBy' | 'sortOrder' | 'attributes' | 'excludedAttributes',
    unknown
  >
>;

const buildListQuery = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  options: ListQueryOptions,
  raw: RawListQuery,
): ListQuery => {
  const text = optionalString(raw.filter, 'filter');
  const filter =
    text === undefined ? undefined : compileFilter(text, registry, resourceType, options.filterLimits);
  const startIndex = Math.max(1, integer(raw.startIndex, 'startIndex') ?? 1);
  const requestedCount = integer(raw.count, 'count') ?? options.defaultCount ?? options.maxResults;
  const count = Math.min(Math.max(0, requestedCount), options.maxResults);
  const sortBy = optionalString(raw.sortBy, 'sortBy');
  const sortOrder = optionalString(raw.sortOrder, 'sortOrder')?.toLowerCase();
  if (sortOrder !== undefined && sortOrder !== 'ascending' && sortOrder !== 'descending') {
    throw invalidValue("'sortOrder' must be ascending or descending");
  }
  return {
    filter,
    startIndex,
    count,
    sort:
      sortBy === undefined
        ? undefined
        : { attribute: resolveSortBy(registry, resourceType, sortBy), order: sortOrder ?? 'ascending' },
    attributes: names(raw.attributes, 'attributes'),
    excludedAttributes: names(raw.excludedAttributes, 'excludedAttributes'),
  };
};

const optionalString = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidValue(`'${name}' must be a string`);
  return value.trim() === '' ? undefined : value;
};

const integer = (value: unknown, name: string): number | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number))
    throw invalidValue(`'${name}' must be an integer`);
  return number;
};

const names = (value: unknown, name: string): string[] => {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? (value as JsonValue[]) : [value as JsonValue];
  if (!items.every((item): item is string => typeof item === 'string')) {
    throw invalidValue(`'${name}' must be a list of attribute names`);
  }
  return items
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
};

const resolveSortBy = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  text: string,
): ResolvedAttribute => {
  const path = parseAttributePath(text.trim());
  const resolved = path && registry.resolveAttribute(resourceType, path);
  if (!resolved) throw invalidValue(`cannot sort by unknown attribute '${text}'`);
  const leaf = resolved.subAttribute ?? resolved.attribute;
  if (leaf.returned === 'never') throw invalidValue(`cannot sort by '${resolved.path}'`);
  if (leaf.type !== 'complex') return resolved;
  const value = subAttribute(resolved.attribute, 'value');
  if (!value) throw invalidValue(`cannot sort by complex attribute '${resolved.path}'`);
  return { ...resolved, subAttribute: value, path: `${resolved.path}.value` };
};

/** A ListResponse (RFC 7644 §3.4.2) with integer counts, as Okta requires. */
export const listResponse = <T extends JsonValue = JsonObject>(
  resources: readonly T[],
  totalResults: number,
  startIndex: number,
  itemsPerPage: number = resources.length,
) => ({
  schemas: [LIST_RESPONSE_SCHEMA],
  totalResults,
  itemsPerPage,
  startIndex,
  Resources: [...resources],
});
