import { type OrganizationEvent } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type OrganizationCommand } from './organization.commands';

interface ApiKey {
  readonly name: string;
}

interface Domain {
  readonly verificationToken: string;
  readonly verified: boolean;
}

interface ExistingOrganization {
  readonly orgId: string;
  readonly name: string;
  readonly apiKeys: ReadonlyMap<string, ApiKey>;
  readonly domains: ReadonlyMap<string, Domain>;
}

export type Organization =
  | { readonly status: 'none' }
  | (ExistingOrganization & { readonly status: 'active' })
  | (ExistingOrganization & { readonly status: 'deleted' });

type ActiveOrganization = Extract<Organization, { status: 'active' }>;

export const MAX_ACTIVE_API_KEYS = 50;
export const MAX_DOMAINS = 100;

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** A domain as stored: lower case, no trailing dot; refused unless it is a valid DNS name with a TLD. */
export const normalizeDomain = (input: string): string => {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_NAME.test(domain)) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_DOMAIN_INVALID',
      `"${input}" is not a domain name (letters, digits and hyphens in dot-separated labels, e.g. example.com)`,
    );
  }
  return domain;
};

const domainNotFound = (domain: string) =>
  new DomainError('not_found', 'DIRECTORY_DOMAIN_NOT_FOUND', `The organization has no domain ${domain}`);

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

const decide = (command: OrganizationCommand, state: Organization): OrganizationEvent[] => {
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
      const { orgId, apiKeys, domains } = activeOrganization(state);
      return [
        ...[...apiKeys.keys()].map((keyId) => ({
          type: 'directory.api_key.revoked' as const,
          data: { orgId, keyId, revokedAt: at, reason: 'organization_deleted' as const },
        })),
        ...[...domains.keys()].map((domain) => ({
          type: 'directory.domain.removed' as const,
          data: { orgId, domain, removedAt: at, reason: 'organization_deleted' as const },
        })),
        { type: 'directory.organization.deleted', data: { orgId, deletedAt: at } },
      ];
    }
    case 'AddDomain': {
      const organization = activeOrganization(state);
      const domain = normalizeDomain(command.data.domain);
      if (organization.domains.has(domain)) {
        throw new DomainError(
          'conflict',
          'DIRECTORY_DOMAIN_EXISTS',
          `The organization already has ${domain}`,
        );
      }
      if (organization.domains.size >= MAX_DOMAINS) {
        throw new DomainError(
          'conflict',
          'DIRECTORY_DOMAIN_LIMIT_REACHED',
          `An organization can hold at most ${MAX_DOMAINS} domains`,
        );
      }
      return [
        {
          type: 'directory.domain.added',
          data: {
            orgId: organization.orgId,
            domain,
            verificationToken: command.data.verificationToken,
            addedAt: at,
          },
        },
      ];
    }
    case 'VerifyDomain': {
      const organization = activeOrganization(state);
      const domain = normalizeDomain(command.data.domain);
      const current = organization.domains.get(domain);
      if (!current) throw domainNotFound(domain);
      if (current.verified) return [];
      if (!command.data.txtRecords.some((record) => record.trim() === current.verificationToken)) {
        throw new DomainError(
          'precondition_failed',
          'DIRECTORY_DOMAIN_NOT_VERIFIED',
          `No TXT record proves ownership of ${domain} yet`,
          { expectedRecord: current.verificationToken },
        );
      }
      return [
        { type: 'directory.domain.verified', data: { orgId: organization.orgId, domain, verifiedAt: at } },
      ];
    }
    case 'RemoveDomain': {
      const organization = activeOrganization(state);
      const domain = normalizeDomain(command.data.domain);
      if (!organization.domains.has(domain)) throw domainNotFound(domain);
      return [
        {
          type: 'directory.domain.removed',
          data: { orgId: organization.orgId, domain, removedAt: at, reason: 'removed' },
        },
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

const evolve = (state: Organization, event: OrganizationEvent): Organization => {
  switch (event.type) {
    case 'directory.organization.created':
      return {
        status: 'active',
        orgId: event.data.orgId,
        name: event.data.name,
        apiKeys: new Map(),
        domains: new Map(),
      };
    case 'directory.organization.renamed':
      return state.status === 'none' ? state : { ...state, name: event.data.name };
    case 'directory.organization.deleted':
      return state.status === 'none'
        ? state
        : { ...state, status: 'deleted', apiKeys: new Map(), domains: new Map() };
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
    case 'directory.domain.added':
      return state.status === 'none'
        ? state
        : {
            ...state,
            domains: new Map(state.domains).set(event.data.domain, {
              verificationToken: event.data.verificationToken,
              verified: false,
            }),
          };
    case 'directory.domain.verified': {
      const domain = state.status === 'none' ? undefined : state.domains.get(event.data.domain);
      if (state.status === 'none' || !domain) return state;
      return {
        ...state,
        domains: new Map(state.domains).set(event.data.domain, { ...domain, verified: true }),
      };
    }
    case 'directory.domain.removed': {
      if (state.status === 'none') return state;
      const domains = new Map(state.domains);
      domains.delete(event.data.domain);
      return { ...state, domains };
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
