import { type JsonObject } from '../json';
import { AGENT_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { CUSTOM_USER_SCHEMA, scimErrorOf } from '../testing/builders';
import { normalizeResource } from './normalize';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [
      { name: 'badgeNumber', type: 'integer' },
      { name: 'hiredAt', type: 'dateTime' },
      { name: 'photoHash', type: 'binary' },
    ],
  },
]);

const userBody = (overrides: JsonObject = {}): JsonObject => ({
  schemas: [USER_SCHEMA],
  userName: 'bjensen@example.com',
  ...overrides,
});
const normalizeUser = (body: JsonObject) => normalizeResource(registry, 'User', body);

describe('normalizeResource', () => {
  it('maps attribute names to their canonical case and keeps values as sent', () => {
    const { document } = normalizeUser({
      Schemas: [USER_SCHEMA],
      USERNAME: 'BJensen@Example.com ',
      Name: { GivenName: 'Barbara', familyname: 'Jensen' },
      EMAILS: [{ Value: 'BJensen@Example.com', TYPE: 'work', Primary: true }],
    });
    expect(document).toEqual({
      schemas: [USER_SCHEMA],
      userName: 'BJensen@Example.com ',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [{ value: 'BJensen@Example.com', type: 'work', primary: true }],
    });
  });

  it('accepts extension attributes nested under their URN or URN-prefixed, in any case', () => {
    const nested = normalizeUser(
      userBody({
        schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { EmployeeNumber: '701984', manager: { value: 'm1' } },
      }),
    ).document;
    const prefixed = normalizeUser(
      userBody({
        [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: '701984',
        [`${ENTERPRISE_USER_SCHEMA}:manager.value`]: 'm1',
      }),
    ).document;
    const expected = {
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      userName: 'bjensen@example.com',
      [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '701984', manager: { value: 'm1' } },
    };
    expect(nested).toEqual(expected);
    expect(prefixed).toEqual(expected);
  });

  it('merges a dotted sub-attribute with its complex attribute', () => {
    const { document } = normalizeUser(
      userBody({ 'name.givenName': 'Barbara', name: { familyName: 'Jensen' } }),
    );
    expect(document.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen' });
  });

  it('coerces Entra\'s "True"/"False" strings for booleans', () => {
    expect(normalizeUser(userBody({ active: 'False' })).document.active).toBe(false);
    expect(normalizeUser(userBody({ active: 'TRUE' })).document.active).toBe(true);
    expect(scimErrorOf(() => normalizeUser(userBody({ active: 'yes' }))).scimType).toBe('invalidValue');
  });

  it('ignores read-only attributes and reports them', () => {
    const { document, ignored } = normalizeUser(
      userBody({
        id: 'client-chosen',
        meta: { resourceType: 'User' },
        groups: [{ value: 'g1' }],
        [ENTERPRISE_USER_SCHEMA]: { manager: { value: 'm1', displayName: 'Boss' } },
      }),
    );
    expect(document).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      userName: 'bjensen@example.com',
      [ENTERPRISE_USER_SCHEMA]: { manager: { value: 'm1' } },
    });
    expect(ignored).toEqual(['id', 'meta', 'groups']);
  });

  it('keeps the password out of the document and reports it separately', () => {
    const result = normalizeUser(userBody({ Password: 't1meMa$heen' }));
    expect(result.password).toBe('t1meMa$heen');
    expect(JSON.stringify(result.document)).not.toContain('t1meMa$heen');
    expect(normalizeUser(userBody()).password).toBeUndefined();
  });

  it("ignores unknown schema URIs, like Entra's ADSCIM group schema", () => {
    const entra = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
    const { document, ignored } = normalizeResource(registry, 'Group', {
      schemas: [GROUP_SCHEMA, entra],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Group1DisplayName',
      members: [],
    });
    expect(document).toEqual({
      schemas: [GROUP_SCHEMA],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'Group1DisplayName',
    });
    expect(ignored).toEqual([`schemas: ${entra}`]);
  });

  it('treats null, [] and {} as unassigned, and tolerates $ref: null', () => {
    const { document } = normalizeUser(
      userBody({ title: null, roles: [], name: {}, emails: [null, { value: 'a@b', display: null }] }),
    );
    expect(document).toEqual({
      schemas: [USER_SCHEMA],
      userName: 'bjensen@example.com',
      emails: [{ value: 'a@b' }],
    });
    const group = normalizeResource(registry, 'Group', {
      schemas: [GROUP_SCHEMA],
      displayName: 'g',
      members: [{ $ref: null, value: 'u1' }],
    }).document;
    expect(group.members).toEqual([{ value: 'u1' }]);
  });

  it.each([
    [{ nickname: 'x', favouriteColour: 'blue' }, "unknown attribute 'favouriteColour' for User"],
    [{ name: { nickName: 'x' } }, "unknown sub-attribute 'nickName' of 'name'"],
    [
      { [`${ENTERPRISE_USER_SCHEMA}:shoeSize`]: 42 },
      `unknown attribute '${ENTERPRISE_USER_SCHEMA}:shoeSize'`,
    ],
    [
      { [ENTERPRISE_USER_SCHEMA]: { shoeSize: 42 } },
      `unknown attribute 'shoeSize' in ${ENTERPRISE_USER_SCHEMA}`,
    ],
    [{ userName: 42 }, "'userName' must be a string, not 42"],
    [{ emails: { value: 'a@b' } }, "'emails' is multi-valued and takes an array"],
    [{ name: 'Barbara' }, "'name' is complex and takes an object"],
    [{ badgeNumber: 1.5 }, `'${CUSTOM_USER_SCHEMA}:badgeNumber' must be an integer`],
    [{ hiredAt: '2020-01-01' }, 'must be a dateTime with a time zone offset'],
    [{ photoHash: 'not base64!' }, 'must be base64'],
    [
      {
        emails: [
          { value: 'a@b', primary: true },
          { value: 'c@d', primary: true },
        ],
      },
      "at most one value of 'emails' may be primary",
    ],
    [{ userName: 'a', USERNAME: 'b' }, "'userName' is given twice"],
  ])('rejects %j as invalidValue', (overrides, detail) => {
    const error = scimErrorOf(() => normalizeUser(userBody(overrides)));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
    expect(error.detail).toContain(detail);
  });

  it('enforces required attributes', () => {
    expect(scimErrorOf(() => normalizeUser({ schemas: [USER_SCHEMA], displayName: 'x' })).detail).toBe(
      "'userName' is required",
    );
    expect(scimErrorOf(() => normalizeUser(userBody({ userName: '' }))).detail).toBe(
      "'userName' is required",
    );
    expect(scimErrorOf(() => normalizeResource(registry, 'Group', { schemas: [GROUP_SCHEMA] })).detail).toBe(
      "'displayName' is required",
    );
    expect(
      scimErrorOf(() =>
        normalizeResource(registry, 'Agent', {
          schemas: [AGENT_SCHEMA],
          displayName: 'Expense bot',
          owners: [{ $ref: 'https://example.com/scim/v2/Users/u1' }],
        }),
      ).detail,
    ).toBe("'owners.value' is required in every value of 'owners'");
  });

  it('requires schemas naming the core schema', () => {
    expect(scimErrorOf(() => normalizeUser({ userName: 'x' }))).toMatchObject({ scimType: 'invalidSyntax' });
    expect(scimErrorOf(() => normalizeUser({ schemas: [GROUP_SCHEMA], userName: 'x' })).detail).toBe(
      `'schemas' must include ${USER_SCHEMA}`,
    );
    expect(scimErrorOf(() => normalizeResource(registry, 'User', [])).scimType).toBe('invalidSyntax');
  });

  it('normalizes an Agent', () => {
    const { document } = normalizeResource(registry, 'Agent', {
      schemas: [AGENT_SCHEMA],
      agentUserName: 'expense-bot',
      displayName: 'Expense bot',
      active: 'True',
      owners: [{ value: 'u1', $ref: 'https://example.com/scim/v2/Users/u1', display: 'Babs' }],
      externalId: 'bot-1',
    });
    expect(document).toEqual({
      schemas: [AGENT_SCHEMA],
      externalId: 'bot-1',
      agentUserName: 'expense-bot',
      displayName: 'Expense bot',
      active: true,
      owners: [{ value: 'u1', $ref: 'https://example.com/scim/v2/Users/u1' }],
    });
  });

  it('ignores the `schemas` a client repeats inside an extension object', () => {
    const { document } = normalizeUser(
      userBody({ [ENTERPRISE_USER_SCHEMA]: { schemas: [ENTERPRISE_USER_SCHEMA], department: 'R&D' } }),
    );
    expect(document[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'R&D' });
  });
});
