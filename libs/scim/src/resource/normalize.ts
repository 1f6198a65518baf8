import { invalidSyntax, invalidValue } from '../errors/scim-error';
import {
  deepEqual,
  findKeyIgnoringCase,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type ScimDocument,
} from '../json';
import { subAttribute, type AttributeDefinition } from '../schema/attribute';
import { parseAttributePath } from '../schema/attribute-path';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { isDateTime } from '../schema/date-time';
import { type ResolvedAttribute, type SchemaRegistry } from '../schema/schema-registry';
import {
  allLocations,
  impliedSchemas,
  locationPath,
  readAttribute,
  writeAttribute,
  type AttributeLocation,
} from './document';

export interface NormalizedResource {
  /** Canonical names and computed `schemas`; no `id`, `meta` or other read-only attribute. */
  readonly document: ScimDocument;
  /** The write-only `password`, kept out of the document; undefined when none was sent. */
  readonly password: string | undefined;
  /** What was dropped without error: read-only attributes and unknown schema URIs. */
  readonly ignored: readonly string[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** A key of a request body or PATCH value object, resolved against the resource type's schemas. */
export type BodyKey =
  | { readonly kind: 'schemas' }
  | { readonly kind: 'extension'; readonly schema: string }
  | { readonly kind: 'attribute'; readonly resolved: ResolvedAttribute }
  | { readonly kind: 'unknownSchema' };

/**
 * Resolves `userName`, `name.givenName`, `urn:…:User:employeeNumber` or an extension URN; an
 * unknown attribute of a known schema is `invalidValue`, a URN of no schema we know is tolerated.
 */
export const resolveBodyKey = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  key: string,
): BodyKey => {
  if (key.toLowerCase() === 'schemas') return { kind: 'schemas' };
  const extension = registry.extension(resourceType, key);
  if (extension) return { kind: 'extension', schema: extension.id };
  const path = parseAttributePath(key);
  const target = path && registry.resolve(resourceType, path);
  if (target?.kind === 'attribute') return { kind: 'attribute', resolved: target };
  if (target?.kind === 'extension') return { kind: 'extension', schema: target.schema.id };
  const knownSchema =
    path?.schema === undefined ||
    path.schema.toLowerCase() === registry.coreSchema(resourceType).id.toLowerCase() ||
    registry.extension(resourceType, path.schema) !== undefined;
  if (/^urn:/i.test(key) && !knownSchema) return { kind: 'unknownSchema' };
  const schema = path?.schema ?? registry.coreSchema(resourceType).id;
  throw invalidValue(`unknown attribute '${key}' for ${resourceType} (schema ${schema})`);
};

/**
 * Checks and canonicalises one attribute value: the type, sub-attribute names (case-insensitive),
 * Entra's "True"/"False" for booleans, at most one `primary: true`. `null`, `[]`, `{}` and
 * `$ref: null` mean unassigned (undefined). Read-only sub-attributes are dropped.
 */
export const normalizeValue = (
  definition: AttributeDefinition,
  value: unknown,
  path: string,
): JsonValue | undefined => {
  if (value === null || value === undefined) return undefined;
  if (!definition.multiValued) return normalizeSingle(definition, value, path);
  if (!Array.isArray(value)) throw invalidValue(`'${path}' is multi-valued and takes an array`);
  const items = value
    .map((item) => normalizeSingle(definition, item, path))
    .filter((item): item is JsonValue => item !== undefined);
  if (items.length === 0) return undefined;
  assertSinglePrimary(items, path);
  return items;
};

export const assertSinglePrimary = (items: readonly JsonValue[], path: string): void => {
  if (items.filter((item) => isJsonObject(item) && item.primary === true).length > 1) {
    throw invalidValue(`at most one value of '${path}' may be primary`);
  }
};

const normalizeSingle = (
  definition: AttributeDefinition,
  value: unknown,
  path: string,
): JsonValue | undefined => {
  if (value === null || value === undefined) return undefined;
  const wrongType = (expected: string) =>
    invalidValue(
      `'${path}' must be ${expected}, not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
    );
  switch (definition.type) {
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw wrongType('a string');
      return value;
    case 'binary':
      if (typeof value !== 'string' || !BASE64.test(value)) throw wrongType('base64');
      return value;
    case 'dateTime':
      if (typeof value !== 'string' || !isDateTime(value)) {
        throw wrongType('a dateTime with a time zone offset, such as 2011-05-13T04:42:34Z');
      }
      return value;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw wrongType('a boolean');
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrongType('an integer');
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType('a number');
      return value;
    case 'complex':
      return normalizeComplex(definition, value, path);
  }
};

const normalizeComplex = (
  definition: AttributeDefinition,
  value: unknown,
  path: string,
): JsonObject | undefined => {
  // Entra sets the manager with a bare id: "…:manager": "26118915-…" means { "value": "26118915-…" }.
  if (typeof value === 'string' && subAttribute(definition, 'value'))
    return normalizeComplex(definition, { value }, path);
  if (!isJsonObject(value)) throw invalidValue(`'${path}' is complex and takes an object`);
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const sub = subAttribute(definition, key);
    if (!sub) throw invalidValue(`unknown sub-attribute '${key}' of '${path}'`);
    if (Object.hasOwn(result, sub.name)) throw invalidValue(`'${path}.${sub.name}' is given twice`);
    if (sub.mutability === 'readOnly') continue;
    const normalized = normalizeValue(sub, item, `${path}.${sub.name}`);
    if (normalized !== undefined) result[sub.name] = normalized;
  }
  return Object.keys(result).length === 0 ? undefined : result;
};

/** Missing required attributes and sub-attributes, as `invalidValue` (RFC 7644 §3.12). */
export const assertRequired = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  document: ScimDocument,
): void => {
  for (const location of allLocations(registry, resourceType)) {
    const value = readAttribute(document, location);
    const path = locationPath(location);
    if (location.attribute.required && location.attribute.mutability !== 'readOnly' && !hasValue(value)) {
      throw invalidValue(`'${path}' is required`);
    }
    const requiredSubs = (location.attribute.subAttributes ?? []).filter((sub) => sub.required);
    const elements = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const element of elements) {
      for (const sub of requiredSubs) {
        if (!isJsonObject(element) || !hasValue(element[sub.name])) {
          throw invalidValue(`'${path}.${sub.name}' is required in every value of '${path}'`);
        }
      }
    }
  }
};

const hasValue = (value: JsonValue | undefined): boolean =>
  value !== undefined && value !== null && value !== '';

/**
 * Turns a POST (or PUT) body into the canonical document: attribute names in the schema's case,
 * extension attributes under their URN (whether sent nested or URN-prefixed), values as sent but
 * type-checked. Read-only attributes (`id`, `meta`, `groups`) and unknown schema URIs are ignored;
 * an unknown attribute of a known schema is `invalidValue`; `schemas` must name the core schema.
 */
export const normalizeResource = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  body: unknown,
): NormalizedResource => {
  if (!isJsonObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const core = registry.coreSchema(resourceType).id;
  const schemasKey = findKeyIgnoringCase(body, 'schemas');
  const schemas = schemasKey === undefined ? undefined : body[schemasKey];
  if (!Array.isArray(schemas) || !schemas.every((schema) => typeof schema === 'string')) {
    throw invalidSyntax(`'schemas' must be an array of schema URIs including ${core}`);
  }
  if (!schemas.some((schema) => schema.toLowerCase() === core.toLowerCase())) {
    throw invalidSyntax(`'schemas' must include ${core}`);
  }
  const ignored = schemas.filter((schema) => !registry.schema(schema)).map((schema) => `schemas: ${schema}`);
  const document: ScimDocument = {};
  const assigned = new Set<string>();
  let password: string | undefined;

  const assign = (resolved: ResolvedAttribute, value: unknown) => {
    const location: AttributeLocation = resolved;
    const path = resolved.path;
    if (resolved.attribute.mutability === 'readOnly' || resolved.subAttribute?.mutability === 'readOnly') {
      ignored.push(path);
      return;
    }
    if (resolved.attribute.mutability === 'writeOnly') {
      const secret = normalizeValue(resolved.attribute, value, path);
      if (secret !== undefined && typeof secret !== 'string')
        throw invalidValue(`'${path}' must be a string`);
      password = secret;
      return;
    }
    if (assigned.has(path.toLowerCase())) throw invalidValue(`'${path}' is given twice`);
    assigned.add(path.toLowerCase());
    if (!resolved.subAttribute) {
      const existing = readAttribute(document, location);
      const normalized = normalizeValue(resolved.attribute, value, path);
      // `name.givenName` may have been read before `name`: merge rather than overwrite.
      const merged =
        isJsonObject(existing) && isJsonObject(normalized)
          ? mergeDisjoint(existing, normalized, path)
          : normalized;
      writeAttribute(document, location, merged);
      return;
    }
    if (resolved.attribute.multiValued) {
      throw invalidValue(
        `'${path}' names a sub-attribute of a multi-valued attribute; send '${resolved.attribute.name}'`,
      );
    }
    const sub = normalizeValue(resolved.subAttribute, value, path);
    if (sub === undefined) return;
    const existing = readAttribute(document, location);
    const parent = isJsonObject(existing) ? existing : {};
    writeAttribute(document, location, mergeDisjoint(parent, { [resolved.subAttribute.name]: sub }, path));
  };

  for (const [key, value] of Object.entries(body)) {
    const target = resolveBodyKey(registry, resourceType, key);
    switch (target.kind) {
      case 'schemas':
        break;
      case 'unknownSchema':
        ignored.push(key);
        break;
      case 'attribute':
        assign(target.resolved, value);
        break;
      case 'extension': {
        if (value === null) break;
        if (!isJsonObject(value))
          throw invalidValue(`'${target.schema}' must be an object of its attributes`);
        for (const [innerKey, innerValue] of Object.entries(value)) {
          // Clients that serialise an extension as a resource of its own repeat its `schemas` inside.
          if (innerKey.toLowerCase() === 'schemas') continue;
          const path = parseAttributePath(innerKey);
          const resolved =
            path && path.schema === undefined
              ? registry.resolveAttribute(resourceType, { ...path, schema: target.schema })
              : undefined;
          if (!resolved) throw invalidValue(`unknown attribute '${innerKey}' in ${target.schema}`);
          assign(resolved, innerValue);
        }
        break;
      }
    }
  }
  assertRequired(registry, resourceType, document);
  return { document: canonicalDocument(registry, resourceType, document), password, ignored };
};

const mergeDisjoint = (existing: JsonObject, addition: JsonObject, path: string): JsonObject => {
  for (const key of Object.keys(addition)) {
    if (Object.hasOwn(existing, key) && !deepEqual(existing[key], addition[key])) {
      throw invalidValue(`'${path}.${key}' is given twice`);
    }
  }
  return { ...existing, ...addition };
};

/** The document with `schemas` first, then attributes in schema order; keys the schemas do not know dropped. */
export const canonicalDocument = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  document: ScimDocument,
): ScimDocument => {
  const result: ScimDocument = { schemas: impliedSchemas(registry, resourceType, document) };
  for (const location of allLocations(registry, resourceType)) {
    if (location.attribute.name === 'schemas' && location.extension === undefined) continue;
    const value = readAttribute(document, location);
    if (value !== undefined) writeAttribute(result, location, value);
  }
  return result;
};
