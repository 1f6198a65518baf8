import { DomainError } from '@mandate/kernel';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './builtin-schemas';
import { createSchemaRegistry, schemaExtensionProblems } from './schema-registry';

const CUSTOM = 'urn:mandate:params:scim:schemas:extension:custom:2.0:User';
const extension = (overrides: Record<string, unknown> = {}) => ({
  resourceType: 'User',
  schema: CUSTOM,
  attributes: [{ name: 'badge', type: 'string' }],
  ...overrides,
});

describe('schema registry', () => {
  it('serves the built-in resource types and schemas', () => {
    const registry = createSchemaRegistry();
    expect(registry.resourceTypes.map((type) => type.endpoint)).toEqual(['/Users', '/Groups', '/Agents']);
    expect(registry.resourceType('User').schemaExtensions).toEqual([
      { schema: ENTERPRISE_USER_SCHEMA, required: false },
    ]);
    const user = registry.coreSchema('User').attributes.map((attribute) => attribute.name);
    expect(user).toEqual(
      expect.arrayContaining([
        'userName',
        'name',
        'emails',
        'phoneNumbers',
        'ims',
        'photos',
        'addresses',
        'groups',
      ]),
    );
    expect(user).toEqual(expect.arrayContaining(['entitlements', 'roles', 'x509Certificates', 'password']));
    const password = registry
      .coreSchema('User')
      .attributes.find((attribute) => attribute.name === 'password');
    expect(password).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
  });

  it('adds a declared extension to its resource type and resolves its attributes', () => {
    const registry = createSchemaRegistry([extension()]);
    expect(registry.resourceType('User').schemaExtensions.map((item) => item.schema)).toEqual([
      ENTERPRISE_USER_SCHEMA,
      CUSTOM,
    ]);
    expect(
      registry.resolveAttribute('User', {
        schema: CUSTOM.toUpperCase(),
        attribute: 'BADGE',
        subAttribute: undefined,
      }),
    ).toMatchObject({ extension: CUSTOM, path: `${CUSTOM}:badge` });
    expect(
      registry.resolve('User', { schema: USER_SCHEMA, attribute: 'userName', subAttribute: undefined }),
    ).toMatchObject({
      kind: 'attribute',
      extension: undefined,
      path: 'userName',
    });
  });

  it.each([
    [extension({ resourceType: 'Device' }), 'resourceType must be one of User, Group, Agent'],
    [extension({ schema: 'custom' }), 'schema must be a URN'],
    [extension({ schema: ENTERPRISE_USER_SCHEMA }), 'is already used'],
    [
      extension({ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0' }),
      'overlaps a schema in use',
    ],
    [extension({ attributes: [] }), 'attributes must be a non-empty array'],
    [extension({ attributes: [{ name: '1st', type: 'string' }] }), 'a name starts with a letter'],
    [extension({ attributes: [{ name: 'bad name', type: 'string' }] }), 'a name starts with a letter'],
    [extension({ attributes: [{ name: 'UserName', type: 'string' }] }), 'clashes with a core attribute'],
    [extension({ attributes: [{ name: 'externalId', type: 'string' }] }), 'clashes with a core attribute'],
    [
      extension({
        attributes: [
          { name: 'x', type: 'string' },
          { name: 'X', type: 'string' },
        ],
      }),
      'declared twice',
    ],
    [extension({ attributes: [{ name: 'x', type: 'text' }] }), 'type must be one of'],
    [
      extension({ attributes: [{ name: 'x', type: 'string', mutability: 'sometimes' }] }),
      'mutability must be one of',
    ],
    [extension({ attributes: [{ name: 'x', type: 'complex' }] }), 'needs subAttributes'],
    [
      extension({
        attributes: [
          { name: 'x', type: 'complex', subAttributes: [{ name: 'y', type: 'complex', subAttributes: [] }] },
        ],
      }),
      'cannot be complex',
    ],
    [extension({ attributes: [{ name: 'secret', type: 'string', mutability: 'writeOnly' }] }), 'write-only'],
  ])('rejects %j', (declaration, problem) => {
    expect(schemaExtensionProblems([declaration]).join('; ')).toContain(problem);
    expect(() => createSchemaRegistry([declaration])).toThrow(DomainError);
  });

  it('rejects two extensions with the same URN, whatever the case', () => {
    expect(schemaExtensionProblems([extension(), extension({ schema: CUSTOM.toUpperCase() })])).toHaveLength(
      1,
    );
  });

  it('throws a directory error carrying every problem', () => {
    try {
      createSchemaRegistry([
        extension({
          attributes: [
            { name: 'id', type: 'string' },
            { name: '$x', type: 'nope' },
          ],
        }),
      ]);
      throw new Error('expected a DomainError');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'invalid', code: 'DIRECTORY_SCIM_SCHEMA_INVALID' });
      expect((error as DomainError).details?.problems).toHaveLength(3);
    }
  });
});
