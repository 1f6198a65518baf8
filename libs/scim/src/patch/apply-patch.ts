import {
  invalidPath,
  invalidSyntax,
  invalidValue,
  mutability,
  noTarget,
  ScimError,
} from '../errors/scim-error';
import { matches } from '../filter/filter.evaluate';
import { type Filter } from '../filter/filter.ast';
import { parsePatchPath } from '../filter/filter.parser';
import { resolveValueFilter } from '../filter/filter.resolve';
import {
  cloneJson,
  deepEqual,
  findKeyIgnoringCase,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type ScimDocument,
} from '../json';
import { subAttribute, type AttributeDefinition, type SchemaDefinition } from '../schema/attribute';
import { formatAttributePath } from '../schema/attribute-path';
import { PATCH_OP_SCHEMA, type ResourceTypeName } from '../schema/builtin-schemas';
import { type SchemaRegistry } from '../schema/schema-registry';
import { readAttribute, writeAttribute, type AttributeLocation } from '../resource/document';
import {
  assertRequired,
  assertSinglePrimary,
  canonicalDocument,
  normalizeValue,
  resolveBodyKey,
} from '../resource/normalize';
import { describeChange, type ResourceChange } from '../resource/resource-change';

export type PatchOperationName = 'add' | 'remove' | 'replace';

type PatchTarget =
  | { readonly kind: 'extension'; readonly schema: SchemaDefinition }
  | {
      readonly kind: 'attribute';
      readonly location: AttributeLocation;
      /** `name.givenName`, or the `.streetAddress` of `addresses[type eq "work"].streetAddress`. */
      readonly sub: AttributeDefinition | undefined;
      /** The `[...]` of a value path; selects values of a multi-valued attribute. */
      readonly filter: Filter | undefined;
      readonly path: string;
    };

const OPERATIONS: readonly PatchOperationName[] = ['add', 'remove', 'replace'];

/**
 * Applies a PatchOp body (RFC 7644 §3.5.2) to a canonical document and returns the new one with
 * what changed; the input is never modified, so a failing operation leaves nothing half-applied.
 * Accepts the Entra and Okta dialects: any case for `op`, path-less values keyed by dotted or URN
 * paths, read-only attributes in path-less values ignored, `remove` of `members` with a value
 * meaning "remove these members", "True"/"False" for booleans.
 */
export const applyPatch = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  document: ScimDocument,
  body: unknown,
): ResourceChange => {
  const operations = readOperations(body);
  const patcher = new Patcher(registry, resourceType, cloneJson(document));
  operations.forEach((operation, index) => {
    try {
      patcher.apply(operation);
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      const where = `operation ${index + 1} (${operation.op}${operation.path === undefined ? '' : ` ${operation.path}`})`;
      throw new ScimError(error.status, error.scimType, `${where}: ${error.detail}`);
    }
  });
  const next = canonicalDocument(registry, resourceType, patcher.document);
  assertRequired(registry, resourceType, next);
  return describeChange(registry, resourceType, document, next, patcher.password);
};

interface PatchOperation {
  readonly op: PatchOperationName;
  readonly path: string | undefined;
  readonly value: JsonValue | undefined;
}

const member = (object: JsonObject, name: string): JsonValue | undefined => {
  const key = findKeyIgnoringCase(object, name);
  return key === undefined ? undefined : object[key];
};

const readOperations = (body: unknown): PatchOperation[] => {
  if (!isJsonObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((schema) => schema === PATCH_OP_SCHEMA)) {
    throw invalidSyntax(`'schemas' must be ["${PATCH_OP_SCHEMA}"]`);
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalidSyntax("'Operations' must be a non-empty array");
  }
  return operations.map((operation, index) => {
    if (!isJsonObject(operation)) throw invalidSyntax(`operation ${index + 1} must be an object`);
    const op = member(operation, 'op');
    const name = typeof op === 'string' ? op.toLowerCase() : undefined;
    if (!OPERATIONS.includes(name as PatchOperationName)) {
      throw invalidSyntax(`operation ${index + 1}: 'op' must be add, remove or replace`);
    }
    const path = member(operation, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string') {
      throw invalidPath(`operation ${index + 1}: 'path' must be a string`);
    }
    return {
      op: name as PatchOperationName,
      path: typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined,
      value: member(operation, 'value'),
    };
  });
};

const isPrimary = (value: JsonValue): boolean => isJsonObject(value) && value.primary === true;

class Patcher {
  password: string | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly resourceType: ResourceTypeName,
    readonly document: ScimDocument,
  ) {}

  apply({ op, path, value }: PatchOperation): void {
    if (path === undefined) {
      if (op === 'remove') throw noTarget("'remove' needs a 'path'");
      if (!isJsonObject(value)) throw invalidValue(`'${op}' without a 'path' takes an object of attributes`);
      this.applyValueObject(op, value);
      return;
    }
    this.applyAtPath(op, path, value, false);
  }

  private applyAtPath(
    op: PatchOperationName,
    path: string,
    value: JsonValue | undefined,
    ignoreReadOnly: boolean,
  ) {
    const target = this.resolveTarget(path);
    if (target.kind === 'extension') {
      this.applyToExtension(op, target.schema, value);
      return;
    }
    if (target.location.attribute.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') {
      if (ignoreReadOnly) return;
      throw mutability(`'${target.path}' is read-only`);
    }
    this.applyToAttribute(op, target, value);
  }

  /** add / replace without a path: each key is an attribute path, read-only ones ignored (Okta's `id`). */
  private applyValueObject(op: 'add' | 'replace', value: JsonObject): void {
    for (const [key, item] of Object.entries(value)) {
      // Entra flattens value paths into keys too: { "emails[type eq \"work\"].value": "…" }.
      if (key.includes('[')) {
        this.applyAtPath(op, key, item, true);
        continue;
      }
      const target = resolveBodyKey(this.registry, this.resourceType, key);
      switch (target.kind) {
        case 'schemas':
        case 'unknownSchema':
          break;
        case 'extension': {
          const schema = this.registry.extension(this.resourceType, target.schema);
          if (schema) this.applyToExtension(op, schema, item);
          break;
        }
        case 'attribute': {
          const { resolved } = target;
          if (
            resolved.attribute.mutability === 'readOnly' ||
            resolved.subAttribute?.mutability === 'readOnly'
          )
            break;
          this.applyToAttribute(
            op,
            {
              kind: 'attribute',
              location: resolved,
              sub: resolved.subAttribute,
              filter: undefined,
              path: resolved.path,
            },
            item,
          );
          break;
        }
      }
    }
  }

  private resolveTarget(text: string): PatchTarget {
    let parsed;
    try {
      parsed = parsePatchPath(text);
    } catch (error) {
      if (error instanceof ScimError) throw invalidPath(`'${text}' is not a valid path: ${error.detail}`);
      throw error;
    }
    const target = this.registry.resolve(this.resourceType, parsed.path);
    if (!target)
      throw invalidPath(`unknown attribute '${formatAttributePath(parsed.path)}' for ${this.resourceType}`);
    if (target.kind === 'extension') {
      if (parsed.filter) throw invalidPath(`'${text}': a schema has no values to filter`);
      return { kind: 'extension', schema: target.schema };
    }
    if (!parsed.filter) {
      return {
        kind: 'attribute',
        location: target,
        sub: target.subAttribute,
        filter: undefined,
        path: target.path,
      };
    }
    if (target.attribute.type !== 'complex' || !target.attribute.multiValued) {
      throw invalidPath(
        `'${target.path}' is not a multi-valued complex attribute; '[...]' cannot select its values`,
      );
    }
    const filter = resolveValueFilter(parsed.filter, target);
    const sub =
      parsed.subAttribute === undefined ? undefined : subAttribute(target.attribute, parsed.subAttribute);
    if (parsed.subAttribute !== undefined && !sub) {
      throw invalidPath(`unknown sub-attribute '${parsed.subAttribute}' of '${target.path}'`);
    }
    return { kind: 'attribute', location: target, sub, filter, path: text };
  }

  private applyToExtension(
    op: PatchOperationName,
    schema: SchemaDefinition,
    value: JsonValue | undefined,
  ): void {
    if (op === 'remove') {
      const required = schema.attributes.find((attribute) => attribute.required);
      if (required) throw mutability(`'${schema.id}:${required.name}' is required and cannot be removed`);
      delete this.document[schema.id];
      return;
    }
    if (!isJsonObject(value)) throw invalidValue(`'${schema.id}' takes an object of its attributes`);
    for (const [key, item] of Object.entries(value)) {
      if (key.toLowerCase() === 'schemas') continue;
      const resolved = this.registry.resolveAttribute(this.resourceType, {
        schema: schema.id,
        attribute: key.split('.')[0] ?? key,
        subAttribute: key.split('.')[1],
      });
      if (!resolved) throw invalidValue(`unknown attribute '${key}' in ${schema.id}`);
      if (resolved.attribute.mutability === 'readOnly' || resolved.subAttribute?.mutability === 'readOnly')
        continue;
      this.applyToAttribute(
        op,
        {
          kind: 'attribute',
          location: resolved,
          sub: resolved.subAttribute,
          filter: undefined,
          path: resolved.path,
        },
        item,
      );
    }
  }

  private applyToAttribute(
    op: PatchOperationName,
    target: Extract<PatchTarget, { kind: 'attribute' }>,
    value: JsonValue | undefined,
  ): void {
    const { attribute } = target.location;
    if (attribute.mutability === 'writeOnly') {
      if (op !== 'remove') {
        const secret = normalizeValue(attribute, value, target.path);
        if (secret !== undefined && typeof secret !== 'string')
          throw invalidValue(`'${target.path}' must be a string`);
        this.password = secret;
      }
      return;
    }
    if (attribute.multiValued && (target.filter || target.sub)) {
      this.applyToSelectedValues(op, target, value);
    } else if (target.sub) {
      this.applyToSubAttribute(op, target.location, target.sub, value, target.path);
    } else if (attribute.multiValued) {
      this.applyToMultiValued(op, target.location, value, target.path);
    } else {
      this.applyToSingleValued(op, target.location, value, target.path);
    }
  }

  private write(location: AttributeLocation, value: JsonValue | undefined, path: string): void {
    const current = readAttribute(this.document, location);
    if (deepEqual(current, value)) return;
    const { attribute } = location;
    if (value === undefined && attribute.required)
      throw mutability(`'${path}' is required and cannot be removed`);
    if (attribute.mutability === 'immutable' && current !== undefined) {
      throw mutability(`'${path}' is immutable and already has a value`);
    }
    writeAttribute(this.document, location, value);
  }

  private applyToSingleValued(
    op: PatchOperationName,
    location: AttributeLocation,
    value: JsonValue | undefined,
    path: string,
  ): void {
    if (op === 'remove') {
      this.write(location, undefined, path);
      return;
    }
    if (op === 'add' && (value === undefined || value === null)) throw invalidValue("'add' needs a value");
    const normalized = normalizeValue(location.attribute, value, path);
    const current = readAttribute(this.document, location);
    // RFC 7644 §3.5.2.1 and §3.5.2.3: a complex value merges into the current one, sub-attribute by sub-attribute.
    const next =
      isJsonObject(current) && isJsonObject(normalized)
        ? mergeSubAttributes(location.attribute, current, normalized, path)
        : normalized;
    this.write(location, next, path);
  }

  private applyToSubAttribute(
    op: PatchOperationName,
    location: AttributeLocation,
    sub: AttributeDefinition,
    value: JsonValue | undefined,
    path: string,
  ): void {
    const current = readAttribute(this.document, location);
    const parent = isJsonObject(current) ? current : {};
    if (op === 'add' && (value === undefined || value === null)) throw invalidValue("'add' needs a value");
    const normalized = op === 'remove' ? undefined : normalizeValue(sub, value, path);
    const next = setSubAttribute(parent, sub, normalized, path);
    this.write(location, Object.keys(next).length === 0 ? undefined : next, path);
  }

  private applyToMultiValued(
    op: PatchOperationName,
    location: AttributeLocation,
    value: JsonValue | undefined,
    path: string,
  ): void {
    const { attribute } = location;
    const current = readAttribute(this.document, location);
    const elements = Array.isArray(current) ? current : [];
    const items = (
      value === undefined
        ? undefined
        : normalizeValue(attribute, Array.isArray(value) ? value : [value], path)
    ) as JsonValue[] | undefined;
    switch (op) {
      case 'replace':
        this.write(location, items, path);
        return;
      case 'remove': {
        if (items === undefined) {
          this.write(location, undefined, path);
          return;
        }
        // Entra: {"op":"Remove","path":"members","value":[{"value":"u1"}]} removes those members only.
        const remaining = elements.filter(
          (element) => !items.some((item) => sameValue(attribute, element, item)),
        );
        this.write(location, remaining.length === 0 ? undefined : remaining, path);
        return;
      }
      case 'add': {
        if (items === undefined) {
          if (value === undefined || value === null) throw invalidValue("'add' needs a value");
          return;
        }
        const next = [...elements];
        const touched = new Set<JsonValue>();
        for (const item of items) {
          if (next.some((element) => deepEqual(element, item))) continue;
          const same = next.findIndex((element) => sameValue(attribute, element, item));
          const existing = next[same];
          if (existing !== undefined && isJsonObject(existing) && isJsonObject(item)) {
            const merged = { ...existing, ...item };
            next[same] = merged;
            touched.add(merged);
          } else {
            next.push(item);
            touched.add(item);
          }
        }
        this.write(location, settlePrimary(next, touched, path), path);
        return;
      }
    }
  }

  /** `emails[type eq "work"]`, `addresses[type eq "work"].streetAddress`, or `emails.type` (every value). */
  private applyToSelectedValues(
    op: PatchOperationName,
    target: Extract<PatchTarget, { kind: 'attribute' }>,
    value: JsonValue | undefined,
  ): void {
    const { location, filter, sub, path } = target;
    const { attribute } = location;
    const current = readAttribute(this.document, location);
    const elements = Array.isArray(current) ? [...current] : [];
    const selected = (element: JsonValue) => (filter ? matches(filter, element) : true);
    const matching = elements.filter(selected);

    if (op === 'remove') {
      const next = elements.flatMap((element) => {
        if (!selected(element)) return [element];
        if (!sub) return [];
        const trimmed = setSubAttribute(isJsonObject(element) ? element : {}, sub, undefined, path);
        return Object.keys(trimmed).length === 0 ? [] : [trimmed];
      });
      this.write(location, next.length === 0 ? undefined : next, path);
      return;
    }
    if (value === undefined || (op === 'add' && value === null)) throw invalidValue(`'${op}' needs a value`);
    const single: AttributeDefinition = { ...attribute, multiValued: false };
    const update = (element: JsonObject): JsonObject =>
      sub
        ? setSubAttribute(element, sub, normalizeValue(sub, value, path), path)
        : mergeSubAttributes(attribute, element, asObject(normalizeValue(single, value, path), path), path);

    const touched = new Set<JsonValue>();
    let next: JsonValue[];
    if (matching.length > 0) {
      next = elements.map((element) => {
        if (!selected(element)) return element;
        const updated = update(isJsonObject(element) ? element : {});
        touched.add(updated);
        return updated;
      });
    } else {
      const seed = op === 'add' ? (filter ? equalities(filter) : {}) : undefined;
      if (!seed) throw noTarget(`no value of '${attribute.name}' matches '${path}'`);
      // Entra adds emails[type eq "work"].value to a user without a work email: create that value.
      const created = update(seed);
      touched.add(created);
      next = [...elements, created];
    }
    next = next.filter((element) => !isJsonObject(element) || Object.keys(element).length > 0);
    assertSinglePrimary([...touched], path);
    this.write(location, next.length === 0 ? undefined : settlePrimary(next, touched, path), path);
  }
}

const asObject = (value: JsonValue | undefined, path: string): JsonObject => {
  if (!isJsonObject(value)) throw invalidValue(`'${path}' takes an object of sub-attributes`);
  return value;
};

const mergeSubAttributes = (
  attribute: AttributeDefinition,
  current: JsonObject,
  addition: JsonObject,
  path: string,
): JsonObject => {
  let next = current;
  for (const [key, value] of Object.entries(addition)) {
    const sub = subAttribute(attribute, key);
    if (sub) next = setSubAttribute(next, sub, value, path);
  }
  if (!deepEqual(current.value, next.value)) {
    // Read-only sub-attributes (manager.displayName) described the previous value; the server sets them anew.
    const stale = (attribute.subAttributes ?? [])
      .filter((sub) => sub.mutability === 'readOnly')
      .map((sub) => sub.name);
    next = Object.fromEntries(Object.entries(next).filter(([key]) => !stale.includes(key)));
  }
  return next;
};

/** A copy of `element` with one sub-attribute set or (for undefined) removed, honouring its mutability. */
const setSubAttribute = (
  element: JsonObject,
  sub: AttributeDefinition,
  value: JsonValue | undefined,
  path: string,
): JsonObject => {
  const current = element[sub.name];
  if (deepEqual(current, value)) return element;
  if (value === undefined && sub.required)
    throw mutability(`'${path}': '${sub.name}' is required and cannot be removed`);
  if (sub.mutability === 'immutable' && current !== undefined) {
    throw mutability(`'${path}': '${sub.name}' is immutable and already has a value`);
  }
  const next = { ...element };
  if (value === undefined) delete next[sub.name];
  else next[sub.name] = value;
  return next;
};

/**
 * Two values of a multi-valued attribute are the same value when they are equal, or for complex
 * values when their `value` (and, where both have one, `type`) are equal: adding `{"value":"u1"}` to
 * members already holding `{"value":"u1","display":"Babs"}` changes nothing.
 */
const sameValue = (attribute: AttributeDefinition, left: JsonValue, right: JsonValue): boolean => {
  if (deepEqual(left, right)) return true;
  const valueDefinition = subAttribute(attribute, 'value');
  if (!valueDefinition || !isJsonObject(left) || !isJsonObject(right)) return false;
  const a = left.value;
  const b = right.value;
  if (typeof a !== 'string' || typeof b !== 'string')
    return a !== undefined && deepEqual(a, b) && sameType(left, right);
  const equal = valueDefinition.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  return equal && sameType(left, right);
};

const sameType = (left: JsonObject, right: JsonObject): boolean =>
  left.type === undefined || right.type === undefined || deepEqual(left.type, right.type);

/** After a change made `touched` values primary, the other values stop being primary (RFC 7644 §3.5.2). */
const settlePrimary = (elements: JsonValue[], touched: ReadonlySet<JsonValue>, path: string): JsonValue[] => {
  const primaries = elements.filter(isPrimary);
  if (primaries.length <= 1) return elements;
  if (primaries.filter((element) => touched.has(element)).length !== 1) {
    throw invalidValue(`at most one value of '${path}' may be primary`);
  }
  return elements.map((element) =>
    isJsonObject(element) && isPrimary(element) && !touched.has(element)
      ? { ...element, primary: false }
      : element,
  );
};

/** The value a `[...]` filter made only of `eq` comparisons describes: `type eq "work"` → `{ type: "work" }`. */
const equalities = (filter: Filter): JsonObject | undefined => {
  if (filter.kind === 'comparison' && filter.operator === 'eq')
    return { [filter.attribute.attribute.name]: filter.value };
  if (filter.kind !== 'and') return undefined;
  const result: JsonObject = {};
  for (const inner of filter.filters) {
    const part = equalities(inner);
    if (!part) return undefined;
    for (const [key, value] of Object.entries(part)) {
      if (key in result && !deepEqual(result[key], value)) return undefined;
      result[key] = value;
    }
  }
  return result;
};
