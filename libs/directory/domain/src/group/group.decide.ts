import { type GroupEvent, type LifecycleSource } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type Command } from '../command';

type Document = Readonly<Record<string, unknown>>;
export type MemberType = 'user' | 'group';

export interface GroupMember {
  readonly id: string;
  readonly type: MemberType;
}

/** What a source says about a group: `resource` without its members, which travel as events of their own. */
export interface GroupSnapshot {
  readonly externalId: string | null;
  readonly displayName: string;
  readonly resource: Document;
  readonly members: readonly GroupMember[];
}

export type CreateGroup = Command<
  'CreateGroup',
  GroupSnapshot & { orgId: string; directoryId: string; groupId: string; source: LifecycleSource }
>;
/** Brings the group to `snapshot`: one `updated` for its attributes, one event per member added or removed. */
export type ChangeGroup = Command<'ChangeGroup', GroupSnapshot & { source: LifecycleSource }>;
/** A member left the directory: it leaves every group it was in. */
export type RemoveGroupMember = Command<
  'RemoveGroupMember',
  { memberId: string; source: LifecycleSource; reason: 'removed' | 'member_deleted' }
>;
export type DeleteGroup = Command<
  'DeleteGroup',
  {
    source: LifecycleSource;
    reason: 'deprovisioned' | 'admin' | 'directory_deleted' | 'organization_deleted';
  }
>;

export type GroupCommand = CreateGroup | ChangeGroup | RemoveGroupMember | DeleteGroup;

interface ExistingGroup {
  readonly orgId: string;
  readonly directoryId: string;
  readonly groupId: string;
  readonly externalId: string | null;
  readonly displayName: string;
  readonly resource: Document;
  readonly members: ReadonlyMap<string, MemberType>;
}

export type Group =
  | { readonly status: 'none' }
  | (ExistingGroup & { readonly status: 'present' })
  | { readonly status: 'deleted' };

export const MAX_GROUP_MEMBERS = 100_000;

export const groupNotFound = () =>
  new DomainError('not_found', 'DIRECTORY_GROUP_NOT_FOUND', 'The group does not exist');

const presentGroup = (state: Group): Extract<Group, { status: 'present' }> => {
  if (state.status !== 'present') throw groupNotFound();
  return state;
};

const validDisplayName = (displayName: string): string => {
  if (displayName.trim().length === 0 || displayName.length > 512) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_GROUP_NAME_INVALID',
      'displayName must have 1 to 512 characters',
    );
  }
  return displayName;
};

const membersOf = (snapshot: GroupSnapshot, groupId: string): Map<string, MemberType> => {
  const members = new Map<string, MemberType>();
  for (const member of snapshot.members) {
    if (member.id === groupId) {
      throw new DomainError('invalid', 'DIRECTORY_GROUP_MEMBER_INVALID', 'A group cannot be its own member');
    }
    members.set(member.id, member.type);
  }
  if (members.size > MAX_GROUP_MEMBERS) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_GROUP_TOO_LARGE',
      `A group can have at most ${MAX_GROUP_MEMBERS} members`,
    );
  }
  return members;
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const changedAttributes = (group: ExistingGroup, snapshot: GroupSnapshot): string[] => {
  const changed = new Set<string>();
  if (group.displayName !== snapshot.displayName) changed.add('displayName');
  if (group.externalId !== snapshot.externalId) changed.add('externalId');
  for (const key of new Set([...Object.keys(group.resource), ...Object.keys(snapshot.resource)])) {
    if (!sameJson(group.resource[key], snapshot.resource[key])) changed.add(key);
  }
  return [...changed].sort();
};

const decide = (command: GroupCommand, state: Group): GroupEvent[] => {
  switch (command.type) {
    case 'CreateGroup': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'DIRECTORY_GROUP_EXISTS', 'The group already exists');
      }
      const { orgId, directoryId, groupId, externalId, displayName, resource, source } = command.data;
      const key = { orgId, directoryId, groupId };
      const members = membersOf(command.data, groupId);
      return [
        {
          type: 'directory.group.created',
          data: {
            ...key,
            externalId,
            displayName: validDisplayName(displayName),
            source,
            resource: { ...resource },
          },
        },
        ...[...members].map(([memberId, memberType]) => ({
          type: 'directory.group.member_added' as const,
          data: { ...key, memberId, memberType, source },
        })),
      ];
    }
    case 'ChangeGroup': {
      const group = presentGroup(state);
      const { source, ...snapshot } = command.data;
      validDisplayName(snapshot.displayName);
      const key = { orgId: group.orgId, directoryId: group.directoryId, groupId: group.groupId };
      const members = membersOf(snapshot, group.groupId);
      const events: GroupEvent[] = [];
      const changed = changedAttributes(group, snapshot);
      if (changed.length > 0) {
        events.push({
          type: 'directory.group.updated',
          data: {
            ...key,
            externalId: snapshot.externalId,
            displayName: snapshot.displayName,
            changed,
            source,
            resource: { ...snapshot.resource },
          },
        });
      }
      for (const [memberId, memberType] of group.members) {
        if (!members.has(memberId)) {
          events.push({
            type: 'directory.group.member_removed',
            data: { ...key, memberId, memberType, source, reason: 'removed' },
          });
        }
      }
      for (const [memberId, memberType] of members) {
        if (!group.members.has(memberId)) {
          events.push({
            type: 'directory.group.member_added',
            data: { ...key, memberId, memberType, source },
          });
        }
      }
      return events;
    }
    case 'RemoveGroupMember': {
      if (state.status !== 'present') return [];
      const memberType = state.members.get(command.data.memberId);
      if (!memberType) return [];
      return [
        {
          type: 'directory.group.member_removed',
          data: {
            orgId: state.orgId,
            directoryId: state.directoryId,
            groupId: state.groupId,
            memberId: command.data.memberId,
            memberType,
            source: command.data.source,
            reason: command.data.reason,
          },
        },
      ];
    }
    case 'DeleteGroup': {
      const group = presentGroup(state);
      return [
        {
          type: 'directory.group.deleted',
          data: {
            orgId: group.orgId,
            directoryId: group.directoryId,
            groupId: group.groupId,
            source: command.data.source,
            reason: command.data.reason,
            deletedAt: command.now.toISOString(),
          },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown group command');
  }
};

const evolve = (state: Group, event: GroupEvent): Group => {
  switch (event.type) {
    case 'directory.group.created': {
      const { orgId, directoryId, groupId, externalId, displayName, resource } = event.data;
      return {
        status: 'present',
        orgId,
        directoryId,
        groupId,
        externalId,
        displayName,
        resource,
        members: new Map(),
      };
    }
    case 'directory.group.updated': {
      if (state.status !== 'present') return state;
      const { externalId, displayName, resource } = event.data;
      return { ...state, externalId, displayName, resource };
    }
    case 'directory.group.member_added':
      return state.status !== 'present'
        ? state
        : { ...state, members: new Map(state.members).set(event.data.memberId, event.data.memberType) };
    case 'directory.group.member_removed': {
      if (state.status !== 'present') return state;
      const members = new Map(state.members);
      members.delete(event.data.memberId);
      return { ...state, members };
    }
    case 'directory.group.deleted':
      return { status: 'deleted' };
    default:
      return assertNever(event, 'Unknown group event');
  }
};

export const groupDecider: Decider<Group, GroupCommand, GroupEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
