import { isJsonObject, type JsonObject, type JsonValue, type ScimDocument } from '../json';
import { type AttributeDefinition } from '../schema/attribute';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { type SchemaRegistry } from '../schema/schema-registry';

/** Where a top-level attribute lives: the document itself, or the object under an extension URN. */
export interface AttributeLocation {
  readonly extension: string | undefined;
  readonly attribute: AttributeDefinition;
}

export const locationPath = (location: AttributeLocation): string =>
  location.extension ? `${location.extension}:${location.attribute.name}` : location.attribute.name;

export const readAttribute = (document: ScimDocument, location: AttributeLocation): JsonValue | undefined => {
  const container = location.extension === undefined ? document : document[location.extension];
  return isJsonObject(container) ? container[location.attribute.name] : undefined;
};

/** Sets (or, for undefined, deletes) an attribute; an extension object left empty is deleted too. */
export const writeAttribute = (
  document: ScimDocument,
  location: AttributeLocation,
  value: JsonValue | undefined,
): void => {
  let container: JsonObject = document;
  if (location.extension !== undefined) {
    const existing = document[location.extension];
    if (isJsonObject(existing)) container = existing;
    else if (value === undefined) return;
    else {
      container = {};
      document[location.extension] = container;
    }
  }
  if (value === undefined) delete container[location.attribute.name];
  else container[location.attribute.name] = value;
  if (location.extension !== undefined && Object.keys(container).length === 0)
    delete document[location.extension];
};

/** Every attribute location a resource type has, common attributes first, then core, then extensions. */
export const allLocations = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
): AttributeLocation[] => [
  ...registry.topLevelAttributes(resourceType).map((attribute) => ({ extension: undefined, attribute })),
  ...registry
    .extensions(resourceType)
    .flatMap((schema) => schema.attributes.map((attribute) => ({ extension: schema.id, attribute }))),
];

/** `schemas` as the document's content implies it: the core schema, then each extension holding values. */
export const impliedSchemas = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  document: ScimDocument,
): string[] => [
  registry.coreSchema(resourceType).id,
  ...registry
    .extensions(resourceType)
    .map((schema) => schema.id)
    .filter((id) => isJsonObject(document[id])),
];
