import {
  type CustomAttributeDefinition,
  type DirectoryEvent,
  type DirectoryProvider,
} from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import { type Command } from '../command';

export type DirectoryKind = 'scim' | 'hris';

export const SCIM_PROVIDERS: readonly DirectoryProvider[] = [
  'generic_scim',
  'okta',
  'entra_id',
  'google',
  'onelogin',
  'jumpcloud',
];
export const HRIS_PROVIDERS: readonly DirectoryProvider[] = [
  'bamboohr',
  'rippling',
  'workday',
  'generic_hris',
];

export const kindOfProvider = (provider: DirectoryProvider): DirectoryKind =>
  SCIM_PROVIDERS.includes(provider) ? 'scim' : 'hris';

interface TokenData {
  tokenId: string;
  secretHash: string;
  lastFour: string;
}

export type CreateDirectory = Command<
  'CreateDirectory',
  {
    orgId: string;
    directoryId: string;
    name: string;
    provider: DirectoryProvider;
    /** An active SCIM directory of the same organization, as the caller checked. */
    linkedDirectoryId?: string | null;
  }
>;
export type RenameDirectory = Command<'RenameDirectory', { name: string }>;
export type IssueDirectoryToken = Command<'IssueDirectoryToken', TokenData>;
export type RotateDirectoryToken = Command<'RotateDirectoryToken', { tokenId: string; newToken: TokenData }>;
export type RevokeDirectoryToken = Command<'RevokeDirectoryToken', { tokenId: string }>;
export type SetSigningSecret = Command<'SetSigningSecret', { secretId: string; encryptedSecret: string }>;
export type DeclareAttributes = Command<
  'DeclareAttributes',
  {
    resourceType: 'User' | 'Group';
    schemaUrn: string;
    attributes: readonly CustomAttributeDefinition[];
  }
>;
export type DeleteDirectory = Command<'DeleteDirectory', Record<string, never>>;

export type DirectoryCommand =
  | CreateDirectory
  | RenameDirectory
  | IssueDirectoryToken
  | RotateDirectoryToken
  | RevokeDirectoryToken
  | SetSigningSecret
  | DeclareAttributes
  | DeleteDirectory;

interface ExistingDirectory {
  readonly orgId: string;
  readonly directoryId: string;
  readonly name: string;
  readonly kind: DirectoryKind;
  readonly provider: DirectoryProvider;
  readonly activeTokens: ReadonlySet<string>;
  readonly signingSecretId: string | null;
  readonly linkedDirectoryId: string | null;
}

export type Directory =
  | { readonly status: 'none' }
  | (ExistingDirectory & { readonly status: 'active' })
  | (ExistingDirectory & { readonly status: 'deleted' });

type ActiveDirectory = Extract<Directory, { status: 'active' }>;

export const MAX_DIRECTORY_TOKENS = 5;

export const directoryNotFound = () =>
  new DomainError('not_found', 'DIRECTORY_DIRECTORY_NOT_FOUND', 'The directory does not exist');

const activeDirectory = (state: Directory): ActiveDirectory => {
  if (state.status !== 'active') throw directoryNotFound();
  return state;
};

const validName = (name: string): string => {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_DIRECTORY_NAME_INVALID',
      'The name must have 1 to 200 characters',
    );
  }
  return trimmed;
};

const requireKind = (directory: ActiveDirectory, kind: DirectoryKind, what: string): void => {
  if (directory.kind !== kind) {
    throw new DomainError(
      'invalid',
      'DIRECTORY_DIRECTORY_KIND_MISMATCH',
      `${what} belongs to ${kind.toUpperCase()} directories; this one is ${directory.kind.toUpperCase()}`,
    );
  }
};

const activeToken = (directory: ActiveDirectory, tokenId: string): void => {
  if (!directory.activeTokens.has(tokenId)) {
    throw new DomainError('not_found', 'DIRECTORY_TOKEN_NOT_FOUND', 'No active token has this id');
  }
};

/** Where custom attributes of a directory may live: our own URN space, never a standard schema's. */
const CUSTOM_SCHEMA_URN = /^urn:[a-z0-9][a-z0-9-]{0,31}:[\x21-\x7e]{1,260}$/i;
const RESERVED_SCHEMA_PREFIX = 'urn:ietf:params:scim:';

const decide = (command: DirectoryCommand, state: Directory): DirectoryEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateDirectory': {
      if (state.status !== 'none') {
        throw new DomainError('conflict', 'DIRECTORY_DIRECTORY_EXISTS', 'The directory already exists');
      }
      const { orgId, directoryId, name, provider, linkedDirectoryId = null } = command.data;
      if (linkedDirectoryId !== null && kindOfProvider(provider) !== 'hris') {
        throw new DomainError(
          'invalid',
          'DIRECTORY_LINK_INVALID',
          'Only an HRIS directory can feed another directory',
        );
      }
      return [
        {
          type: 'directory.directory.created',
          data: {
            orgId,
            directoryId,
            name: validName(name),
            kind: kindOfProvider(provider),
            provider,
            linkedDirectoryId,
            createdAt: at,
          },
        },
      ];
    }
    case 'RenameDirectory': {
      const directory = activeDirectory(state);
      const name = validName(command.data.name);
      if (name === directory.name) return [];
      return [
        {
          type: 'directory.directory.renamed',
          data: { orgId: directory.orgId, directoryId: directory.directoryId, name },
        },
      ];
    }
    case 'IssueDirectoryToken': {
      const directory = activeDirectory(state);
      requireKind(directory, 'scim', 'A SCIM bearer token');
      if (directory.activeTokens.size >= MAX_DIRECTORY_TOKENS) {
        throw new DomainError(
          'conflict',
          'DIRECTORY_TOKEN_LIMIT_REACHED',
          `A directory can hold at most ${MAX_DIRECTORY_TOKENS} active tokens; revoke one first`,
        );
      }
      return [
        {
          type: 'directory.directory.token_issued',
          data: { orgId: directory.orgId, directoryId: directory.directoryId, ...command.data, issuedAt: at },
        },
      ];
    }
    case 'RotateDirectoryToken': {
      const directory = activeDirectory(state);
      activeToken(directory, command.data.tokenId);
      const key = { orgId: directory.orgId, directoryId: directory.directoryId };
      return [
        {
          type: 'directory.directory.token_issued',
          data: { ...key, ...command.data.newToken, issuedAt: at },
        },
        {
          type: 'directory.directory.token_revoked',
          data: { ...key, tokenId: command.data.tokenId, revokedAt: at, reason: 'rotated' },
        },
      ];
    }
    case 'RevokeDirectoryToken': {
      const directory = activeDirectory(state);
      activeToken(directory, command.data.tokenId);
      return [
        {
          type: 'directory.directory.token_revoked',
          data: {
            orgId: directory.orgId,
            directoryId: directory.directoryId,
            tokenId: command.data.tokenId,
            revokedAt: at,
            reason: 'revoked',
          },
        },
      ];
    }
    case 'SetSigningSecret': {
      const directory = activeDirectory(state);
      requireKind(directory, 'hris', 'A webhook signing secret');
      return [
        {
          type: 'directory.directory.signing_secret_set',
          data: { orgId: directory.orgId, directoryId: directory.directoryId, ...command.data, setAt: at },
        },
      ];
    }
    case 'DeclareAttributes': {
      const directory = activeDirectory(state);
      requireKind(directory, 'scim', 'Custom SCIM attributes');
      const { resourceType, schemaUrn, attributes } = command.data;
      if (!CUSTOM_SCHEMA_URN.test(schemaUrn) || schemaUrn.toLowerCase().startsWith(RESERVED_SCHEMA_PREFIX)) {
        throw new DomainError(
          'invalid',
          'DIRECTORY_SCHEMA_URN_INVALID',
          `"${schemaUrn}" must be a URN of your own (urn:<namespace>:…), outside urn:ietf:params:scim:`,
        );
      }
      const names = attributes.map((attribute) => attribute.name.toLowerCase());
      if (new Set(names).size !== names.length) {
        throw new DomainError(
          'invalid',
          'DIRECTORY_ATTRIBUTE_DUPLICATE',
          'Attribute names must be unique (case-insensitively)',
        );
      }
      return [
        {
          type: 'directory.directory.attributes_declared',
          data: {
            orgId: directory.orgId,
            directoryId: directory.directoryId,
            resourceType,
            schemaUrn,
            attributes: [...attributes],
          },
        },
      ];
    }
    case 'DeleteDirectory': {
      if (state.status === 'deleted') return [];
      const directory = activeDirectory(state);
      const key = { orgId: directory.orgId, directoryId: directory.directoryId };
      return [
        ...[...directory.activeTokens].map((tokenId) => ({
          type: 'directory.directory.token_revoked' as const,
          data: { ...key, tokenId, revokedAt: at, reason: 'directory_deleted' as const },
        })),
        { type: 'directory.directory.deleted', data: { ...key, deletedAt: at } },
      ];
    }
    default:
      return assertNever(command, 'Unknown directory command');
  }
};

const evolve = (state: Directory, event: DirectoryEvent): Directory => {
  switch (event.type) {
    case 'directory.directory.created': {
      const { orgId, directoryId, name, kind, provider, linkedDirectoryId } = event.data;
      return {
        linkedDirectoryId,
        status: 'active',
        orgId,
        directoryId,
        name,
        kind,
        provider,
        activeTokens: new Set(),
        signingSecretId: null,
      };
    }
    case 'directory.directory.renamed':
      return state.status === 'none' ? state : { ...state, name: event.data.name };
    case 'directory.directory.token_issued':
      return state.status === 'none'
        ? state
        : { ...state, activeTokens: new Set(state.activeTokens).add(event.data.tokenId) };
    case 'directory.directory.token_revoked': {
      if (state.status === 'none') return state;
      const activeTokens = new Set(state.activeTokens);
      activeTokens.delete(event.data.tokenId);
      return { ...state, activeTokens };
    }
    case 'directory.directory.signing_secret_set':
      return state.status === 'none' ? state : { ...state, signingSecretId: event.data.secretId };
    case 'directory.directory.attributes_declared':
      return state;
    case 'directory.directory.deleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted', activeTokens: new Set() };
    default:
      return assertNever(event, 'Unknown directory event');
  }
};

export const directoryDecider: Decider<Directory, DirectoryCommand, DirectoryEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
