import { type LifecycleSource, userStream } from '@mandate/contracts';
import {
  type DeactivationReason,
  type DeleteUser,
  type User,
  userDecider,
  type UserSnapshot,
} from '@mandate/directory-domain';
import { type CommandResult } from '@mandate/eventstore';
import { type UserEvent } from '@mandate/contracts';
import { newId } from '../ids';
import { type DirectoryWriter, type WriteOptions } from '../persistence/directory-writer';
import { type Reservation } from '../persistence/reservations';

/** userName is unique per directory, case-insensitively (RFC 7643 §4.1.1); externalId exactly. */
export const userNameReservation = (directoryId: string, userName: string): Reservation => ({
  scope: `dir:${directoryId}:userName`,
  key: userName.toLowerCase(),
});
export const externalIdReservation = (directoryId: string, externalId: string): Reservation => ({
  scope: `dir:${directoryId}:user.externalId`,
  key: externalId,
});

const userReservations = (state: User): Reservation[] =>
  state.status !== 'present'
    ? []
    : [
        userNameReservation(state.directoryId, state.userName),
        ...(state.externalId === null ? [] : [externalIdReservation(state.directoryId, state.externalId)]),
      ];

export type UserResult = CommandResult<User, UserEvent>;

/**
 * The user lifecycle, whatever the source: SCIM, HRIS webhooks, the management API and the
 * directory's own reactions all come through here.
 */
export class UsersService {
  private readonly execute;

  constructor(writer: DirectoryWriter) {
    this.execute = writer.handlerFor(userDecider, userReservations);
  }

  async provision(
    key: { orgId: string; directoryId: string },
    snapshot: UserSnapshot,
    source: LifecycleSource,
  ): Promise<{ userId: string; result: UserResult }> {
    const userId = newId('usr');
    const result = await this.execute(userStream(userId), key.orgId, 'ProvisionUser', {
      ...key,
      userId,
      ...snapshot,
      source,
    });
    return { userId, result };
  }

  change(
    orgId: string,
    userId: string,
    snapshot: UserSnapshot,
    source: LifecycleSource,
    options: WriteOptions & { deactivationReason?: DeactivationReason } = {},
  ): Promise<UserResult> {
    const { deactivationReason, ...writeOptions } = options;
    return this.execute(
      userStream(userId),
      orgId,
      'ChangeUser',
      { ...snapshot, source, ...(deactivationReason && { deactivationReason }) },
      writeOptions,
    );
  }

  deactivate(
    orgId: string,
    userId: string,
    input: { source: LifecycleSource; reason: DeactivationReason; effectiveAt?: Date },
    options: WriteOptions = {},
  ): Promise<UserResult> {
    return this.execute(userStream(userId), orgId, 'DeactivateUser', input, options);
  }

  reactivate(
    orgId: string,
    userId: string,
    source: LifecycleSource,
    options: WriteOptions & { onlyIfDeactivatedFor?: DeactivationReason } = {},
  ): Promise<UserResult> {
    const { onlyIfDeactivatedFor, ...writeOptions } = options;
    return this.execute(
      userStream(userId),
      orgId,
      'ReactivateUser',
      { source, ...(onlyIfDeactivatedFor && { onlyIfDeactivatedFor }) },
      writeOptions,
    );
  }

  applyScheduledDeactivation(orgId: string, userId: string, options: WriteOptions = {}): Promise<UserResult> {
    return this.execute(userStream(userId), orgId, 'ApplyScheduledDeactivation', {}, options);
  }

  delete(
    orgId: string,
    userId: string,
    input: DeleteUser['data'],
    options: WriteOptions = {},
  ): Promise<UserResult> {
    return this.execute(userStream(userId), orgId, 'DeleteUser', input, options);
  }
}
