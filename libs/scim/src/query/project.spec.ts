import { ENTERPRISE_USER_SCHEMA } from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { aGroup, aUser, CUSTOM_USER_SCHEMA } from '../testing/builders';
import { project } from './project';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [
      { name: 'riskScore', type: 'integer', returned: 'request' },
      { name: 'badge', type: 'string' },
    ],
  },
]);
const user = aUser({ password: 'must-never-leak', [CUSTOM_USER_SCHEMA]: { riskScore: 7, badge: 'B1' } });
const projectUser = (options: Parameters<typeof project>[3]) => project(registry, 'User', user, options);

describe('project', () => {
  it('returns the default set: never-returned and request-only attributes left out', () => {
    const result = projectUser({});
    expect(result.password).toBeUndefined();
    expect(result[CUSTOM_USER_SCHEMA]).toEqual({ badge: 'B1' });
    expect(result.userName).toBe(user.userName);
    expect(Object.keys(result)[0]).toBe('schemas');
  });

  it('returns only the attributes asked for, plus those always returned', () => {
    expect(projectUser({ attributes: ['userName', 'NAME.givenName'] })).toEqual({
      schemas: user.schemas,
      id: user.id,
      meta: { resourceType: 'User' },
      userName: user.userName,
      name: { givenName: 'Barbara' },
    });
  });

  it('returns a request-only attribute when named, and URN-qualified names and whole extensions', () => {
    expect(projectUser({ attributes: [`${CUSTOM_USER_SCHEMA}:riskScore`] })[CUSTOM_USER_SCHEMA]).toEqual({
      riskScore: 7,
    });
    expect(projectUser({ attributes: [ENTERPRISE_USER_SCHEMA] })[ENTERPRISE_USER_SCHEMA]).toEqual(
      user[ENTERPRISE_USER_SCHEMA],
    );
    expect(projectUser({ attributes: ['emails.value'] }).emails).toEqual([
      { value: 'bjensen@example.com' },
      { value: 'babs@jensen.org' },
    ]);
  });

  it('excludes attributes, but never the always-returned ones', () => {
    const result = projectUser({
      excludedAttributes: ['emails', 'id', 'schemas', 'meta', 'name.middleName'],
    });
    expect(result.emails).toBeUndefined();
    expect(result.id).toBe(user.id);
    expect(result.schemas).toEqual(user.schemas);
    expect(result.meta).toEqual({ resourceType: 'User' });
    expect(result.name).toEqual({ familyName: 'Jensen', givenName: 'Barbara' });
  });

  it("serves Entra's excludedAttributes=members", () => {
    const group = project(registry, 'Group', aGroup(), { excludedAttributes: ['Members'] });
    expect(group).toEqual({
      schemas: aGroup().schemas,
      id: aGroup().id,
      meta: aGroup().meta,
      displayName: 'Tour Guides',
    });
  });

  it('ignores names no schema knows', () => {
    expect(projectUser({ attributes: ['shoeSize'] })).toEqual(projectUser({}));
  });
});
