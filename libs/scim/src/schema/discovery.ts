import { ScimError } from '../errors/scim-error';
import { type JsonObject } from '../json';
import { listResponse } from '../query/list-query';
import { type AttributeDefinition, type SchemaDefinition } from './attribute';
import {
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  type ResourceTypeName,
} from './builtin-schemas';
import { type SchemaRegistry } from './schema-registry';

export interface ServiceProviderConfigOptions {
  /** The SCIM base URL of the directory, e.g. `https://id.example.com/scim/v2/dir_123`, no trailing slash. */
  readonly baseUrl: string;
  readonly bulk: {
    readonly supported: boolean;
    readonly maxOperations: number;
    readonly maxPayloadSize: number;
  };
  readonly filter: { readonly maxResults: number };
  readonly documentationUri?: string;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The `/ServiceProviderConfig` body (RFC 7643 §5). */
export const renderServiceProviderConfig = (options: ServiceProviderConfigOptions): JsonObject => {
  const baseUrl = trimSlash(options.baseUrl);
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(options.documentationUri ? { documentationUri: options.documentationUri } : {}),
    patch: { supported: true },
    bulk: {
      supported: options.bulk.supported,
      maxOperations: options.bulk.maxOperations,
      maxPayloadSize: options.bulk.maxPayloadSize,
    },
    filter: { supported: true, maxResults: options.filter.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a bearer token (RFC 6750)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
};

/** One `/ResourceTypes/{name}` body; 404 for a name the registry does not serve. */
export const renderResourceType = (registry: SchemaRegistry, name: string, baseUrl: string): JsonObject => {
  const resourceType = registry.findResourceType(name);
  if (!resourceType) throw new ScimError(404, undefined, `no resource type ${name}`);
  return resourceTypeBody(registry, resourceType, trimSlash(baseUrl));
};

/** The `/ResourceTypes` ListResponse. */
export const renderResourceTypes = (registry: SchemaRegistry, baseUrl: string) => {
  const types = registry.resourceTypes.map((type) =>
    resourceTypeBody(registry, type.name as ResourceTypeName, trimSlash(baseUrl)),
  );
  return listResponse(types, types.length, 1);
};

const resourceTypeBody = (registry: SchemaRegistry, name: ResourceTypeName, baseUrl: string): JsonObject => {
  const definition = registry.resourceType(name);
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: definition.id,
    name: definition.name,
    endpoint: definition.endpoint,
    description: definition.description,
    schema: definition.schema,
    schemaExtensions: definition.schemaExtensions.map((extension) => ({ ...extension })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${definition.id}` },
  };
};

/** One `/Schemas/{id}` body; 404 for a URN the registry does not hold. */
export const renderSchema = (registry: SchemaRegistry, id: string, baseUrl: string): JsonObject => {
  const schema = registry.schema(id);
  if (!schema) throw new ScimError(404, undefined, `no schema ${id}`);
  return schemaBody(schema, trimSlash(baseUrl));
};

/** The `/Schemas` ListResponse: every core and extension schema the directory serves. */
export const renderSchemas = (registry: SchemaRegistry, baseUrl: string) => {
  const schemas = registry.schemas.map((schema) => schemaBody(schema, trimSlash(baseUrl)));
  return listResponse(schemas, schemas.length, 1);
};

const schemaBody = (schema: SchemaDefinition, baseUrl: string): JsonObject => ({
  schemas: [SCHEMA_SCHEMA],
  id: schema.id,
  name: schema.name,
  description: schema.description,
  attributes: schema.attributes.map(attributeBody),
  meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
});

const attributeBody = (attribute: AttributeDefinition): JsonObject => ({
  name: attribute.name,
  type: attribute.type,
  multiValued: attribute.multiValued,
  description: attribute.description,
  required: attribute.required,
  caseExact: attribute.caseExact,
  mutability: attribute.mutability,
  returned: attribute.returned,
  uniqueness: attribute.uniqueness,
  ...(attribute.canonicalValues ? { canonicalValues: [...attribute.canonicalValues] } : {}),
  ...(attribute.referenceTypes ? { referenceTypes: [...attribute.referenceTypes] } : {}),
  ...(attribute.subAttributes ? { subAttributes: attribute.subAttributes.map(attributeBody) } : {}),
});
