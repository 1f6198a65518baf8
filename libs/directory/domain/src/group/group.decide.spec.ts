import { type GroupEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { type GroupCommand, groupDecider, type GroupSnapshot } from './group.decide';

const given = deciderSpecification(groupDecider);
const key = {
  orgId: 'org_01k00000000000000000000000',
  directoryId: 'dir_01k00000000000000000000000',
  groupId: 'grp_01k00000000000000000000000',
};
const u1 = 'usr_01k00000000000000000000001';
const u2 = 'usr_01k00000000000000000000002';
const t1 = new Date('2026-11-02T09:00:00.000Z');

const snapshot = (overrides: Partial<GroupSnapshot> = {}): GroupSnapshot => ({
  externalId: null,
  displayName: 'Engineering',
  resource: { displayName: 'Engineering' },
  members: [],
  ...overrides,
});
const command = <C extends GroupCommand>(type: C['type'], data: C['data']) => ({ type, data, now: t1 }) as C;
const created = (): GroupEvent => ({
  type: 'directory.group.created',
  data: {
    ...key,
    externalId: null,
    displayName: 'Engineering',
    source: 'scim',
    resource: snapshot().resource,
  },
});
const added = (memberId: string): GroupEvent => ({
  type: 'directory.group.member_added',
  data: { ...key, memberId, memberType: 'user', source: 'scim' },
});
const removed = (memberId: string, reason: 'removed' | 'member_deleted' = 'removed'): GroupEvent => ({
  type: 'directory.group.member_removed',
  data: { ...key, memberId, memberType: 'user', source: 'scim', reason },
});

describe('group', () => {
  it('is created with its members, each an event of its own', () =>
    given([])
      .when(
        command('CreateGroup', {
          ...key,
          ...snapshot({ members: [{ id: u1, type: 'user' }] }),
          source: 'scim',
        }),
      )
      .then([created(), added(u1)]));

  it('a change emits the membership difference and nothing for unchanged members', () =>
    given([created(), added(u1)])
      .when(command('ChangeGroup', { ...snapshot({ members: [{ id: u2, type: 'user' }] }), source: 'scim' }))
      .then([removed(u1), added(u2)]));

  it('a rename is an update naming displayName', () =>
    given([created()])
      .when(
        command('ChangeGroup', {
          ...snapshot({ displayName: 'Eng', resource: { displayName: 'Eng' } }),
          source: 'scim',
        }),
      )
      .then([
        {
          type: 'directory.group.updated',
          data: {
            ...key,
            externalId: null,
            displayName: 'Eng',
            changed: ['displayName'],
            source: 'scim',
            resource: { displayName: 'Eng' },
          },
        },
      ]));

  it('cannot contain itself', () =>
    given([created()])
      .when(
        command('ChangeGroup', {
          ...snapshot({ members: [{ id: key.groupId, type: 'group' }] }),
          source: 'scim',
        }),
      )
      .thenThrows('DIRECTORY_GROUP_MEMBER_INVALID'));

  it('drops a deleted member, once', () => {
    given([created(), added(u1)])
      .when(command('RemoveGroupMember', { memberId: u1, source: 'system', reason: 'member_deleted' }))
      .then([
        {
          ...removed(u1, 'member_deleted'),
          data: { ...removed(u1, 'member_deleted').data, source: 'system' },
        } as GroupEvent,
      ]);
    given([created()])
      .when(command('RemoveGroupMember', { memberId: u1, source: 'system', reason: 'member_deleted' }))
      .thenNothingHappened();
  });

  it('is not found once deleted', () =>
    given([
      created(),
      {
        type: 'directory.group.deleted',
        data: { ...key, source: 'scim', reason: 'deprovisioned', deletedAt: t1.toISOString() },
      },
    ])
      .when(command('ChangeGroup', { ...snapshot(), source: 'scim' }))
      .thenThrows('DIRECTORY_GROUP_NOT_FOUND'));
});
