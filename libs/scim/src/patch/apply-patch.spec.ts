import { ScimError } from '../errors/scim-error';
import { cloneJson, type JsonObject, type JsonValue } from '../json';
import {
  ENTERPRISE_USER_SCHEMA,
  PATCH_OP_SCHEMA,
  USER_SCHEMA,
  type ResourceTypeName,
} from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { aGroup, aUser, CUSTOM_USER_SCHEMA, scimErrorOf } from '../testing/builders';
import { applyPatch } from './apply-patch';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [{ name: 'hrisId', type: 'string', mutability: 'immutable' }],
  },
]);

const BABS = '2819c223-7f76-453a-919d-413861904646';
const MANDY = '902c246b-6245-4190-8e05-00816be7344a';
const NEW_MEMBER = '08e1d05d-121c-4561-8b96-473d93df9210';

const patchBody = (...operations: JsonObject[]): JsonObject => ({
  schemas: [PATCH_OP_SCHEMA],
  Operations: operations,
});

const patch = (document: JsonObject, operations: JsonObject[], resourceType: ResourceTypeName = 'User') =>
  applyPatch(registry, resourceType, document, patchBody(...operations));
const patchGroup = (operations: JsonObject[], group: JsonObject = aGroup()) =>
  patch(group, operations, 'Group');

const memberIds = (document: JsonObject) =>
  (document.members as JsonObject[] | undefined)?.map((member) => member.value) ?? [];

describe('applyPatch — RFC 7644 §3.5.2', () => {
  it('adds a member and reports it', () => {
    const change = patchGroup([
      {
        op: 'add',
        path: 'members',
        value: [{ display: 'Babs', $ref: `https://example.com/v2/Users/${NEW_MEMBER}`, value: NEW_MEMBER }],
      },
    ]);
    expect(memberIds(change.document)).toEqual([BABS, MANDY, NEW_MEMBER]);
    expect(change.changedAttributes).toEqual(['members']);
    expect(change.valueChanges).toEqual({ members: { added: [NEW_MEMBER], removed: [] } });
  });

  it('adds attributes without a path: multi-valued values are appended, single-valued replaced', () => {
    const change = patch(aUser(), [
      {
        op: 'add',
        value: {
          emails: [
            { value: 'babs@jensen.org', type: 'home' },
            { value: 'b@j.org', type: 'other' },
          ],
          nickName: 'Babs',
        },
      },
    ]);
    expect(change.document.nickName).toBe('Babs');
    expect((change.document.emails as JsonValue[]).length).toBe(3);
    expect(change.changedAttributes).toEqual(['nickName', 'emails']);
  });

  it('removes one member selected by a filter, and all members without one', () => {
    const one = patchGroup([{ op: 'remove', path: `members[value eq "${BABS}"]` }]);
    expect(memberIds(one.document)).toEqual([MANDY]);
    expect(one.valueChanges.members).toEqual({ added: [], removed: [BABS] });

    const all = patchGroup([{ op: 'remove', path: 'members' }]);
    expect(all.document.members).toBeUndefined();
    expect(all.valueChanges.members).toEqual({ added: [], removed: [BABS, MANDY] });
  });

  it('removes values selected by a compound filter', () => {
    const change = patch(aUser(), [
      { op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' },
    ]);
    expect(change.document.emails).toEqual([{ value: 'babs@jensen.org', type: 'home' }]);
  });

  it('replaces all members, and a sub-attribute of the selected values', () => {
    const all = patchGroup([{ op: 'replace', path: 'members', value: [{ value: NEW_MEMBER }] }]);
    expect(all.document.members).toEqual([{ value: NEW_MEMBER }]);
    expect(all.valueChanges.members).toEqual({ added: [NEW_MEMBER], removed: [BABS, MANDY] });

    const street = patch(aUser(), [
      { op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' },
    ]);
    expect(street.document.addresses).toEqual([
      { type: 'work', streetAddress: '1010 Broadway Ave', locality: 'Hollywood', primary: true },
    ]);
  });

  it('replaces a selected value with the sub-attributes given, leaving the others', () => {
    const change = patch(aUser(), [
      { op: 'replace', path: 'emails[type eq "home"]', value: { value: 'babs@home.org', display: 'home' } },
    ]);
    expect(change.document.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@home.org', type: 'home', display: 'home' },
    ]);
  });

  it('merges a complex attribute sub-attribute by sub-attribute', () => {
    const change = patch(aUser(), [{ op: 'replace', path: 'name', value: { givenName: 'Babs' } }]);
    expect(change.document.name).toEqual({ familyName: 'Jensen', givenName: 'Babs', middleName: 'Jane' });
    const sub = patch(aUser(), [{ op: 'remove', path: 'name.middleName' }]);
    expect(sub.document.name).toEqual({ familyName: 'Jensen', givenName: 'Barbara' });
  });

  it('addresses extension attributes by URN, and removes them', () => {
    const change = patch(aUser(), [
      { op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`, value: '42' },
      { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:manager` },
    ]);
    expect(change.document[ENTERPRISE_USER_SCHEMA]).toEqual({
      employeeNumber: '42',
      costCenter: '4130',
      department: 'Tour Operations',
    });
    expect(change.changedAttributes).toEqual([
      `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
      `${ENTERPRISE_USER_SCHEMA}:manager`,
    ]);
  });

  it('adds the extension, then drops it when its last attribute goes, keeping schemas in step', () => {
    const { [ENTERPRISE_USER_SCHEMA]: _enterprise, ...bare } = aUser({ schemas: [USER_SCHEMA] });
    const added = patch(bare, [{ op: 'add', path: `${ENTERPRISE_USER_SCHEMA}:department`, value: 'Sales' }]);
    expect(added.document.schemas).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    expect(added.document[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Sales' });
    const removed = patch(added.document, [{ op: 'remove', path: ENTERPRISE_USER_SCHEMA }]);
    expect(removed.document[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(removed.document.schemas).toEqual([USER_SCHEMA]);
  });

  it('makes a newly primary value the only primary one', () => {
    const change = patch(aUser(), [
      { op: 'add', path: 'emails', value: [{ value: 'new@x.org', primary: true }] },
    ]);
    expect(change.document.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'new@x.org', primary: true },
    ]);
    const viaSub = patch(aUser(), [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }]);
    expect((viaSub.document.emails as JsonObject[]).map((email) => email.primary)).toEqual([false, true]);
  });

  it('reports a password separately and never stores it', () => {
    const change = patch(aUser(), [{ op: 'replace', path: 'password', value: 'n3wPa$$' }]);
    expect(change.password).toBe('n3wPa$$');
    expect(change.changed).toBe(false);
    expect(JSON.stringify(change.document)).not.toContain('n3wPa$$');
  });
});

describe('applyPatch — Microsoft Entra ID', () => {
  describe('default dialect (no aadOptscim062020)', () => {
    it('disables with a capitalised Replace and a "False" string', () => {
      const change = patch(aUser(), [{ op: 'Replace', path: 'active', value: 'False' }]);
      expect(change.document.active).toBe(false);
      expect(change.changedAttributes).toEqual(['active']);
    });

    it('removes only the members listed in the value of a Remove on members', () => {
      const change = patchGroup([{ op: 'Remove', path: 'members', value: [{ value: BABS }] }]);
      expect(memberIds(change.document)).toEqual([MANDY]);
      expect(change.valueChanges.members).toEqual({ added: [], removed: [BABS] });
    });

    it('adds members sent with $ref: null', () => {
      const change = patchGroup([{ op: 'Add', path: 'members', value: [{ $ref: null, value: NEW_MEMBER }] }]);
      expect(change.document.members).toContainEqual({ value: NEW_MEMBER });
    });

    it('adds emails[type eq "work"].value to a user without a work email by creating it', () => {
      const user = aUser({ emails: [{ value: 'babs@jensen.org', type: 'home' }] });
      const change = patch(user, [
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'babs@work.com' },
      ]);
      expect(change.document.emails).toEqual([
        { value: 'babs@jensen.org', type: 'home' },
        { type: 'work', value: 'babs@work.com' },
      ]);
    });

    it('updates the work email in place when there is one', () => {
      const change = patch(aUser(), [
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'babs@work.com' },
      ]);
      expect((change.document.emails as JsonObject[])[0]).toEqual({
        value: 'babs@work.com',
        type: 'work',
        primary: true,
      });
    });
  });

  describe('with aadOptscim062020', () => {
    it('replaces without a path, with dotted and URN keys', () => {
      const change = patch(aUser(), [
        {
          op: 'replace',
          value: {
            displayName: 'Barbara J.',
            'name.givenName': 'Barb',
            'name.familyName': 'Jensen-Smith',
            [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: '99',
            [`${ENTERPRISE_USER_SCHEMA}:manager`]: { value: 'm2' },
            active: false,
          },
        },
      ]);
      expect(change.document).toMatchObject({
        displayName: 'Barbara J.',
        name: { givenName: 'Barb', familyName: 'Jensen-Smith', middleName: 'Jane' },
        active: false,
        [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '99', manager: { value: 'm2' } },
      });
      expect(change.changedAttributes).toEqual([
        'name',
        'displayName',
        'active',
        `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
        `${ENTERPRISE_USER_SCHEMA}:manager`,
      ]);
    });

    it('accepts a flattened value path as a key of a path-less value', () => {
      const change = patch(aUser(), [
        {
          op: 'replace',
          value: { 'emails[type eq "work"].value': 'babs@work.com', 'name.givenName': 'Barb' },
        },
      ]);
      expect((change.document.emails as JsonObject[])[0]).toEqual({
        value: 'babs@work.com',
        type: 'work',
        primary: true,
      });
      expect(change.changedAttributes).toEqual(['name', 'emails']);
    });

    it('sets the manager from a bare id', () => {
      const change = patch(aUser(), [
        {
          op: 'Add',
          path: `${ENTERPRISE_USER_SCHEMA}:manager`,
          value: '0f1e2d3c-0000-4000-8000-000000000001',
        },
      ]);
      expect((change.document[ENTERPRISE_USER_SCHEMA] as JsonObject).manager).toEqual({
        value: '0f1e2d3c-0000-4000-8000-000000000001',
      });
    });

    it('removes a member through a value filter', () => {
      const change = patchGroup([{ op: 'remove', path: `members[value eq "${MANDY}"]` }]);
      expect(memberIds(change.document)).toEqual([BABS]);
    });
  });
});

describe('applyPatch — Okta', () => {
  it('deactivates with a path-less replace', () => {
    expect(patch(aUser(), [{ op: 'replace', value: { active: false } }]).document.active).toBe(false);
  });

  it('renames a group, ignoring the read-only id in the value', () => {
    const group = aGroup();
    const change = patchGroup(
      [{ op: 'replace', value: { id: group.id ?? null, displayName: 'Guides' } }],
      group,
    );
    expect(change.document).toMatchObject({ id: group.id, displayName: 'Guides' });
    expect(change.changedAttributes).toEqual(['displayName']);
  });

  it('pushes membership as a filtered remove and an add', () => {
    const change = patchGroup([
      { op: 'remove', path: `members[value eq "${BABS}"]` },
      { op: 'add', path: 'members', value: [{ value: NEW_MEMBER, display: 'New' }] },
    ]);
    expect(change.valueChanges.members).toEqual({ added: [NEW_MEMBER], removed: [BABS] });
  });

  it('is a no-op when the rename is sent again with the membership update', () => {
    const group = aGroup();
    const change = patchGroup([
      { op: 'replace', value: { id: group.id ?? null, displayName: group.displayName ?? null } },
    ]);
    expect(change.changed).toBe(false);
  });
});

describe('applyPatch — idempotence and atomicity', () => {
  it('changes nothing when the same PATCH is applied again', () => {
    const operations: JsonObject[] = [
      { op: 'add', path: 'members', value: [{ value: NEW_MEMBER }] },
      { op: 'remove', path: `members[value eq "${BABS}"]` },
      { op: 'replace', path: 'displayName', value: 'Guides' },
    ];
    const first = patchGroup(operations);
    expect(first.changed).toBe(true);
    const replay = patchGroup(operations, first.document);
    expect(replay).toMatchObject({ changed: false, changedAttributes: [], valueChanges: {} });
    expect(replay.document).toEqual(first.document);
  });

  it('treats adding a value already there as no change', () => {
    expect(patchGroup([{ op: 'add', path: 'members', value: [{ value: BABS }] }]).changed).toBe(false);
    expect(patch(aUser(), [{ op: 'add', path: 'title', value: 'Tour Guide' }]).changed).toBe(false);
    expect(patchGroup([{ op: 'remove', path: 'members[value eq "nobody"]' }]).changed).toBe(false);
  });

  it('never modifies its input, and leaves it untouched when a later operation fails', () => {
    const group = aGroup();
    const before = cloneJson(group);
    patchGroup([{ op: 'add', path: 'members', value: [{ value: NEW_MEMBER }] }], group);
    expect(group).toEqual(before);
    expect(() =>
      patchGroup(
        [
          { op: 'add', path: 'members', value: [{ value: NEW_MEMBER }] },
          { op: 'replace', path: 'displayName', value: 'Renamed' },
          { op: 'remove', path: 'displayName' },
        ],
        group,
      ),
    ).toThrow(ScimError);
    expect(group).toEqual(before);
  });
});

describe('applyPatch — errors', () => {
  it.each<[string, JsonObject[], string, string]>([
    ['remove without a path', [{ op: 'remove' }], 'noTarget', "'remove' needs a 'path'"],
    [
      'replace through a filter matching nothing',
      [{ op: 'replace', path: 'emails[type eq "other"].value', value: 'x' }],
      'noTarget',
      "no value of 'emails' matches",
    ],
    [
      'a read-only attribute by path',
      [{ op: 'replace', path: 'id', value: 'x' }],
      'mutability',
      "'id' is read-only",
    ],
    ['groups on a user', [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }], 'mutability', 'read-only'],
    [
      'meta.created',
      [{ op: 'replace', path: 'meta.created', value: '2011-05-13T04:42:34Z' }],
      'mutability',
      'read-only',
    ],
    ['removing a required attribute', [{ op: 'remove', path: 'userName' }], 'mutability', 'required'],
    [
      'an unknown attribute',
      [{ op: 'replace', path: 'shoeSize', value: 42 }],
      'invalidPath',
      "unknown attribute 'shoeSize'",
    ],
    [
      'a malformed path',
      [{ op: 'replace', path: 'emails[type eq', value: 'x' }],
      'invalidPath',
      'not a valid path',
    ],
    [
      'a filter on a simple attribute',
      [{ op: 'remove', path: 'title[value eq "x"]' }],
      'invalidPath',
      'not a multi-valued',
    ],
    [
      'an impossible filter',
      [{ op: 'remove', path: 'emails[primary gt true]' }],
      'invalidFilter',
      'a boolean can only be compared',
    ],
    [
      'a wrongly typed value',
      [{ op: 'replace', path: 'active', value: 'maybe' }],
      'invalidValue',
      "'active' must be a boolean",
    ],
    [
      'an unknown key in a value',
      [{ op: 'add', value: { shoeSize: 42 } }],
      'invalidValue',
      "unknown attribute 'shoeSize'",
    ],
    [
      'an unknown op',
      [{ op: 'merge', path: 'title', value: 'x' }],
      'invalidSyntax',
      "'op' must be add, remove or replace",
    ],
    [
      'two primary values',
      [
        {
          op: 'add',
          path: 'emails',
          value: [
            { value: 'a@b', primary: true },
            { value: 'c@d', primary: true },
          ],
        },
      ],
      'invalidValue',
      'at most one value',
    ],
    ['add without a value', [{ op: 'add', path: 'title' }], 'invalidValue', "'add' needs a value"],
  ])('rejects %s', (_case, operations, scimType, detail) => {
    const error = scimErrorOf(() => patch(aUser(), operations));
    expect(error).toMatchObject({ status: 400, scimType });
    expect(error.detail).toContain(detail);
  });

  it('names the failing operation', () => {
    const error = scimErrorOf(() =>
      patch(aUser(), [
        { op: 'replace', path: 'title', value: 'x' },
        { op: 'Remove', path: 'userName' },
      ]),
    );
    expect(error.detail).toBe("operation 2 (remove userName): 'userName' is required and cannot be removed");
  });

  it('lets an immutable attribute be set once, then refuses to change it', () => {
    const path = `${CUSTOM_USER_SCHEMA}:hrisId`;
    const first = patch(aUser(), [{ op: 'add', path, value: 'H1' }]);
    expect(patch(first.document, [{ op: 'add', path, value: 'H1' }]).changed).toBe(false);
    expect(scimErrorOf(() => patch(first.document, [{ op: 'replace', path, value: 'H2' }])).scimType).toBe(
      'mutability',
    );
    expect(scimErrorOf(() => patch(first.document, [{ op: 'remove', path }])).scimType).toBe('mutability');
  });

  it('requires the PatchOp schema and operations', () => {
    expect(
      scimErrorOf(() => applyPatch(registry, 'User', aUser(), { Operations: [{ op: 'add' }] })).scimType,
    ).toBe('invalidSyntax');
    expect(scimErrorOf(() => applyPatch(registry, 'User', aUser(), patchBody())).detail).toBe(
      "'Operations' must be a non-empty array",
    );
  });
});
