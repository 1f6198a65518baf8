import {
  type LifecycleSource,
  PROFILE_FIELDS,
  type UserEvent,
  type UserProfile,
  type userDeactivationReasonSchema,
} from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type z } from 'zod';
import { type Command } from '../command';

export type DeactivationReason = z.infer<typeof userDeactivationReasonSchema>;
type Document = Readonly<Record<string, unknown>>;

/** What a source says about a person, in full: the user becomes exactly this. */
export interface UserSnapshot {
  readonly externalId: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly profile: UserProfile;
  readonly resource: Document;
}

export type ProvisionUser = Command<
  'ProvisionUser',
  UserSnapshot & { orgId: string; directoryId: string; userId: string; source: LifecycleSource }
>;
/**
 * Brings the user to `snapshot` (SCIM PUT / PATCH, an HRIS update): profile changes become one
 * `updated`, and a change of `active` a deactivation or reactivation. `resource.active`, when
 * present, is expected to agree with `active`.
 */
export type ChangeUser = Command<
  'ChangeUser',
  UserSnapshot & { source: LifecycleSource; deactivationReason?: DeactivationReason }
>;
/** A leaver; `effectiveAt` in the future schedules it (an HRIS termination dated ahead). */
export type DeactivateUser = Command<
  'DeactivateUser',
  { source: LifecycleSource; reason: DeactivationReason; effectiveAt?: Date }
>;
/** `onlyIfDeactivatedFor`: reactivate only a user deactivated for that reason (a return from leave never undoes a termination). */
export type ReactivateUser = Command<
  'ReactivateUser',
  { source: LifecycleSource; onlyIfDeactivatedFor?: DeactivationReason }
>;
/** Run by the scheduler once a scheduled deactivation is due. */
export type ApplyScheduledDeactivation = Command<'ApplyScheduledDeactivation', Record<string, never>>;
export type DeleteUser = Command<
  'DeleteUser',
  {
    source: LifecycleSource;
    reason: 'deprovisioned' | 'admin' | 'directory_deleted' | 'organization_deleted';
  }
>;

export type UserCommand =
  ProvisionUser | ChangeUser | DeactivateUser | ReactivateUser | ApplyScheduledDeactivation | DeleteUser;

interface ScheduledDeactivation {
  readonly effectiveAt: string;
  readonly reason: DeactivationReason;
  readonly source: LifecycleSource;
}

interface ExistingUser extends UserSnapshot {
  readonly orgId: string;
  readonly directoryId: string;
  readonly userId: string;
  readonly scheduled: ScheduledDeactivation | null;
  /** Why the user is inactive, while they are. */
  readonly deactivationReason: DeactivationReason | null;
}

export type User =
  | { readonly status: 'none' }
  | (ExistingUser & { readonly status: 'present' })
  | { readonly status: 'deleted'; readonly userId: string };

type PresentUser = Extract<User, { status: 'present' }>;

export const userNotFound = () =>
  new DomainError('not_found', 'DIRECTORY_USER_NOT_FOUND', 'The user does not exist');

const presentUser = (state: User): PresentUser => {
  if (state.status !== 'present') throw userNotFound();
  return state;
};

const validUserName = (userName: string): string => {
  if (userName.trim().length === 0 || userName.length > 512) {
    throw new DomainError('invalid', 'DIRECTORY_USER_NAME_INVALID', 'userName must have 1 to 512 characters');
  }
  return userName;
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The profile fields and top-level document attributes that differ, `active` aside (it has events of its own). */
const changesBetween = (before: UserSnapshot, after: UserSnapshot): string[] => {
  const changed = new Set<string>();
  if (before.userName !== after.userName) changed.add('userName');
  if (before.externalId !== after.externalId) changed.add('externalId');
  for (const field of PROFILE_FIELDS) if (before.profile[field] !== after.profile[field]) changed.add(field);
  const keys = new Set([...Object.keys(before.resource), ...Object.keys(after.resource)]);
  for (const key of keys) {
    // A change of status has events of its own; `active` counts here only when the document's
    // spelling of an unchanged status changes (sent, or left out).
    const statusEvent = key === 'active' && before.active !== after.active;
    if (!statusEvent && !sameJson(before.resource[key], after.resource[key])) changed.add(key);
  }
  return [...changed].sort();
};

const previousProfile = (before: UserProfile, after: UserProfile): Partial<UserProfile> =>
  Object.fromEntries(PROFILE_FIELDS.filter((f) => before[f] !== after[f]).map((f) => [f, before[f]]));

const decide = (command: UserCommand, state: User): UserEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'ProvisionUser': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'DIRECTORY_USER_EXISTS', 'The user already exists');
      }
      const { orgId, directoryId, userId, externalId, userName, active, profile, resource, source } =
        command.data;
      return [
        {
          type: 'directory.user.provisioned',
          data: {
            orgId,
            directoryId,
            userId,
            externalId,
            userName: validUserName(userName),
            active,
            profile,
            source,
            resource: { ...resource },
          },
        },
      ];
    }
    case 'ChangeUser': {
      const user = presentUser(state);
      const { source, deactivationReason = 'deprovisioned', ...snapshot } = command.data;
      validUserName(snapshot.userName);
      const key = { orgId: user.orgId, directoryId: user.directoryId, userId: user.userId };
      const events: UserEvent[] = [];
      const flips = user.active !== snapshot.active;
      if (flips && !snapshot.active) {
        events.push({
          type: 'directory.user.deactivated',
          data: { ...key, source, reason: deactivationReason, effectiveAt: at },
        });
      } else if (flips) {
        events.push({ type: 'directory.user.reactivated', data: { ...key, source, effectiveAt: at } });
      }
      // After the status event, so the document ends exactly as sent (a status event writes `active`
      // into it; a source that leaves `active` out gets it left out).
      const changed = changesBetween(user, snapshot);
      const spelledOtherwise = flips && !sameJson(snapshot.resource['active'], snapshot.active);
      if (changed.length > 0 || spelledOtherwise) {
        events.push({
          type: 'directory.user.updated',
          data: {
            ...key,
            externalId: snapshot.externalId,
            userName: snapshot.userName,
            changed: changed.length > 0 ? changed : ['active'],
            previous: previousProfile(user.profile, snapshot.profile),
            profile: snapshot.profile,
            source,
            resource: { ...snapshot.resource },
          },
        });
      }
      return events;
    }
    case 'DeactivateUser': {
      const user = presentUser(state);
      const { source, reason, effectiveAt } = command.data;
      const key = { orgId: user.orgId, directoryId: user.directoryId, userId: user.userId };
      if (effectiveAt && effectiveAt.getTime() > command.now.getTime()) {
        if (!user.active) return [];
        const scheduledAt = effectiveAt.toISOString();
        if (user.scheduled?.effectiveAt === scheduledAt && user.scheduled.reason === reason) return [];
        return [
          {
            type: 'directory.user.deactivation_scheduled',
            data: { ...key, source, reason, effectiveAt: scheduledAt },
          },
        ];
      }
      if (!user.active) return [];
      return [{ type: 'directory.user.deactivated', data: { ...key, source, reason, effectiveAt: at } }];
    }
    case 'ApplyScheduledDeactivation': {
      if (state.status !== 'present' || !state.scheduled || !state.active) return [];
      if (new Date(state.scheduled.effectiveAt).getTime() > command.now.getTime()) return [];
      const { reason, source } = state.scheduled;
      return [
        {
          type: 'directory.user.deactivated',
          data: {
            orgId: state.orgId,
            directoryId: state.directoryId,
            userId: state.userId,
            source,
            reason,
            effectiveAt: at,
          },
        },
      ];
    }
    case 'ReactivateUser': {
      const user = presentUser(state);
      if (user.active) return [];
      const { onlyIfDeactivatedFor } = command.data;
      if (onlyIfDeactivatedFor && user.deactivationReason !== onlyIfDeactivatedFor) return [];
      return [
        {
          type: 'directory.user.reactivated',
          data: {
            orgId: user.orgId,
            directoryId: user.directoryId,
            userId: user.userId,
            source: command.data.source,
            effectiveAt: at,
          },
        },
      ];
    }
    case 'DeleteUser': {
      const user = presentUser(state);
      return [
        {
          type: 'directory.user.deleted',
          data: {
            orgId: user.orgId,
            directoryId: user.directoryId,
            userId: user.userId,
            source: command.data.source,
            reason: command.data.reason,
            deletedAt: at,
          },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown user command');
  }
};

const evolve = (state: User, event: UserEvent): User => {
  switch (event.type) {
    case 'directory.user.provisioned': {
      const { source: _source, ...user } = event.data;
      return {
        status: 'present',
        ...user,
        scheduled: null,
        deactivationReason: user.active ? null : 'deprovisioned',
      };
    }
    case 'directory.user.updated': {
      if (state.status !== 'present') return state;
      const { externalId, userName, profile, resource } = event.data;
      return { ...state, externalId, userName, profile, resource };
    }
    case 'directory.user.deactivation_scheduled':
      return state.status !== 'present'
        ? state
        : {
            ...state,
            scheduled: {
              effectiveAt: event.data.effectiveAt,
              reason: event.data.reason,
              source: event.data.source,
            },
          };
    case 'directory.user.deactivated':
      return state.status !== 'present'
        ? state
        : {
            ...state,
            active: false,
            scheduled: null,
            deactivationReason: event.data.reason,
            resource: { ...state.resource, active: false },
          };
    case 'directory.user.reactivated':
      return state.status !== 'present'
        ? state
        : {
            ...state,
            active: true,
            scheduled: null,
            deactivationReason: null,
            resource: { ...state.resource, active: true },
          };
    case 'directory.user.deleted':
      return { status: 'deleted', userId: event.data.userId };
    default:
      return assertNever(event, 'Unknown user event');
  }
};

export const userDecider: Decider<User, UserCommand, UserEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
