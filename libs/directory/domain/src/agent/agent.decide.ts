import { type AgentEvent, type LifecycleSource } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type Command } from '../command';

export interface AgentDetails {
  readonly externalId: string | null;
  readonly displayName: string;
  readonly description: string | null;
  readonly ownerIds: readonly string[];
  /** The SCIM document when an IdP provisions the agent; null when it is managed through the API. */
  readonly resource: Readonly<Record<string, unknown>> | null;
}

/**
 * `activeOwnerIds`: which of `ownerIds` are active users of the organization right now, as the
 * caller found them. An agent is only ever registered or reactivated under owners who are all active.
 */
export type RegisterAgent = Command<
  'RegisterAgent',
  AgentDetails & {
    orgId: string;
    agentId: string;
    directoryId: string | null;
    source: LifecycleSource;
    activeOwnerIds: readonly string[];
  }
>;
export type UpdateAgent = Command<
  'UpdateAgent',
  AgentDetails & { source: LifecycleSource; activeOwnerIds: readonly string[] }
>;
export type SuspendAgent = Command<
  'SuspendAgent',
  { reason: 'owner_left' | 'admin' | 'scim'; ownerId: string | null }
>;
export type ReactivateAgent = Command<'ReactivateAgent', { activeOwnerIds: readonly string[] }>;
export type DeleteAgent = Command<'DeleteAgent', { reason: 'admin' | 'scim' | 'organization_deleted' }>;

export type AgentCommand = RegisterAgent | UpdateAgent | SuspendAgent | ReactivateAgent | DeleteAgent;

interface ExistingAgent extends AgentDetails {
  readonly orgId: string;
  readonly agentId: string;
  readonly directoryId: string | null;
}

export type Agent =
  | { readonly status: 'none' }
  | (ExistingAgent & { readonly status: 'active' | 'suspended' })
  | { readonly status: 'deleted' };

type PresentAgent = Extract<Agent, { status: 'active' | 'suspended' }>;

export const MAX_AGENT_OWNERS = 20;

export const agentNotFound = () =>
  new DomainError('not_found', 'DIRECTORY_AGENT_NOT_FOUND', 'The agent does not exist');

const presentAgent = (state: Agent): PresentAgent => {
  if (state.status !== 'active' && state.status !== 'suspended') throw agentNotFound();
  return state;
};

const validDetails = (details: AgentDetails, activeOwnerIds: readonly string[]): AgentDetails => {
  const displayName = details.displayName.trim();
  if (displayName.length === 0 || displayName.length > 256) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_AGENT_NAME_INVALID',
      'displayName must have 1 to 256 characters',
    );
  }
  if (details.description !== null && details.description.length > 2000) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_AGENT_DESCRIPTION_INVALID',
      'description must have at most 2000 characters',
    );
  }
  const ownerIds = [...new Set(details.ownerIds)];
  if (ownerIds.length === 0 || ownerIds.length > MAX_AGENT_OWNERS) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_AGENT_OWNERS_INVALID',
      `An agent needs 1 to ${MAX_AGENT_OWNERS} owners, each a user of the organization`,
    );
  }
  assertOwnersActive(ownerIds, activeOwnerIds);
  return { ...details, displayName, ownerIds };
};

const assertOwnersActive = (ownerIds: readonly string[], activeOwnerIds: readonly string[]): void => {
  const inactive = ownerIds.filter((id) => !activeOwnerIds.includes(id));
  if (inactive.length > 0) {
    throw new DomainError(
      'precondition_failed',
      'DIRECTORY_AGENT_OWNER_INACTIVE',
      `Every owner of an active agent must be an active user of the organization: ${inactive.join(', ')} is not`,
      { inactiveOwnerIds: inactive },
    );
  }
};

const changedDetails = (before: AgentDetails, after: AgentDetails): string[] =>
  (['externalId', 'displayName', 'description', 'ownerIds', 'resource'] as const).filter(
    (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
  );

const decide = (command: AgentCommand, state: Agent): AgentEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'RegisterAgent': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'DIRECTORY_AGENT_EXISTS', 'The agent already exists');
      }
      const { orgId, agentId, directoryId, source, activeOwnerIds } = command.data;
      const details = validDetails(command.data, activeOwnerIds);
      return [
        {
          type: 'directory.agent.registered',
          data: {
            orgId,
            agentId,
            directoryId,
            externalId: details.externalId,
            displayName: details.displayName,
            description: details.description,
            ownerIds: [...details.ownerIds],
            resource: details.resource === null ? null : { ...details.resource },
            source,
            registeredAt: at,
          },
        },
      ];
    }
    case 'UpdateAgent': {
      const agent = presentAgent(state);
      const { source, activeOwnerIds } = command.data;
      // A suspended agent may be edited (e.g. to replace an owner who left) without its owners being active.
      const details =
        agent.status === 'active'
          ? validDetails(command.data, activeOwnerIds)
          : validDetails(command.data, command.data.ownerIds);
      const changed = changedDetails(agent, details);
      if (changed.length === 0) return [];
      return [
        {
          type: 'directory.agent.updated',
          data: {
            orgId: agent.orgId,
            agentId: agent.agentId,
            directoryId: agent.directoryId,
            externalId: details.externalId,
            displayName: details.displayName,
            description: details.description,
            ownerIds: [...details.ownerIds],
            resource: details.resource === null ? null : { ...details.resource },
            changed,
            source,
          },
        },
      ];
    }
    case 'SuspendAgent': {
      const agent = presentAgent(state);
      if (agent.status === 'suspended') return [];
      return [
        {
          type: 'directory.agent.suspended',
          data: {
            orgId: agent.orgId,
            agentId: agent.agentId,
            reason: command.data.reason,
            ownerId: command.data.ownerId,
            suspendedAt: at,
          },
        },
      ];
    }
    case 'ReactivateAgent': {
      const agent = presentAgent(state);
      if (agent.status === 'active') return [];
      assertOwnersActive(agent.ownerIds, command.data.activeOwnerIds);
      return [
        {
          type: 'directory.agent.reactivated',
          data: { orgId: agent.orgId, agentId: agent.agentId, reactivatedAt: at },
        },
      ];
    }
    case 'DeleteAgent': {
      const agent = presentAgent(state);
      return [
        {
          type: 'directory.agent.deleted',
          data: { orgId: agent.orgId, agentId: agent.agentId, reason: command.data.reason, deletedAt: at },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown agent command');
  }
};

const evolve = (state: Agent, event: AgentEvent): Agent => {
  switch (event.type) {
    case 'directory.agent.registered': {
      const { orgId, agentId, directoryId, externalId, displayName, description, ownerIds, resource } =
        event.data;
      return {
        status: 'active',
        resource,
        orgId,
        agentId,
        directoryId,
        externalId,
        displayName,
        description,
        ownerIds,
      };
    }
    case 'directory.agent.updated': {
      if (state.status !== 'active' && state.status !== 'suspended') return state;
      const { externalId, displayName, description, ownerIds, resource } = event.data;
      return { ...state, externalId, displayName, description, ownerIds, resource };
    }
    case 'directory.agent.suspended':
      return state.status === 'active' ? { ...state, status: 'suspended' } : state;
    case 'directory.agent.reactivated':
      return state.status === 'suspended' ? { ...state, status: 'active' } : state;
    case 'directory.agent.deleted':
      return { status: 'deleted' };
    default:
      return assertNever(event, 'Unknown agent event');
  }
};

export const agentDecider: Decider<Agent, AgentCommand, AgentEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
