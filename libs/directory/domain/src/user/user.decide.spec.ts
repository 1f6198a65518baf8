import { type UserEvent, type UserProfile } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { type UserCommand, userDecider, type UserSnapshot } from './user.decide';

const given = deciderSpecification(userDecider);
const key = {
  orgId: 'org_01k00000000000000000000000',
  directoryId: 'dir_01k00000000000000000000000',
  userId: 'usr_01k00000000000000000000000',
};
const t0 = new Date('2026-11-01T09:00:00.000Z');
const t1 = new Date('2026-11-02T09:00:00.000Z');
const later = new Date('2026-12-31T17:00:00.000Z');

const profile = (overrides: Partial<UserProfile> = {}): UserProfile => ({
  email: 'ada@example.com',
  givenName: 'Ada',
  familyName: 'Lovelace',
  displayName: 'Ada Lovelace',
  title: 'Engineer',
  department: 'R&D',
  division: null,
  organization: null,
  costCenter: null,
  employeeNumber: '42',
  managerExternalId: null,
  ...overrides,
});
const snapshot = (overrides: Partial<UserSnapshot> = {}): UserSnapshot => ({
  externalId: 'okta-00u1',
  userName: 'ada@example.com',
  active: true,
  profile: profile(),
  resource: { userName: 'ada@example.com', active: true },
  ...overrides,
});
const command = <C extends UserCommand>(type: C['type'], data: C['data'], now = t1) =>
  ({ type, data, now }) as C;

const provisioned = (overrides: Partial<UserSnapshot> = {}): UserEvent => ({
  type: 'directory.user.provisioned',
  data: { ...key, ...snapshot(overrides), source: 'scim' },
});
const deactivated = (): UserEvent => ({
  type: 'directory.user.deactivated',
  data: { ...key, source: 'scim', reason: 'deprovisioned', effectiveAt: t1.toISOString() },
});

describe('user', () => {
  it('is provisioned once; a second provisioning is a conflict', () => {
    given([])
      .when(command('ProvisionUser', { ...key, ...snapshot(), source: 'scim' }, t0))
      .then([provisioned()]);
    given([provisioned()])
      .when(command('ProvisionUser', { ...key, ...snapshot(), source: 'scim' }))
      .thenThrows('DIRECTORY_USER_EXISTS');
  });

  it('refuses an empty userName', () =>
    given([])
      .when(command('ProvisionUser', { ...key, ...snapshot({ userName: '  ' }), source: 'scim' }))
      .thenThrows('DIRECTORY_USER_NAME_INVALID'));

  it('a mover names what changed and what it was before', () =>
    given([provisioned()])
      .when(
        command('ChangeUser', {
          ...snapshot({ profile: profile({ department: 'Sales', title: 'Lead' }) }),
          source: 'hris',
        }),
      )
      .then([
        {
          type: 'directory.user.updated',
          data: {
            ...key,
            externalId: 'okta-00u1',
            userName: 'ada@example.com',
            changed: ['department', 'title'],
            previous: { department: 'R&D', title: 'Engineer' },
            profile: profile({ department: 'Sales', title: 'Lead' }),
            source: 'hris',
            resource: { userName: 'ada@example.com', active: true },
          },
        },
      ]));

  it('the same snapshot again changes nothing (a replayed PATCH)', () =>
    given([provisioned()])
      .when(command('ChangeUser', { ...snapshot(), source: 'scim' }))
      .thenNothingHappened());

  it('active false in a change is a leaver; true again is a reactivation', () => {
    given([provisioned()])
      .when(
        command('ChangeUser', {
          ...snapshot({ active: false, resource: { userName: 'ada@example.com', active: false } }),
          source: 'scim',
        }),
      )
      .then([deactivated()]);
    given([provisioned(), deactivated()])
      .when(command('ChangeUser', { ...snapshot(), source: 'scim' }))
      .then([
        {
          type: 'directory.user.reactivated',
          data: { ...key, source: 'scim', effectiveAt: t1.toISOString() },
        },
      ]);
  });

  it('a leaver cannot be deactivated twice', () =>
    given([provisioned(), deactivated()])
      .when(command('DeactivateUser', { source: 'scim', reason: 'deprovisioned' }))
      .thenNothingHappened());

  it('a termination dated ahead is scheduled, then applied once due', () => {
    const scheduled: UserEvent = {
      type: 'directory.user.deactivation_scheduled',
      data: { ...key, source: 'hris', reason: 'terminated', effectiveAt: later.toISOString() },
    };
    given([provisioned()])
      .when(command('DeactivateUser', { source: 'hris', reason: 'terminated', effectiveAt: later }))
      .then([scheduled]);
    given([provisioned(), scheduled])
      .when(command('DeactivateUser', { source: 'hris', reason: 'terminated', effectiveAt: later }))
      .thenNothingHappened();
    given([provisioned(), scheduled])
      .when(command('ApplyScheduledDeactivation', {}, t1))
      .thenNothingHappened();
    given([provisioned(), scheduled])
      .when(command('ApplyScheduledDeactivation', {}, later))
      .then([
        {
          type: 'directory.user.deactivated',
          data: { ...key, source: 'hris', reason: 'terminated', effectiveAt: later.toISOString() },
        },
      ]);
  });

  it('a reactivation cancels a scheduled deactivation', () => {
    const scheduled: UserEvent = {
      type: 'directory.user.deactivation_scheduled',
      data: { ...key, source: 'hris', reason: 'terminated', effectiveAt: later.toISOString() },
    };
    const reactivated: UserEvent = {
      type: 'directory.user.reactivated',
      data: { ...key, source: 'hris', effectiveAt: t1.toISOString() },
    };
    given([provisioned(), scheduled, deactivated(), reactivated])
      .when(command('ApplyScheduledDeactivation', {}, later))
      .thenNothingHappened();
  });

  it('is gone after deletion: every command is refused as not found', () => {
    const deleted: UserEvent = {
      type: 'directory.user.deleted',
      data: { ...key, source: 'scim', reason: 'deprovisioned', deletedAt: t1.toISOString() },
    };
    given([provisioned()])
      .when(command('DeleteUser', { source: 'scim', reason: 'deprovisioned' }))
      .then([deleted]);
    given([provisioned(), deleted])
      .when(command('DeleteUser', { source: 'scim', reason: 'deprovisioned' }))
      .thenThrows('DIRECTORY_USER_NOT_FOUND');
    given([provisioned(), deleted])
      .when(command('ChangeUser', { ...snapshot(), source: 'scim' }))
      .thenThrows('DIRECTORY_USER_NOT_FOUND');
  });

  it('a return from leave reactivates a user on leave, never a terminated one', () => {
    const onLeave: UserEvent = {
      type: 'directory.user.deactivated',
      data: { ...key, source: 'hris', reason: 'leave_of_absence', effectiveAt: t1.toISOString() },
    };
    const terminated: UserEvent = {
      type: 'directory.user.deactivated',
      data: { ...key, source: 'hris', reason: 'terminated', effectiveAt: t1.toISOString() },
    };
    given([provisioned(), onLeave])
      .when(command('ReactivateUser', { source: 'hris', onlyIfDeactivatedFor: 'leave_of_absence' }))
      .then([
        {
          type: 'directory.user.reactivated',
          data: { ...key, source: 'hris', effectiveAt: t1.toISOString() },
        },
      ]);
    given([provisioned(), terminated])
      .when(command('ReactivateUser', { source: 'hris', onlyIfDeactivatedFor: 'leave_of_absence' }))
      .thenNothingHappened();
  });
});
