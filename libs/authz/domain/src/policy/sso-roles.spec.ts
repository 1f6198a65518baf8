import { reconcileSsoRoles } from './sso-roles';

const approver = 'rol_01k00000000000000000000001';
const member = 'rol_01k00000000000000000000002';
const auditor = 'rol_01k00000000000000000000003';
const roles = [
  { roleId: approver, key: 'approver' },
  { roleId: member, key: 'member' },
  { roleId: auditor, key: 'auditor' },
];

describe('reconcileSsoRoles', () => {
  it('assigns every asserted role on the first sign-in', () =>
    expect(reconcileSsoRoles({ asserted: ['member', 'approver'], roles, heldFromConnection: [] })).toEqual({
      assign: [approver, member],
      unassign: [],
      unknownKeys: [],
    }));

  it('unassigns what the connection no longer asserts and keeps what it still does (an IdP-side mover)', () =>
    expect(
      reconcileSsoRoles({ asserted: ['member', 'auditor'], roles, heldFromConnection: [approver, member] }),
    ).toEqual({ assign: [auditor], unassign: [approver], unknownKeys: [] }));

  it('asks for nothing when the same assertion is applied again (a redelivered sign-in)', () =>
    expect(
      reconcileSsoRoles({ asserted: ['approver', 'member'], roles, heldFromConnection: [member, approver] }),
    ).toEqual({ assign: [], unassign: [], unknownKeys: [] }));

  it('skips keys the organization has no role for, once each, and still applies the others', () =>
    expect(
      reconcileSsoRoles({
        asserted: ['ghost', 'member', 'ghost', 'admin-ish'],
        roles,
        heldFromConnection: [],
      }),
    ).toEqual({ assign: [member], unassign: [], unknownKeys: ['admin-ish', 'ghost'] }));

  it('with nothing asserted, ends every assignment the connection made', () =>
    expect(reconcileSsoRoles({ asserted: [], roles, heldFromConnection: [approver, member] })).toEqual({
      assign: [],
      unassign: [approver, member],
      unknownKeys: [],
    }));

  it('ends an assignment whose role key now names no role as unasserted', () =>
    expect(
      reconcileSsoRoles({ asserted: ['approver'], roles: roles.slice(1), heldFromConnection: [approver] }),
    ).toEqual({ assign: [], unassign: [approver], unknownKeys: ['approver'] }));
});
