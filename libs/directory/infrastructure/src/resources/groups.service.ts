import { type GroupEvent, groupStream, type LifecycleSource } from '@mandate/contracts';
import { type DeleteGroup, type Group, groupDecider, type GroupSnapshot } from '@mandate/directory-domain';
import { type CommandResult } from '@mandate/eventstore';
import { newId } from '../ids';
import { type DirectoryWriter, type WriteOptions } from '../persistence/directory-writer';
import { type Reservation } from '../persistence/reservations';

/** Group names are unique per directory, case-insensitively (Entra ID matches groups by displayName). */
export const groupNameReservation = (directoryId: string, displayName: string): Reservation => ({
  scope: `dir:${directoryId}:group.displayName`,
  key: displayName.toLowerCase(),
});

const groupReservations = (state: Group): Reservation[] =>
  state.status !== 'present'
    ? []
    : [
        groupNameReservation(state.directoryId, state.displayName),
        ...(state.externalId === null
          ? []
          : [{ scope: `dir:${state.directoryId}:group.externalId`, key: state.externalId }]),
      ];

export type GroupResult = CommandResult<Group, GroupEvent>;

export class GroupsService {
  private readonly execute;

  constructor(writer: DirectoryWriter) {
    this.execute = writer.handlerFor(groupDecider, groupReservations);
  }

  async create(
    key: { orgId: string; directoryId: string },
    snapshot: GroupSnapshot,
    source: LifecycleSource,
  ): Promise<{ groupId: string; result: GroupResult }> {
    const groupId = newId('grp');
    const result = await this.execute(groupStream(groupId), key.orgId, 'CreateGroup', {
      ...key,
      groupId,
      ...snapshot,
      source,
    });
    return { groupId, result };
  }

  change(
    orgId: string,
    groupId: string,
    snapshot: GroupSnapshot,
    source: LifecycleSource,
    options: WriteOptions = {},
  ): Promise<GroupResult> {
    return this.execute(groupStream(groupId), orgId, 'ChangeGroup', { ...snapshot, source }, options);
  }

  removeMember(
    orgId: string,
    groupId: string,
    memberId: string,
    options: WriteOptions = {},
  ): Promise<GroupResult> {
    return this.execute(
      groupStream(groupId),
      orgId,
      'RemoveGroupMember',
      { memberId, source: 'system', reason: 'member_deleted' },
      options,
    );
  }

  delete(
    orgId: string,
    groupId: string,
    input: DeleteGroup['data'],
    options: WriteOptions = {},
  ): Promise<GroupResult> {
    return this.execute(groupStream(groupId), orgId, 'DeleteGroup', input, options);
  }
}
