import { type PolicyEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { effectivePermissions, permissionCovers, rolesGranting } from './permissions';
import { type PolicyCommand, policyDecider } from './policy.decide';

const given = deciderSpecification(policyDecider);
const orgId = 'org_01k00000000000000000000000';
const viewer = 'rol_01k00000000000000000000001';
const editor = 'rol_01k00000000000000000000002';
const admin = 'rol_01k00000000000000000000003';
const group = 'grp_01k00000000000000000000001';
const t1 = new Date('2026-11-02T09:00:00.000Z');

const command = <C extends PolicyCommand>(type: C['type'], data: C['data']) => ({ type, data, now: t1 }) as C;
const created = (
  roleId: string,
  key: string,
  permissions: string[],
  includes: string[] = [],
  system = false,
): PolicyEvent => ({
  type: 'authz.role.created',
  data: { orgId, roleId, key, name: key, description: '', permissions, includes, system },
});
const base = [
  created(viewer, 'viewer', ['documents:read']),
  created(editor, 'editor', ['documents:write'], [viewer]),
];

describe('policy', () => {
  it('creates a role with sorted, unique permissions', () =>
    given([])
      .when(
        command('CreateRole', {
          orgId,
          roleId: viewer,
          key: 'viewer',
          name: ' viewer ',
          description: '',
          permissions: ['documents:read', 'documents:read'],
          includes: [],
        }),
      )
      .then([created(viewer, 'viewer', ['documents:read'])]));

  it('refuses a second role with the same key, and includes of unknown roles', () => {
    given(base)
      .when(
        command('CreateRole', {
          orgId,
          roleId: admin,
          key: 'viewer',
          name: 'x',
          description: '',
          permissions: [],
          includes: [],
        }),
      )
      .thenThrows('AUTHZ_ROLE_EXISTS');
    given(base)
      .when(
        command('CreateRole', {
          orgId,
          roleId: admin,
          key: 'admin',
          name: 'x',
          description: '',
          permissions: [],
          includes: ['rol_01k0000000000000000000000z'],
        }),
      )
      .thenThrows('AUTHZ_ROLE_NOT_FOUND');
  });

  it('refuses a role hierarchy with a cycle, naming it', () =>
    given(base)
      .when(
        command('UpdateRole', {
          roleId: viewer,
          name: 'viewer',
          description: '',
          permissions: [],
          includes: [editor],
        }),
      )
      .thenThrows((error) => String((error as Error).message).includes(`${viewer} → ${editor} → ${viewer}`)));

  it('an update says which permissions the role no longer grants, counting what it includes', () =>
    given(base)
      .when(
        command('UpdateRole', {
          roleId: editor,
          name: 'editor',
          description: '',
          permissions: ['documents:write'],
          includes: [],
        }),
      )
      .then([
        {
          type: 'authz.role.updated',
          data: {
            orgId,
            roleId: editor,
            name: 'editor',
            description: '',
            permissions: ['documents:write'],
            includes: [],
            removedPermissions: ['documents:read'],
          },
        },
      ]));

  it('system roles cannot be changed or deleted', () => {
    const system = [created(admin, 'admin', ['*'], [], true)];
    given(system)
      .when(
        command('UpdateRole', { roleId: admin, name: 'x', description: '', permissions: [], includes: [] }),
      )
      .thenThrows('AUTHZ_ROLE_SYSTEM');
    given(system)
      .when(command('DeleteRole', { roleId: admin }))
      .thenThrows('AUTHZ_ROLE_SYSTEM');
  });

  it('a role other roles include cannot be deleted; deleting one removes its mappings', () => {
    given(base)
      .when(command('DeleteRole', { roleId: viewer }))
      .thenThrows('AUTHZ_ROLE_IN_USE');
    const mapping: PolicyEvent = {
      type: 'authz.group_mapping.created',
      data: {
        orgId,
        mappingId: 'map_01k00000000000000000000001',
        source: { kind: 'directory_group', groupId: group },
        roleId: editor,
        resource: 'project:42',
      },
    };
    given([...base, mapping])
      .when(command('DeleteRole', { roleId: editor }))
      .then([
        { type: 'authz.group_mapping.deleted', data: { orgId, mappingId: 'map_01k00000000000000000000001' } },
        { type: 'authz.role.deleted', data: { orgId, roleId: editor } },
      ]);
  });

  it('refuses a mapping that repeats another', () => {
    const source = { kind: 'directory_group' as const, groupId: group };
    const first: PolicyEvent = {
      type: 'authz.group_mapping.created',
      data: { orgId, mappingId: 'map_01k00000000000000000000001', source, roleId: editor, resource: null },
    };
    given([...base, first])
      .when(
        command('CreateGroupMapping', {
          orgId,
          mappingId: 'map_01k00000000000000000000002',
          source,
          roleId: editor,
          resource: null,
        }),
      )
      .thenThrows('AUTHZ_MAPPING_EXISTS');
  });

  it('versions the relationship model', () =>
    given([{ type: 'authz.model.written', data: { orgId, version: 1, model: {} } }])
      .when(command('WriteModel', { orgId, model: { schemaVersion: '1.0' } }))
      .then([{ type: 'authz.model.written', data: { orgId, version: 2, model: { schemaVersion: '1.0' } } }]));
});

describe('permissions', () => {
  it('wildcards cover every action of a resource, or everything', () => {
    expect(permissionCovers('documents:*', 'documents:read')).toBe(true);
    expect(permissionCovers('documents:*', 'documentsx:read')).toBe(false);
    expect(permissionCovers('*', 'invoices:approve')).toBe(true);
    expect(permissionCovers('documents:read', 'documents:write')).toBe(false);
  });

  it('a role grants what it includes, and the roles granting a permission include the including ones', () => {
    const roles = new Map([
      [viewer, { permissions: ['documents:read'], includes: [] }],
      [editor, { permissions: ['documents:write'], includes: [viewer] }],
      [admin, { permissions: [], includes: [editor] }],
    ]);
    expect([...effectivePermissions(roles, admin)].sort()).toEqual(['documents:read', 'documents:write']);
    expect(rolesGranting(roles, 'documents:read').sort()).toEqual([viewer, editor, admin].sort());
    expect(rolesGranting(roles, 'documents:write').sort()).toEqual([editor, admin].sort());
  });
});
