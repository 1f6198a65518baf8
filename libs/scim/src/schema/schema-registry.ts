import { DomainError } from '@mandate/kernel';
import { isJsonObject } from '../json';
import {
  ATTRIBUTE_TYPES,
  MUTABILITIES,
  RETURNED_VALUES,
  UNIQUENESS_VALUES,
  attribute,
  subAttribute,
  type AttributeDefinition,
  type ResourceTypeDefinition,
  type SchemaDefinition,
} from './attribute';
import { isAttributeName, type AttributePath } from './attribute-path';
import {
  BUILTIN_RESOURCE_TYPES,
  BUILTIN_SCHEMAS,
  COMMON_ATTRIBUTES,
  RESOURCE_TYPE_NAMES,
  type ResourceTypeName,
} from './builtin-schemas';

/**
 * Custom attributes a directory declares for one resource type, under a schema URN of its choice.
 * Characteristics not given take the RFC 7643 §2.2 defaults. Usually read from JSON, so checked at run time.
 */
export interface SchemaExtensionDeclaration {
  readonly resourceType: ResourceTypeName;
  readonly schema: string;
  readonly name?: string;
  readonly description?: string;
  readonly required?: boolean;
  readonly attributes: readonly AttributeDeclaration[];
}

export type AttributeDeclaration = Pick<AttributeDefinition, 'name' | 'type'> &
  Partial<Omit<AttributeDefinition, 'name' | 'type' | 'subAttributes'>> & {
    readonly subAttributes?: readonly AttributeDeclaration[];
  };

/** An attribute located in a resource: top level (`extension` undefined) or inside an extension object. */
export interface ResolvedAttribute {
  readonly extension: string | undefined;
  readonly attribute: AttributeDefinition;
  readonly subAttribute: AttributeDefinition | undefined;
  /** Canonical path, e.g. `name.givenName` or `urn:…:enterprise:2.0:User:manager.value`. */
  readonly path: string;
}

export type ResolvedTarget =
  | ({ readonly kind: 'attribute' } & ResolvedAttribute)
  | { readonly kind: 'extension'; readonly schema: SchemaDefinition };

interface ResourceTypeEntry {
  readonly definition: ResourceTypeDefinition;
  readonly core: SchemaDefinition;
  readonly extensions: readonly SchemaDefinition[];
}

const MAX_CUSTOM_ATTRIBUTES = 200;
const URN = /^urn:[a-z0-9][a-z0-9-]{0,31}(?::[a-z0-9._~-]+)+$/i;

const findByName = <T extends { readonly name: string }>(
  items: readonly T[],
  name: string,
): T | undefined => {
  const lower = name.toLowerCase();
  return items.find((item) => item.name.toLowerCase() === lower);
};

/** The schemas and resource types one directory serves: the built-ins plus its declared extensions. */
export class SchemaRegistry {
  private readonly entries: ReadonlyMap<ResourceTypeName, ResourceTypeEntry>;
  private readonly schemasById: ReadonlyMap<string, SchemaDefinition>;

  constructor(extensions: readonly SchemaDefinition[], extensionOwners: readonly ResourceTypeName[]) {
    const schemas = [...BUILTIN_SCHEMAS, ...extensions];
    this.schemasById = new Map(schemas.map((schema) => [schema.id.toLowerCase(), schema]));
    const entries = new Map<ResourceTypeName, ResourceTypeEntry>();
    for (const builtin of BUILTIN_RESOURCE_TYPES) {
      const name = builtin.name as ResourceTypeName;
      const custom = extensions.filter((_, index) => extensionOwners[index] === name);
      const definition: ResourceTypeDefinition = {
        ...builtin,
        schemaExtensions: [
          ...builtin.schemaExtensions,
          ...custom.map((schema) => ({ schema: schema.id, required: false })),
        ],
      };
      entries.set(name, {
        definition,
        core: this.requireSchema(builtin.schema),
        extensions: definition.schemaExtensions.map((extension) => this.requireSchema(extension.schema)),
      });
    }
    this.entries = entries;
  }

  get resourceTypes(): readonly ResourceTypeDefinition[] {
    return RESOURCE_TYPE_NAMES.map((name) => this.entry(name).definition);
  }

  get schemas(): readonly SchemaDefinition[] {
    return [...this.schemasById.values()];
  }

  resourceType(name: ResourceTypeName): ResourceTypeDefinition {
    return this.entry(name).definition;
  }

  /** The resource type named `name`, ignoring case; undefined for anything else. */
  findResourceType(name: string): ResourceTypeName | undefined {
    return RESOURCE_TYPE_NAMES.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  }

  schema(id: string): SchemaDefinition | undefined {
    return this.schemasById.get(id.toLowerCase());
  }

  coreSchema(resourceType: ResourceTypeName): SchemaDefinition {
    return this.entry(resourceType).core;
  }

  extensions(resourceType: ResourceTypeName): readonly SchemaDefinition[] {
    return this.entry(resourceType).extensions;
  }

  /** Attributes held at the top level of a document: the common ones, then the core schema's. */
  topLevelAttributes(resourceType: ResourceTypeName): readonly AttributeDefinition[] {
    return [...COMMON_ATTRIBUTES, ...this.entry(resourceType).core.attributes];
  }

  extension(resourceType: ResourceTypeName, id: string): SchemaDefinition | undefined {
    const lower = id.toLowerCase();
    return this.entry(resourceType).extensions.find((schema) => schema.id.toLowerCase() === lower);
  }

  /** Resolves a path to an attribute of this resource type, ignoring case; undefined if there is none. */
  resolveAttribute(resourceType: ResourceTypeName, path: AttributePath): ResolvedAttribute | undefined {
    const target = this.resolve(resourceType, path);
    return target?.kind === 'attribute' ? target : undefined;
  }

  /** Like `resolveAttribute`, but a path naming an extension schema itself resolves to that schema. */
  resolve(resourceType: ResourceTypeName, path: AttributePath): ResolvedTarget | undefined {
    const entry = this.entry(resourceType);
    let extension: SchemaDefinition | undefined;
    let candidates: readonly AttributeDefinition[];
    if (path.schema === undefined) {
      candidates = this.topLevelAttributes(resourceType);
    } else if (path.schema.toLowerCase() === entry.core.id.toLowerCase()) {
      candidates = this.topLevelAttributes(resourceType);
    } else {
      extension = this.extension(resourceType, path.schema);
      if (!extension) {
        const whole = this.extension(resourceType, `${path.schema}:${path.attribute}`);
        return whole && path.subAttribute === undefined ? { kind: 'extension', schema: whole } : undefined;
      }
      candidates = extension.attributes;
    }
    let found = findByName(candidates, path.attribute);
    if (!found && path.schema === undefined) {
      // Tolerated: an extension attribute named without its URN, when exactly one extension has it.
      const owners = entry.extensions.filter((schema) => findByName(schema.attributes, path.attribute));
      const [owner] = owners;
      if (owners.length !== 1 || !owner) return undefined;
      extension = owner;
      found = findByName(owner.attributes, path.attribute);
    }
    if (!found) return undefined;
    const sub = path.subAttribute === undefined ? undefined : subAttribute(found, path.subAttribute);
    if (path.subAttribute !== undefined && !sub) return undefined;
    const prefix = extension ? `${extension.id}:` : '';
    return {
      kind: 'attribute',
      extension: extension?.id,
      attribute: found,
      subAttribute: sub,
      path: `${prefix}${found.name}${sub ? `.${sub.name}` : ''}`,
    };
  }

  private entry(name: ResourceTypeName): ResourceTypeEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`Unknown SCIM resource type ${name}`);
    return entry;
  }

  private requireSchema(id: string): SchemaDefinition {
    const schema = this.schemasById.get(id.toLowerCase());
    if (!schema) throw new Error(`Unknown SCIM schema ${id}`);
    return schema;
  }
}

/**
 * The registry for one directory. Throws `DIRECTORY_SCIM_SCHEMA_INVALID` (kind `invalid`, the
 * problems in `details.problems`) when a declaration is malformed or clashes with a core name.
 */
export const createSchemaRegistry = (extensions: readonly unknown[] = []): SchemaRegistry => {
  const problems = schemaExtensionProblems(extensions);
  if (problems.length > 0) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_SCIM_SCHEMA_INVALID',
      `Invalid SCIM schema extension: ${problems.join('; ')}`,
      { problems },
    );
  }
  const declarations = extensions as readonly SchemaExtensionDeclaration[];
  return new SchemaRegistry(
    declarations.map(toSchemaDefinition),
    declarations.map((declaration) => declaration.resourceType),
  );
};

export const defaultSchemaRegistry = (): SchemaRegistry => createSchemaRegistry([]);

const toAttributeDefinition = (declaration: AttributeDeclaration): AttributeDefinition => {
  const { name, type, subAttributes, ...options } = declaration;
  return attribute(name, type, {
    ...options,
    ...(subAttributes ? { subAttributes: subAttributes.map(toAttributeDefinition) } : {}),
  });
};

const toSchemaDefinition = (declaration: SchemaExtensionDeclaration): SchemaDefinition => ({
  id: declaration.schema,
  name: declaration.name ?? declaration.schema.slice(declaration.schema.lastIndexOf(':') + 1),
  description: declaration.description ?? '',
  attributes: declaration.attributes.map(toAttributeDefinition),
});

/** Every problem with a list of extension declarations; empty when the list is acceptable. */
export const schemaExtensionProblems = (extensions: readonly unknown[]): string[] => {
  const problems: string[] = [];
  const seenUrns: string[] = BUILTIN_SCHEMAS.map((schema) => schema.id.toLowerCase());
  extensions.forEach((declaration, index) => {
    const where = `extension ${index + 1}`;
    if (!isJsonObject(declaration)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const { resourceType, schema, name, description, required, attributes } = declaration;
    if (typeof resourceType !== 'string' || !RESOURCE_TYPE_NAMES.includes(resourceType as ResourceTypeName)) {
      problems.push(`${where}: resourceType must be one of ${RESOURCE_TYPE_NAMES.join(', ')}`);
      return;
    }
    if (typeof schema !== 'string' || !URN.test(schema)) {
      problems.push(
        `${where}: schema must be a URN such as urn:mandate:params:scim:schemas:extension:custom:2.0:User`,
      );
      return;
    }
    const lower = schema.toLowerCase();
    if (
      seenUrns.some((seen) => seen === lower || seen.startsWith(`${lower}:`) || lower.startsWith(`${seen}:`))
    ) {
      problems.push(`${where}: schema ${schema} is already used or overlaps a schema in use`);
    }
    seenUrns.push(lower);
    if (name !== undefined && typeof name !== 'string') problems.push(`${where}: name must be a string`);
    if (description !== undefined && typeof description !== 'string') {
      problems.push(`${where}: description must be a string`);
    }
    if (required !== undefined && required !== false) {
      problems.push(`${where}: required extensions are not supported`);
    }
    if (!Array.isArray(attributes) || attributes.length === 0) {
      problems.push(`${where}: attributes must be a non-empty array`);
      return;
    }
    if (attributes.length > MAX_CUSTOM_ATTRIBUTES) {
      problems.push(`${where}: at most ${MAX_CUSTOM_ATTRIBUTES} attributes`);
    }
    const coreBuiltin = BUILTIN_RESOURCE_TYPES.find((type) => type.name === resourceType);
    const reserved = [
      ...COMMON_ATTRIBUTES,
      ...(BUILTIN_SCHEMAS.find((builtin) => builtin.id === coreBuiltin?.schema)?.attributes ?? []),
    ].map((definition) => definition.name.toLowerCase());
    problems.push(...attributeProblems(attributes, `${where} (${schema})`, reserved, false));
  });
  return problems;
};

const attributeProblems = (
  attributes: readonly unknown[],
  where: string,
  reserved: readonly string[],
  nested: boolean,
): string[] => {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const candidate of attributes) {
    if (!isJsonObject(candidate) || typeof candidate.name !== 'string') {
      problems.push(`${where}: every attribute needs a name`);
      continue;
    }
    const { name, type } = candidate;
    const at = `${where} attribute ${nested ? 'sub-attribute ' : ''}${JSON.stringify(name)}`;
    if (!isAttributeName(name) || name.startsWith('$')) {
      problems.push(`${at}: a name starts with a letter and holds only letters, digits, "-" and "_"`);
    }
    const lower = name.toLowerCase();
    if (reserved.includes(lower)) problems.push(`${at}: clashes with a core attribute`);
    if (seen.has(lower)) problems.push(`${at}: declared twice (names are case-insensitive)`);
    seen.add(lower);
    if (typeof type !== 'string' || !ATTRIBUTE_TYPES.includes(type as AttributeDefinition['type'])) {
      problems.push(`${at}: type must be one of ${ATTRIBUTE_TYPES.join(', ')}`);
    }
    const enumerated: [string, readonly string[]][] = [
      ['mutability', MUTABILITIES],
      ['returned', RETURNED_VALUES],
      ['uniqueness', UNIQUENESS_VALUES],
    ];
    for (const [key, allowed] of enumerated) {
      const value = candidate[key];
      if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
        problems.push(`${at}: ${key} must be one of ${allowed.join(', ')}`);
      }
    }
    for (const key of ['multiValued', 'required', 'caseExact']) {
      const value = candidate[key];
      if (value !== undefined && typeof value !== 'boolean') problems.push(`${at}: ${key} must be a boolean`);
    }
    if (candidate.description !== undefined && typeof candidate.description !== 'string') {
      problems.push(`${at}: description must be a string`);
    }
    for (const key of ['canonicalValues', 'referenceTypes']) {
      const value = candidate[key];
      if (
        value !== undefined &&
        (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
      ) {
        problems.push(`${at}: ${key} must be an array of strings`);
      }
    }
    if (candidate.mutability === 'writeOnly' || candidate.returned === 'never') {
      problems.push(`${at}: write-only attributes are not supported in extensions`);
    }
    if (nested && candidate.multiValued === true) {
      problems.push(`${at}: multi-valued sub-attributes are not supported`);
    }
    const subs = candidate.subAttributes;
    if (type === 'complex') {
      if (nested) problems.push(`${at}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)`);
      else if (!Array.isArray(subs) || subs.length === 0) {
        problems.push(`${at}: a complex attribute needs subAttributes`);
      } else problems.push(...attributeProblems(subs, at, [], true));
    } else if (subs !== undefined) {
      problems.push(`${at}: only complex attributes have subAttributes`);
    }
  }
  return problems;
};
