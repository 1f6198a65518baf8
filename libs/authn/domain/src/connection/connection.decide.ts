import {
  type ConnectionEvent,
  type ConnectionKind,
  type ConnectionPolicy,
  type OidcConnectionSettings,
  type SamlConnectionSettings,
} from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';
import {
  type ConnectionSettings,
  type ConnectionSettingsInput,
  type SettingError,
  type SettingsEnvironment,
  settingsInvalid,
  validateConnectionSettings,
} from './connection-settings';

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}

export type CreateConnection = Command<
  'CreateConnection',
  ConnectionSettingsInput & {
    readonly orgId: string;
    readonly connectionId: string;
    readonly environment: SettingsEnvironment;
  }
>;
/** The whole intended settings (the caller merges a partial change into the current ones). */
export type UpdateConnection = Command<
  'UpdateConnection',
  Omit<ConnectionSettingsInput, 'kind'> & {
    readonly environment: SettingsEnvironment;
    /** The organization's verified domains: an enabled connection may only serve those. */
    readonly verifiedDomains: readonly string[];
  }
>;
export type RecordConnectionTest = Command<
  'RecordConnectionTest',
  {
    readonly settingsVersion: number;
    readonly ok: boolean;
    readonly reason: string | null;
    readonly message: string | null;
  }
>;
export type EnableConnection = Command<'EnableConnection', { readonly verifiedDomains: readonly string[] }>;
export type DisableConnection = Command<'DisableConnection', Record<string, never>>;
export type DeleteConnection = Command<'DeleteConnection', Record<string, never>>;
export type ConnectionCommand =
  | CreateConnection
  | UpdateConnection
  | RecordConnectionTest
  | EnableConnection
  | DisableConnection
  | DeleteConnection;

export interface ConnectionTestOutcome {
  readonly settingsVersion: number;
  readonly ok: boolean;
}

export type Connection =
  | { readonly status: 'none' }
  | {
      readonly status: 'disabled' | 'enabled' | 'deleted';
      readonly orgId: string;
      readonly connectionId: string;
      readonly kind: ConnectionKind;
      readonly name: string;
      readonly saml: SamlConnectionSettings | null;
      readonly oidc: OidcConnectionSettings | null;
      readonly policy: ConnectionPolicy;
      readonly settingsVersion: number;
      readonly lastTest: ConnectionTestOutcome | null;
    };

export const connectionNotFound = () =>
  new DomainError('not_found', 'AUTHN_CONNECTION_NOT_FOUND', 'The organization has no such connection');

/** JSON with object keys sorted: state folded from stored events need not keep the key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
const same = (left: unknown, right: unknown): boolean => canonical(left) === canonical(right);

const POLICY_FIELDS = ['attributeMapping', 'groupRoleMappings', 'jit', 'mfa', 'domains'] as const;

const unverifiedDomains = (domains: readonly string[], verified: readonly string[]): SettingError[] => {
  const known = new Set(verified);
  return domains.flatMap((domain, index) =>
    known.has(domain)
      ? []
      : [
          {
            pointer: `#/domains/${index}`,
            code: 'AUTHN_CONNECTION_DOMAIN_NOT_VERIFIED',
            detail: `${domain} is not a verified domain of the organization`,
          },
        ],
  );
};

const settingsOf = (settings: ConnectionSettings) => ({
  name: settings.name,
  saml: settings.saml,
  oidc: settings.oidc,
  policy: settings.policy,
});

const decide = (command: ConnectionCommand, state: Connection): ConnectionEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateConnection': {
      if (state.status !== 'none')
        throw new DomainError('conflict', 'AUTHN_CONNECTION_EXISTS', 'The connection already exists');
      const { orgId, connectionId, kind, environment } = command.data;
      const settings = validateConnectionSettings(command.data, environment, command.now);
      return [
        {
          type: 'authn.connection.created',
          data: { orgId, connectionId, kind, ...settingsOf(settings), settingsVersion: 1, createdAt: at },
        },
      ];
    }
    case 'UpdateConnection': {
      if (state.status === 'none' || state.status === 'deleted') throw connectionNotFound();
      const { environment, verifiedDomains, ...input } = command.data;
      const settings = validateConnectionSettings({ ...input, kind: state.kind }, environment, command.now);
      const protocolChanged = !same(settings.saml, state.saml) || !same(settings.oidc, state.oidc);
      const changed = [
        ...(settings.name === state.name ? [] : ['name']),
        ...(protocolChanged ? [state.kind] : []),
        ...POLICY_FIELDS.filter((field) => !same(settings.policy[field], state.policy[field])),
      ];
      if (changed.length === 0) return [];
      if (state.status === 'enabled') {
        const unverified = unverifiedDomains(settings.policy.domains, verifiedDomains);
        if (unverified.length > 0) throw settingsInvalid(unverified, 'precondition_failed');
      }
      const { orgId, connectionId } = state;
      const updated: ConnectionEvent = {
        type: 'authn.connection.updated',
        data: {
          orgId,
          connectionId,
          ...settingsOf(settings),
          settingsVersion: state.settingsVersion + (protocolChanged ? 1 : 0),
          changed,
          updatedAt: at,
        },
      };
      // New protocol settings are untested: an enabled connection stops until they pass a test.
      return state.status === 'enabled' && protocolChanged
        ? [
            updated,
            {
              type: 'authn.connection.disabled',
              data: { orgId, connectionId, reason: 'settings_changed', disabledAt: at },
            },
          ]
        : [updated];
    }
    case 'RecordConnectionTest': {
      if (state.status === 'none' || state.status === 'deleted') throw connectionNotFound();
      const { settingsVersion, ok, reason, message } = command.data;
      if (settingsVersion !== state.settingsVersion)
        throw new DomainError(
          'conflict',
          'AUTHN_CONNECTION_CHANGED',
          'The settings changed while they were tested; test again',
        );
      return [
        {
          type: 'authn.connection.tested',
          data: {
            orgId: state.orgId,
            connectionId: state.connectionId,
            settingsVersion,
            ok,
            reason: ok ? null : (reason ?? 'test_failed'),
            message,
            testedAt: at,
          },
        },
      ];
    }
    case 'EnableConnection': {
      if (state.status === 'none' || state.status === 'deleted') throw connectionNotFound();
      if (state.status === 'enabled') return [];
      const { lastTest, settingsVersion } = state;
      if (lastTest?.settingsVersion !== settingsVersion)
        throw new DomainError(
          'precondition_failed',
          'AUTHN_CONNECTION_NOT_TESTED',
          'Test the current settings (POST …/test) before enabling the connection',
        );
      if (!lastTest.ok)
        throw new DomainError(
          'precondition_failed',
          'AUTHN_CONNECTION_TEST_FAILED',
          'The last test of the current settings failed; fix them and test again',
        );
      const unverified = unverifiedDomains(state.policy.domains, command.data.verifiedDomains);
      if (unverified.length > 0) throw settingsInvalid(unverified, 'precondition_failed');
      return [
        {
          type: 'authn.connection.enabled',
          data: { orgId: state.orgId, connectionId: state.connectionId, settingsVersion, enabledAt: at },
        },
      ];
    }
    case 'DisableConnection': {
      if (state.status === 'none' || state.status === 'deleted') throw connectionNotFound();
      if (state.status === 'disabled') return [];
      return [
        {
          type: 'authn.connection.disabled',
          data: { orgId: state.orgId, connectionId: state.connectionId, reason: 'admin', disabledAt: at },
        },
      ];
    }
    case 'DeleteConnection': {
      if (state.status === 'deleted') return [];
      if (state.status === 'none') throw connectionNotFound();
      return [
        {
          type: 'authn.connection.deleted',
          data: { orgId: state.orgId, connectionId: state.connectionId, deletedAt: at },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown connection command');
  }
};

const evolve = (state: Connection, event: ConnectionEvent): Connection => {
  switch (event.type) {
    case 'authn.connection.created': {
      const { createdAt: _createdAt, ...connection } = event.data;
      return { status: 'disabled', ...connection, lastTest: null };
    }
    case 'authn.connection.updated': {
      if (state.status === 'none') return state;
      const { name, saml, oidc, policy, settingsVersion } = event.data;
      return { ...state, name, saml, oidc, policy, settingsVersion };
    }
    case 'authn.connection.tested':
      return state.status === 'none'
        ? state
        : { ...state, lastTest: { settingsVersion: event.data.settingsVersion, ok: event.data.ok } };
    case 'authn.connection.enabled':
      return state.status === 'none' ? state : { ...state, status: 'enabled' };
    case 'authn.connection.disabled':
      return state.status === 'none' ? state : { ...state, status: 'disabled' };
    case 'authn.connection.deleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default:
      return assertNever(event, 'Unknown connection event');
  }
};

export const connectionDecider: Decider<Connection, ConnectionCommand, ConnectionEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
