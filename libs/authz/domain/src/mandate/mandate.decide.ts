import { type MandateEvent, type mandateRevocationReasonSchema } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type z } from 'zod';
import { uncovered } from '../policy/permissions';

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}

export type MandateRevocationReason = z.infer<typeof mandateRevocationReasonSchema>;

/**
 * The facts the caller looked up for the decision: whether both principals are active, and which of
 * the requested permissions the human holds right now on the requested resources.
 */
export type GrantMandate = Command<
  'GrantMandate',
  {
    orgId: string;
    mandateId: string;
    userId: string;
    agentId: string;
    permissions: readonly string[];
    resources: readonly string[];
    expiresAt: Date | null;
    reason: string;
    grantedBy: string;
    delegatorActive: boolean;
    agentActive: boolean;
    heldPermissions: readonly string[];
  }
>;
/** `stillHeld`: which of the mandate's permissions the human still holds, after a change to them. */
export type NarrowMandate = Command<'NarrowMandate', { stillHeld: readonly string[] }>;
export type RevokeMandate = Command<'RevokeMandate', { reason: MandateRevocationReason }>;
export type SuspendMandate = Command<'SuspendMandate', { reason: 'agent_suspended' }>;
export type ResumeMandate = Command<'ResumeMandate', Record<string, never>>;

export type MandateCommand = GrantMandate | NarrowMandate | RevokeMandate | SuspendMandate | ResumeMandate;

interface ExistingMandate {
  readonly orgId: string;
  readonly mandateId: string;
  readonly userId: string;
  readonly agentId: string;
  readonly permissions: readonly string[];
  readonly resources: readonly string[];
  readonly expiresAt: string | null;
}

export type Mandate =
  { readonly status: 'none' } | (ExistingMandate & { readonly status: 'active' | 'suspended' | 'revoked' });

export const MAX_MANDATE_DURATION_DAYS = 366;

export const mandateNotFound = () =>
  new DomainError('not_found', 'AUTHZ_MANDATE_NOT_FOUND', 'The organization has no such mandate');

const RESOURCE = /^[a-z][a-z0-9_]{0,49}:([A-Za-z0-9_|@.:\-=]{1,256}|\*)$/;

const decide = (command: MandateCommand, state: Mandate): MandateEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'GrantMandate': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'AUTHZ_MANDATE_EXISTS', 'The mandate already exists');
      }
      const { orgId, mandateId, userId, agentId, expiresAt, grantedBy } = command.data;
      const reason = command.data.reason.trim();
      if (!command.data.delegatorActive) {
        throw new DomainError(
          'precondition_failed',
          'AUTHZ_DELEGATOR_INACTIVE',
          'Only an active user can delegate',
        );
      }
      if (!command.data.agentActive) {
        throw new DomainError('precondition_failed', 'AUTHZ_AGENT_INACTIVE', 'The agent is not active');
      }
      if (reason.length === 0) {
        throw new DomainError(
          'invalid',
          'AUTHZ_MANDATE_REASON_REQUIRED',
          'Say why the agent needs this mandate',
        );
      }
      const permissions = [...new Set(command.data.permissions)].sort();
      const resources = [...new Set(command.data.resources)].sort();
      if (permissions.length === 0) {
        throw new DomainError('invalid', 'AUTHZ_MANDATE_EMPTY', 'A mandate grants at least one permission');
      }
      const badResource = resources.find((resource) => !RESOURCE.test(resource));
      if (badResource !== undefined) {
        throw new DomainError(
          'invalid',
          'AUTHZ_MANDATE_RESOURCE_INVALID',
          `"${badResource}" is not a resource (type:id, or type:* for every object of a type)`,
        );
      }
      if (expiresAt) {
        const days = (expiresAt.getTime() - command.now.getTime()) / 86_400_000;
        if (days <= 0 || days > MAX_MANDATE_DURATION_DAYS) {
          throw new DomainError(
            'invalid',
            'AUTHZ_MANDATE_EXPIRY_INVALID',
            `expiresAt must be in the future, at most ${MAX_MANDATE_DURATION_DAYS} days away`,
          );
        }
      }
      const exceeding = uncovered(command.data.heldPermissions, permissions);
      if (exceeding.length > 0) {
        throw new DomainError(
          'forbidden',
          'AUTHZ_MANDATE_EXCEEDS_DELEGATOR',
          `A user can only delegate what they hold now; ${userId} does not hold: ${exceeding.join(', ')}`,
          { missing: exceeding },
        );
      }
      return [
        {
          type: 'authz.mandate.granted',
          data: {
            orgId,
            mandateId,
            userId,
            agentId,
            permissions,
            resources,
            expiresAt: expiresAt?.toISOString() ?? null,
            reason,
            grantedBy,
            grantedAt: at,
          },
        },
      ];
    }
    case 'NarrowMandate': {
      if (state.status === 'none') throw mandateNotFound();
      if (state.status === 'revoked') return [];
      const key = {
        orgId: state.orgId,
        mandateId: state.mandateId,
        userId: state.userId,
        agentId: state.agentId,
      };
      const stillHeld = new Set(command.data.stillHeld);
      const removed = state.permissions.filter((permission) => !stillHeld.has(permission));
      if (removed.length === 0) return [];
      const permissions = state.permissions.filter((permission) => stillHeld.has(permission));
      return [
        {
          type: 'authz.mandate.narrowed',
          data: { ...key, removedPermissions: removed, permissions, narrowedAt: at },
        },
        ...(permissions.length === 0
          ? [
              {
                type: 'authz.mandate.revoked' as const,
                data: { ...key, reason: 'nothing_left' as const, revokedAt: at },
              },
            ]
          : []),
      ];
    }
    case 'RevokeMandate': {
      if (state.status === 'none') throw mandateNotFound();
      if (state.status === 'revoked') return [];
      return [
        {
          type: 'authz.mandate.revoked',
          data: {
            orgId: state.orgId,
            mandateId: state.mandateId,
            userId: state.userId,
            agentId: state.agentId,
            reason: command.data.reason,
            revokedAt: at,
          },
        },
      ];
    }
    case 'SuspendMandate': {
      if (state.status === 'none') throw mandateNotFound();
      if (state.status !== 'active') return [];
      return [
        {
          type: 'authz.mandate.suspended',
          data: {
            orgId: state.orgId,
            mandateId: state.mandateId,
            userId: state.userId,
            agentId: state.agentId,
            reason: command.data.reason,
            suspendedAt: at,
          },
        },
      ];
    }
    case 'ResumeMandate': {
      if (state.status === 'none') throw mandateNotFound();
      if (state.status !== 'suspended') return [];
      return [
        {
          type: 'authz.mandate.resumed',
          data: {
            orgId: state.orgId,
            mandateId: state.mandateId,
            userId: state.userId,
            agentId: state.agentId,
            resumedAt: at,
          },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown mandate command');
  }
};

const evolve = (state: Mandate, event: MandateEvent): Mandate => {
  switch (event.type) {
    case 'authz.mandate.granted': {
      const { orgId, mandateId, userId, agentId, permissions, resources, expiresAt } = event.data;
      return { status: 'active', orgId, mandateId, userId, agentId, permissions, resources, expiresAt };
    }
    case 'authz.mandate.narrowed':
      return state.status === 'none' ? state : { ...state, permissions: event.data.permissions };
    case 'authz.mandate.revoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    case 'authz.mandate.suspended':
      return state.status === 'active' ? { ...state, status: 'suspended' } : state;
    case 'authz.mandate.resumed':
      return state.status === 'suspended' ? { ...state, status: 'active' } : state;
    default:
      return assertNever(event, 'Unknown mandate event');
  }
};

export const mandateDecider: Decider<Mandate, MandateCommand, MandateEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
