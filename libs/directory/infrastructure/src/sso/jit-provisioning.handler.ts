import {
  directoryStream,
  IdentityProvisioningRequestedV1,
  type UserProfile,
  userStream,
} from '@mandate/contracts';
import { directoryDecider, type User, userDecider } from '@mandate/directory-domain';
import { DomainError, type RecordedEvent } from '@mandate/kernel';
import { EventConsumer, type EventConsumerHandler } from '@mandate/messaging';
import { causedBy } from '@mandate/platform';
import { Injectable } from '@nestjs/common';
import { DirectoryWriter } from '../persistence/directory-writer';
import { externalIdReservation, userNameReservation } from '../resources/users.service';

/**
 * The directory that holds an SSO connection's just-in-time users: one per connection, its id derived
 * from the connection's (`con_x` → `dir_x`), so asking twice finds the same directory.
 */
export const jitDirectoryId = (connectionId: string): string => `dir_${connectionId.slice('con_'.length)}`;

const EMPTY_PROFILE: UserProfile = {
  email: null,
  givenName: null,
  familyName: null,
  displayName: null,
  title: null,
  department: null,
  division: null,
  organization: null,
  costCenter: null,
  employeeNumber: null,
  managerExternalId: null,
};

/** Conflicts that mean "already done": the directory or the user exists (a redelivered request). */
const ALREADY_DONE = new Set(['DIRECTORY_DIRECTORY_EXISTS', 'DIRECTORY_USER_EXISTS']);

const unlessAlreadyDone = async (write: () => Promise<unknown>): Promise<void> => {
  try {
    await write();
  } catch (error) {
    if (!(error instanceof DomainError && ALREADY_DONE.has(error.code))) throw error;
  }
};

const userReservations = (state: User) =>
  state.status !== 'present'
    ? []
    : [
        userNameReservation(state.directoryId, state.userName),
        ...(state.externalId === null ? [] : [externalIdReservation(state.directoryId, state.externalId)]),
      ];

/**
 * The directory's side of just-in-time provisioning: authn asks (`authn.identity.provisioning_requested`)
 * for a first SSO login, and the directory — which alone writes users — creates the user with the id
 * authn chose, in the connection's just-in-time directory, caused by the request. Redelivery changes
 * nothing: the directory and the user exist already.
 */
@EventConsumer({
  groupId: 'directory.jit-provisioning',
  contexts: ['authn'],
  types: [IdentityProvisioningRequestedV1.type],
})
@Injectable()
export class JitProvisioningConsumer implements EventConsumerHandler {
  private readonly directories;
  private readonly users;

  constructor(writer: DirectoryWriter) {
    this.directories = writer.handlerFor(directoryDecider);
    this.users = writer.handlerFor(userDecider, userReservations);
  }

  async handle(event: RecordedEvent): Promise<void> {
    if (!IdentityProvisioningRequestedV1.is(event)) return;
    const request = event.data;
    const cause = causedBy(event, 'directory');
    const directoryId = jitDirectoryId(request.connectionId);
    await unlessAlreadyDone(() =>
      this.directories(
        directoryStream(directoryId),
        request.orgId,
        'CreateDirectory',
        {
          orgId: request.orgId,
          directoryId,
          name: `SSO just-in-time: ${request.connectionName}`.slice(0, 200),
          provider: 'generic_scim',
          linkedDirectoryId: null,
        },
        { cause },
      ),
    );
    const externalId = request.subject.slice(0, 512);
    const provision = (userName: string) =>
      this.users(
        userStream(request.userId),
        request.orgId,
        'ProvisionUser',
        {
          orgId: request.orgId,
          directoryId,
          userId: request.userId,
          externalId,
          userName,
          active: true,
          profile: {
            ...EMPTY_PROFILE,
            email: request.email,
            givenName: request.givenName,
            familyName: request.familyName,
            displayName: request.displayName,
          },
          resource: {
            userName,
            externalId,
            active: true,
            ...(request.email !== null && { emails: [{ value: request.email, primary: true }] }),
          },
          source: 'system',
        },
        { cause },
      );
    await unlessAlreadyDone(async () => {
      try {
        await provision(request.userName);
      } catch (error) {
        // Another identity of the connection holds the name (an email reassigned at the IdP): the
        // IdP's subject, unique per connection, names this one.
        if (!(error instanceof DomainError && error.code === 'DIRECTORY_VALUE_TAKEN')) throw error;
        await provision(externalId);
      }
    });
  }
}
