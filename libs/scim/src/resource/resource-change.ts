import { cloneJson, deepEqual, isJsonObject, type JsonValue, type ScimDocument } from '../json';
import { subAttribute } from '../schema/attribute';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { type SchemaRegistry } from '../schema/schema-registry';
import { allLocations, locationPath, readAttribute } from './document';

export interface ValueSetChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** The outcome of a PUT or PATCH: the new document and what changed, for events and no-op detection. */
export interface ResourceChange {
  /** The new document; when nothing changed, a copy of the input, so the version can stay. */
  readonly document: ScimDocument;
  readonly changed: boolean;
  /** Canonical paths of the top-level attributes that changed: `displayName`, `urn:…:User:department`. */
  readonly changedAttributes: readonly string[];
  /**
   * For multi-valued complex attributes with a `value` (`members`, `owners`, `emails`, …) whose
   * values changed: the values added and removed, keyed by canonical path.
   */
  readonly valueChanges: Readonly<Record<string, ValueSetChange>>;
  /** The write-only `password` when the request set one; never part of `document`. */
  readonly password: string | undefined;
}

const valuesOf = (value: JsonValue | undefined): string[] =>
  Array.isArray(value)
    ? value.flatMap((element) =>
        isJsonObject(element) && typeof element.value === 'string' ? [element.value] : [],
      )
    : [];

export const describeChange = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  before: ScimDocument,
  after: ScimDocument,
  password: string | undefined,
): ResourceChange => {
  const changedAttributes: string[] = [];
  const valueChanges: Record<string, ValueSetChange> = {};
  for (const location of allLocations(registry, resourceType)) {
    if (location.extension === undefined && location.attribute.name === 'schemas') continue;
    const previous = readAttribute(before, location);
    const next = readAttribute(after, location);
    if (deepEqual(previous, next)) continue;
    const path = locationPath(location);
    changedAttributes.push(path);
    if (location.attribute.multiValued && subAttribute(location.attribute, 'value')) {
      const previousValues = new Set(valuesOf(previous));
      const nextValues = new Set(valuesOf(next));
      const added = [...nextValues].filter((value) => !previousValues.has(value));
      const removed = [...previousValues].filter((value) => !nextValues.has(value));
      if (added.length > 0 || removed.length > 0) valueChanges[path] = { added, removed };
    }
  }
  const changed = changedAttributes.length > 0;
  return {
    document: changed ? after : cloneJson(before),
    changed,
    changedAttributes,
    valueChanges,
    password,
  };
};
