import { isJsonObject, type JsonObject, type JsonValue, type ScimDocument } from '../json';
import { type AttributeDefinition } from '../schema/attribute';
import { parseAttributePath } from '../schema/attribute-path';
import { type ResourceTypeName } from '../schema/builtin-schemas';
import { type SchemaRegistry } from '../schema/schema-registry';
import { allLocations, locationPath, readAttribute, writeAttribute } from '../resource/document';

export interface ProjectionOptions {
  /** `attributes=`: return these (and the `returned: always` ones) only. */
  readonly attributes?: readonly string[];
  /** `excludedAttributes=`: return the default set without these. Ignored when `attributes` is given. */
  readonly excludedAttributes?: readonly string[];
}

/** Canonical lower-case paths the request names; names no schema knows are ignored. */
const selection = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  names: readonly string[] | undefined,
): Set<string> => {
  const paths = new Set<string>();
  for (const name of names ?? []) {
    const trimmed = name.trim();
    const extension = registry.extension(resourceType, trimmed);
    const parsed = extension ? undefined : parseAttributePath(trimmed);
    const target = parsed && registry.resolve(resourceType, parsed);
    if (extension) paths.add(extension.id.toLowerCase());
    else if (target?.kind === 'extension') paths.add(target.schema.id.toLowerCase());
    else if (target?.kind === 'attribute') paths.add(target.path.toLowerCase());
  }
  return paths;
};

/**
 * The representation to return (RFC 7644 §3.4.2.5, §3.9): `returned: never` never appears,
 * `returned: always` (`schemas`, `id`, `meta.resourceType`) always does, `returned: request`
 * only when named in `attributes`. Names are case-insensitive, may be URN-qualified, and may
 * name sub-attributes (`name.givenName`) or a whole extension.
 */
export const project = (
  registry: SchemaRegistry,
  resourceType: ResourceTypeName,
  document: ScimDocument,
  options: ProjectionOptions = {},
): ScimDocument => {
  const requested = selection(registry, resourceType, options.attributes);
  const onlyRequested = requested.size > 0;
  const excluded = onlyRequested
    ? new Set<string>()
    : selection(registry, resourceType, options.excludedAttributes);
  const result: ScimDocument = {};
  for (const location of allLocations(registry, resourceType)) {
    const value = readAttribute(document, location);
    if (value === undefined) continue;
    const path = locationPath(location).toLowerCase();
    const extension = location.extension?.toLowerCase();
    const named = (set: Set<string>) => set.has(path) || (extension !== undefined && set.has(extension));
    const { attribute } = location;

    let include: 'whole' | 'some' | 'none';
    if (attribute.returned === 'never') include = 'none';
    else if (attribute.returned === 'always') include = 'whole';
    else if (onlyRequested) {
      include = named(requested)
        ? 'whole'
        : [...requested].some((item) => item.startsWith(`${path}.`))
          ? 'some'
          : 'none';
    } else if (attribute.returned === 'request' || named(excluded)) include = 'none';
    else include = 'whole';
    // A complex attribute not selected can still carry an always-returned sub-attribute (meta.resourceType).
    if (include === 'none' && attribute.returned !== 'never' && hasAlwaysReturnedSub(attribute))
      include = 'some';
    if (include === 'none') continue;

    const keepSub = (sub: AttributeDefinition): boolean => {
      const subPath = `${path}.${sub.name.toLowerCase()}`;
      switch (sub.returned) {
        case 'never':
          return false;
        case 'always':
          return true;
        case 'request':
          return requested.has(subPath);
        case 'default':
          return onlyRequested
            ? include === 'whole' || requested.has(subPath)
            : include === 'whole' && !excluded.has(subPath);
      }
    };
    const projected = attribute.type === 'complex' ? projectComplex(attribute, value, keepSub) : value;
    if (projected !== undefined) writeAttribute(result, location, projected);
  }
  return { schemas: document.schemas ?? [], ...result };
};

const hasAlwaysReturnedSub = (attribute: AttributeDefinition): boolean =>
  (attribute.subAttributes ?? []).some((sub) => sub.returned === 'always');

const projectComplex = (
  attribute: AttributeDefinition,
  value: JsonValue,
  keep: (sub: AttributeDefinition) => boolean,
): JsonValue | undefined => {
  const kept = new Set((attribute.subAttributes ?? []).filter(keep).map((sub) => sub.name));
  const one = (element: JsonValue): JsonObject | undefined => {
    if (!isJsonObject(element)) return undefined;
    const result = Object.fromEntries(Object.entries(element).filter(([key]) => kept.has(key)));
    return Object.keys(result).length === 0 ? undefined : result;
  };
  if (!Array.isArray(value)) return one(value);
  const elements = value.map(one).filter((element): element is JsonObject => element !== undefined);
  return elements.length === 0 ? undefined : elements;
};
