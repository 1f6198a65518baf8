import { ScimError } from '../errors/scim-error';
import { type JsonObject } from '../json';
import { scimErrorOf } from '../testing/builders';
import { AGENT_SCHEMA, ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './builtin-schemas';
import {
  renderResourceType,
  renderResourceTypes,
  renderSchema,
  renderSchemas,
  renderServiceProviderConfig,
} from './discovery';
import { createSchemaRegistry } from './schema-registry';

const BASE = 'https://id.example.com/scim/v2/dir_1/';
const registry = createSchemaRegistry();

describe('discovery', () => {
  it('renders the ServiceProviderConfig', () => {
    expect(
      renderServiceProviderConfig({
        baseUrl: BASE,
        bulk: { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 },
        filter: { maxResults: 200 },
      }),
    ).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: { location: 'https://id.example.com/scim/v2/dir_1/ServiceProviderConfig' },
    });
  });

  it('renders resource types as a ListResponse and one by one', () => {
    const list = renderResourceTypes(registry, BASE);
    expect(list).toMatchObject({ totalResults: 3, itemsPerPage: 3, startIndex: 1 });
    expect(list.Resources.map((type) => type.endpoint)).toEqual(['/Users', '/Groups', '/Agents']);
    expect(renderResourceType(registry, 'agent', BASE)).toMatchObject({
      id: 'Agent',
      schema: AGENT_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${BASE}ResourceTypes/Agent` },
    });
    expect(() => renderResourceType(registry, 'Device', BASE)).toThrow(ScimError);
  });

  it('renders schemas with every attribute characteristic', () => {
    const list = renderSchemas(registry, BASE);
    expect(list.Resources.map((schema) => schema.id)).toEqual([
      USER_SCHEMA,
      ENTERPRISE_USER_SCHEMA,
      'urn:ietf:params:scim:schemas:core:2.0:Group',
      AGENT_SCHEMA,
    ]);
    const user = renderSchema(registry, USER_SCHEMA, BASE);
    const emails = (user.attributes as JsonObject[]).find((attribute) => attribute.name === 'emails');
    expect(emails).toMatchObject({
      type: 'complex',
      multiValued: true,
      required: false,
      mutability: 'readWrite',
    });
    expect((emails?.subAttributes as JsonObject[]).map((sub) => sub.name)).toEqual([
      'value',
      'display',
      'type',
      'primary',
    ]);
    const manager = (renderSchema(registry, ENTERPRISE_USER_SCHEMA, BASE).attributes as JsonObject[]).find(
      (attribute) => attribute.name === 'manager',
    );
    expect(manager?.subAttributes).toContainEqual(
      expect.objectContaining({ name: '$ref', referenceTypes: ['User'] }),
    );
    expect(scimErrorOf(() => renderSchema(registry, 'urn:nope', BASE)).status).toBe(404);
  });
});
