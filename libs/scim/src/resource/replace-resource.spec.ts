import { ScimError } from '../errors/scim-error';
import { type JsonObject } from '../json';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { aUser, CUSTOM_USER_SCHEMA } from '../testing/builders';
import { replaceResource } from './replace-resource';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [{ name: 'hrisId', type: 'string', mutability: 'immutable', caseExact: true }],
  },
]);

/** What Okta sends on PUT: the resource as it GET it, with the read-only attributes echoed. */
const putBodyFrom = (document: JsonObject, overrides: JsonObject = {}): JsonObject => ({
  ...document,
  ...overrides,
});

describe('replaceResource', () => {
  it('is a no-op when the body is the resource as returned, read-only attributes included', () => {
    const current = aUser();
    const change = replaceResource(registry, 'User', current, putBodyFrom(current));
    expect(change.changed).toBe(false);
    expect(change.changedAttributes).toEqual([]);
    expect(change.document).toEqual(current);
  });

  it('keeps read-only attributes from the current resource and ignores those sent', () => {
    const current = aUser({ groups: [{ value: 'g1', display: 'Admins' }] });
    const change = replaceResource(
      registry,
      'User',
      current,
      putBodyFrom(current, { id: 'other', meta: { resourceType: 'Group' }, groups: [], title: 'Chief' }),
    );
    expect(change.document).toMatchObject({
      id: current.id,
      meta: current.meta,
      groups: current.groups,
      title: 'Chief',
    });
    expect(change.changedAttributes).toEqual(['title']);
  });

  it("clears omitted read-write attributes and reports Okta's deactivation", () => {
    const current = aUser();
    const { title: _title, ...withoutTitle } = current;
    const change = replaceResource(registry, 'User', current, { ...withoutTitle, active: false });
    expect(change.document.title).toBeUndefined();
    expect(change.changedAttributes).toEqual(['title', 'active']);
  });

  it('reports extension attribute changes under their URN and drops an emptied extension', () => {
    const current = aUser();
    const change = replaceResource(registry, 'User', current, {
      schemas: [USER_SCHEMA],
      userName: current.userName ?? null,
    });
    expect(change.document.schemas).toEqual([USER_SCHEMA]);
    expect(change.document[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(change.changedAttributes).toContain(`${ENTERPRISE_USER_SCHEMA}:department`);
  });

  it('keeps manager.displayName (read-only) while the manager is the same', () => {
    const current = aUser();
    const body = putBodyFrom(current);
    const same = replaceResource(registry, 'User', current, body);
    expect(same.changed).toBe(false);
    const other = replaceResource(registry, 'User', current, {
      ...body,
      [ENTERPRISE_USER_SCHEMA]: { manager: { value: 'other-manager' } },
    });
    expect(other.document[ENTERPRISE_USER_SCHEMA]).toEqual({ manager: { value: 'other-manager' } });
  });

  it('refuses to change an immutable attribute but lets it be omitted', () => {
    const current = aUser({ [CUSTOM_USER_SCHEMA]: { hrisId: 'H1' } });
    const changing = () =>
      replaceResource(
        registry,
        'User',
        current,
        putBodyFrom(current, { [CUSTOM_USER_SCHEMA]: { hrisId: 'H2' } }),
      );
    expect(changing).toThrow(ScimError);
    expect(() => changing()).toThrow(`'${CUSTOM_USER_SCHEMA}:hrisId' is immutable`);
    const { [CUSTOM_USER_SCHEMA]: _custom, ...omitted } = current;
    expect(replaceResource(registry, 'User', current, omitted).document[CUSTOM_USER_SCHEMA]).toEqual({
      hrisId: 'H1',
    });
  });

  it('requires required attributes and reports a new password separately', () => {
    const current = aUser();
    expect(() => replaceResource(registry, 'User', current, { schemas: [USER_SCHEMA] })).toThrow(
      "'userName' is required",
    );
    const change = replaceResource(registry, 'User', current, putBodyFrom(current, { password: 'n3w' }));
    expect(change).toMatchObject({ changed: false, password: 'n3w' });
  });
});
