import { ScimError } from '../errors/scim-error';
import { type JsonObject } from '../json';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../schema/builtin-schemas';

export const CUSTOM_USER_SCHEMA = 'urn:mandate:params:scim:schemas:extension:custom:2.0:User';

/** A canonical stored User with fixed values; override any top-level attribute. */
export const aUser = (overrides: JsonObject = {}): JsonObject => ({
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'bjensen',
  meta: {
    resourceType: 'User',
    created: '2011-08-01T18:29:49.793Z',
    lastModified: '2011-08-01T18:29:49.793Z',
    version: 'W/"3"',
  },
  userName: 'bjensen@example.com',
  name: { familyName: 'Jensen', givenName: 'Barbara', middleName: 'Jane' },
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  addresses: [
    { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', primary: true },
  ],
  [ENTERPRISE_USER_SCHEMA]: {
    employeeNumber: '701984',
    costCenter: '4130',
    department: 'Tour Operations',
    manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d', displayName: 'John Smith' },
  },
  ...overrides,
});

export const aGroup = (overrides: JsonObject = {}): JsonObject => ({
  schemas: [GROUP_SCHEMA],
  id: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
  meta: { resourceType: 'Group', version: 'W/"1"' },
  displayName: 'Tour Guides',
  members: [
    { value: '2819c223-7f76-453a-919d-413861904646', display: 'Babs Jensen', type: 'User' },
    { value: '902c246b-6245-4190-8e05-00816be7344a', display: 'Mandy Pepperidge', type: 'User' },
  ],
  ...overrides,
});

/** The ScimError `run` throws; fails the test when it throws nothing or something else. */
export const scimErrorOf = (run: () => unknown): ScimError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
};
