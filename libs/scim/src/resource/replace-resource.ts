import { mutability } from '../errors/scim-error';
import { deepEqual, isJsonObject, type JsonObject, type ScimDocument } from '../json';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { type SchemaRegistry } from '../schema/schema-registry';
import { allLocations, locationPath, readAttribute, writeAttribute } from './document';
import { canonicalDocument, normalizeResource } from './normalize';
import { describeChange, type ResourceChange } from './resource-change';

/**
 * PUT (RFC 7644 §3.5.1): the body replaces the resource. Read-only attributes are ignored in the
 * body and kept from `current` (`id`, `meta`, `groups`, `manager.displayName`, …); an immutable
 * attribute must keep its value (`mutability`) or may be omitted; required attributes must be present.
 */
export const replaceResource = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  current: ScimDocument,
  body: unknown,
): ResourceChange => {
  const { document: replacement, password } = normalizeResource(registry, resourceType, body);
  const next: ScimDocument = { ...replacement };
  for (const location of allLocations(registry, resourceType)) {
    const { attribute } = location;
    if (location.extension === undefined && attribute.name === 'schemas') continue;
    const previous = readAttribute(current, location);
    if (previous === undefined) continue;
    const incoming = readAttribute(next, location);
    if (attribute.mutability === 'readOnly') {
      writeAttribute(next, location, previous);
    } else if (attribute.mutability === 'immutable') {
      if (incoming === undefined) writeAttribute(next, location, previous);
      else if (!deepEqual(incoming, previous)) {
        throw mutability(`'${locationPath(location)}' is immutable and cannot change`);
      }
    } else if (isJsonObject(previous) && isJsonObject(incoming) && !attribute.multiValued) {
      writeAttribute(
        next,
        location,
        keepReadOnlySubAttributes(location.attribute.subAttributes ?? [], previous, incoming),
      );
    }
  }
  return describeChange(
    registry,
    resourceType,
    current,
    canonicalDocument(registry, resourceType, next),
    password,
  );
};

/** Server-maintained sub-attributes (`manager.displayName`) survive when the rest of the value is unchanged. */
const keepReadOnlySubAttributes = (
  subAttributes: readonly { readonly name: string; readonly mutability: string }[],
  previous: JsonObject,
  incoming: JsonObject,
): JsonObject => {
  const readOnly = subAttributes.filter((sub) => sub.mutability === 'readOnly').map((sub) => sub.name);
  if (readOnly.length === 0) return incoming;
  const writable = (value: JsonObject) =>
    Object.fromEntries(Object.entries(value).filter(([key]) => !readOnly.includes(key)));
  if (!deepEqual(writable(previous), writable(incoming))) return incoming;
  return {
    ...incoming,
    ...Object.fromEntries(
      readOnly.filter((key) => key in previous).map((key) => [key, previous[key] ?? null]),
    ),
  };
};
