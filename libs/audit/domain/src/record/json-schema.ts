/**
 * A small subset of JSON Schema, enough for an organization to describe the shape of its custom
 * actions (and for the audit record's own shape): `type`, `properties`, `required`, `enum`,
 * `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`, `items`, `maxItems` and
 * `additionalProperties`. Anything else is refused when a schema is registered, so that nobody
 * believes a keyword is enforced when it is not.
 */
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

export interface JsonSchema {
  readonly type?: JsonType | readonly JsonType[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly enum?: readonly JsonValue[];
  readonly minLength?: number;
  readonly maxLength?: number;
  /** An ECMAScript regular expression, matched with the `u` flag. */
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: JsonSchema;
  readonly maxItems?: number;
  /** `false` refuses properties not named in `properties`; a schema validates them. Absent allows them. */
  readonly additionalProperties?: boolean | JsonSchema;
  readonly description?: string;
}

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** Where a value breaks its schema: a JSON Pointer (RFC 6901) such as `/metadata/amount`, and why. */
export interface SchemaViolation {
  readonly path: string;
  readonly message: string;
}

const KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'items',
  'maxItems',
  'additionalProperties',
  'description',
  'title',
  '$schema',
]);
const TYPES = new Set<string>(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const MAX_SCHEMA_DEPTH = 16;
const MAX_PATTERN_LENGTH = 256;

/** `/a/b` + `c~d` → `/a/b/c~0d` (RFC 6901 escaping). */
export const pointerTo = (base: string, key: string | number): string =>
  `${base}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typeOf = (value: unknown): JsonType | 'unsupported' => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number')
    return Number.isFinite(value) ? (Number.isInteger(value) ? 'integer' : 'number') : 'unsupported';
  return typeof value === 'object' ? 'object' : 'unsupported';
};

const hasType = (value: unknown, expected: JsonType): boolean => {
  const actual = typeOf(value);
  return actual === expected || (expected === 'number' && actual === 'integer');
};

const sameJson = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key], b[key]));
  }
  return false;
};

/** Length in Unicode code points, as JSON Schema counts it. */
const lengthOf = (text: string): number => [...text].length;

/**
 * The first place where `value` breaks `schema`, in document order, or null when it conforms.
 * `path` is the pointer of `value` itself (empty for the document root).
 */
export const validateJson = (schema: JsonSchema, value: unknown, path = ''): SchemaViolation | null => {
  const at = (message: string): SchemaViolation => ({ path: path === '' ? '/' : path, message });

  if (schema.type !== undefined) {
    const allowed: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!allowed.some((type) => hasType(value, type))) return at(`must be ${allowed.join(' or ')}`);
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => sameJson(option, value)))
    return at(`must be one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`);

  if (typeof value === 'string') {
    if (schema.minLength !== undefined && lengthOf(value) < schema.minLength)
      return at(`must be at least ${schema.minLength} characters long`);
    if (schema.maxLength !== undefined && lengthOf(value) > schema.maxLength)
      return at(`must be at most ${schema.maxLength} characters long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      return at(`must match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return at(`must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) return at(`must be ≤ ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return at(`must have at most ${schema.maxItems} items`);
    if (schema.items !== undefined) {
      for (const [index, item] of value.entries()) {
        const violation = validateJson(schema.items, item, pointerTo(path, index));
        if (violation) return violation;
      }
    }
  }
  if (isJsonObject(value)) {
    for (const name of schema.required ?? [])
      if (!(name in value) || value[name] === undefined)
        return { path: pointerTo(path, name), message: 'is required' };
    const properties = schema.properties ?? {};
    for (const [name, property] of Object.entries(value)) {
      if (property === undefined) continue;
      const declared = Object.hasOwn(properties, name) ? properties[name] : undefined;
      const propertySchema =
        declared ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (!declared && schema.additionalProperties === false)
        return { path: pointerTo(path, name), message: 'is not allowed here' };
      if (propertySchema) {
        const violation = validateJson(propertySchema, property, pointerTo(path, name));
        if (violation) return violation;
      }
    }
  }
  return null;
};

const isCount = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Checks that an organization's schema for a custom action uses only the supported keywords, with
 * values of the right kind, and compiles. Returns the first problem (its pointer inside the schema).
 */
export const checkJsonSchema = (schema: unknown, path = '', depth = 0): SchemaViolation | null => {
  const at = (where: string, message: string): SchemaViolation => ({
    path: where === '' ? '/' : where,
    message,
  });
  if (!isJsonObject(schema)) return at(path, 'a schema must be an object');
  if (depth > MAX_SCHEMA_DEPTH) return at(path, `schemas nest at most ${MAX_SCHEMA_DEPTH} levels deep`);
  for (const [keyword, value] of Object.entries(schema)) {
    const where = pointerTo(path, keyword);
    if (!KEYWORDS.has(keyword)) return at(where, `the keyword ${keyword} is not supported`);
    switch (keyword) {
      case 'type': {
        const types: unknown[] = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((type) => typeof type === 'string' && TYPES.has(type)))
          return at(where, 'must name JSON types');
        break;
      }
      case 'properties': {
        if (!isJsonObject(value)) return at(where, 'must be an object of schemas');
        for (const [name, property] of Object.entries(value)) {
          const violation = checkJsonSchema(property, pointerTo(where, name), depth + 1);
          if (violation) return violation;
        }
        break;
      }
      case 'items': {
        const violation = checkJsonSchema(value, where, depth + 1);
        if (violation) return violation;
        break;
      }
      case 'additionalProperties': {
        if (typeof value === 'boolean') break;
        const violation = checkJsonSchema(value, where, depth + 1);
        if (violation) return violation;
        break;
      }
      case 'required':
        if (!Array.isArray(value) || !value.every((name) => typeof name === 'string'))
          return at(where, 'must be an array of property names');
        break;
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) return at(where, 'must be a non-empty array');
        break;
      case 'minLength':
      case 'maxLength':
      case 'maxItems':
        if (!isCount(value)) return at(where, 'must be a non-negative integer');
        break;
      case 'minimum':
      case 'maximum':
        if (typeof value !== 'number' || !Number.isFinite(value)) return at(where, 'must be a number');
        break;
      case 'pattern':
        if (typeof value !== 'string') return at(where, 'must be a regular expression');
        if (value.length > MAX_PATTERN_LENGTH)
          return at(where, `must be at most ${MAX_PATTERN_LENGTH} characters long`);
        try {
          new RegExp(value, 'u');
        } catch {
          return at(where, 'is not a valid regular expression');
        }
        break;
      default:
        if (typeof value !== 'string') return at(where, 'must be a string');
    }
  }
  return null;
};
