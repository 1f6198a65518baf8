import { type OrganizationEvent } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type OrganizationCommand } from './organization.commands';

interface ApiKey {
  readonly name: string;
}

interface ExistingOrganization {
  readonly orgId: string;
  readonly name: string;
  readonly apiKeys: ReadonlyMap<string, ApiKey>;
}

export type Organization =
  | { readonly status: 'none' }
  | (ExistingOrganization & { readonly status: 'active' })
  | (ExistingOrganization & { readonly status: 'deleted' });

type ActiveOrganization = Extract<Organization, { status: 'active' }>;

export const MAX_ACTIVE_API_KEYS = 50;

const notFound = () =>
  new DomainError('not_found', 'DIRECTORY_ORGANIZATION_NOT_FOUND', 'The organization does not exist');

const activeOrganization = (state: Organization): ActiveOrganization => {
  if (state.status !== 'active') throw notFound();
  return state;
};

const validName = (name: string): string => {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_ORGANIZATION_NAME_INVALID',
      'The name must have 1 to 200 characters',
    );
  }
  return trimmed;
};

const activeKey = (state: ActiveOrganization, keyId: string): ApiKey => {
  const key = state.apiKeys.get(keyId);
  if (!key)
    throw new DomainError('not_found', 'DIRECTORY_API_KEY_NOT_FOUND', 'No active API key has this id');
  return key;
};

export const decide = (command: OrganizationCommand, state: Organization): OrganizationEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateOrganization': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'DIRECTORY_ORGANIZATION_EXISTS', 'The organization already exists');
      }
      const { orgId, name } = command.data;
      return [
        { type: 'directory.organization.created', data: { orgId, name: validName(name), createdAt: at } },
      ];
    }
    case 'RenameOrganization': {
      const organization = activeOrganization(state);
      const name = validName(command.data.name);
      if (name === organization.name) return [];
      return [{ type: 'directory.organization.renamed', data: { orgId: organization.orgId, name } }];
    }
    case 'DeleteOrganization': {
      if (state.status === 'deleted') return [];
      const { orgId, apiKeys } = activeOrganization(state);
      return [
        ...[...apiKeys.keys()].map((keyId) => ({
          type: 'directory.api_key.revoked' as const,
          data: { orgId, keyId, revokedAt: at, reason: 'organization_deleted' as const },
        })),
        { type: 'directory.organization.deleted', data: { orgId, deletedAt: at } },
      ];
    }
    case 'IssueApiKey': {
      const organization = activeOrganization(state);
      if (organization.apiKeys.size >= MAX_ACTIVE_API_KEYS) {
        throw new DomainError(
          'conflict',
          'DIRECTORY_API_KEY_LIMIT_REACHED',
          `An organization can hold at most ${MAX_ACTIVE_API_KEYS} active API keys; revoke one first`,
        );
      }
      return [
        {
          type: 'directory.api_key.issued',
          data: { orgId: organization.orgId, ...command.data, issuedAt: at },
        },
      ];
    }
    case 'RevokeApiKey': {
      const organization = activeOrganization(state);
      activeKey(organization, command.data.keyId);
      return [
        {
          type: 'directory.api_key.revoked',
          data: { orgId: organization.orgId, keyId: command.data.keyId, revokedAt: at, reason: 'revoked' },
        },
      ];
    }
    case 'RotateApiKey': {
      const organization = activeOrganization(state);
      const { keyId, newKeyId, secretHash, lastFour } = command.data;
      const { name } = activeKey(organization, keyId);
      return [
        {
          type: 'directory.api_key.issued',
          data: { orgId: organization.orgId, keyId: newKeyId, name, secretHash, lastFour, issuedAt: at },
        },
        {
          type: 'directory.api_key.revoked',
          data: { orgId: organization.orgId, keyId, revokedAt: at, reason: 'rotated' },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown organization command');
  }
};

export const evolve = (state: Organization, event: OrganizationEvent): Organization => {
  switch (event.type) {
    case 'directory.organization.created':
      return { status: 'active', orgId: event.data.orgId, name: event.data.name, apiKeys: new Map() };
    case 'directory.organization.renamed':
      return state.status === 'none' ? state : { ...state, name: event.data.name };
    case 'directory.organization.deleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted', apiKeys: new Map() };
    case 'directory.api_key.issued':
      return state.status === 'none'
        ? state
        : { ...state, apiKeys: new Map(state.apiKeys).set(event.data.keyId, { name: event.data.name }) };
    case 'directory.api_key.revoked': {
      if (state.status === 'none') return state;
      const apiKeys = new Map(state.apiKeys);
      apiKeys.delete(event.data.keyId);
      return { ...state, apiKeys };
    }
    default:
      return assertNever(event, 'Unknown organization event');
  }
};

export const organizationDecider: Decider<Organization, OrganizationCommand, OrganizationEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
