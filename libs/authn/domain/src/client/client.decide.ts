import { type ClientEvent } from '@mandate/contracts';
import { assertNever, type Decider, DomainError } from '@mandate/kernel';

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}

export type ClientKind = 'application' | 'agent' | 'service';
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'private_key_jwt' | 'none';

export const AUTHORIZATION_CODE = 'authorization_code';
export const REFRESH_TOKEN = 'refresh_token';
export const CLIENT_CREDENTIALS = 'client_credentials';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const GRANT_TYPES = [AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS, TOKEN_EXCHANGE];

type Jwks = { keys: Record<string, unknown>[] };

export interface ClientSettings {
  readonly name: string;
  readonly kind: ClientKind;
  readonly agentId: string | null;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly secretHash: string | null;
  readonly jwks: Jwks | null;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  /** Where logout tokens are posted (OpenID Connect Back-Channel Logout); none when absent. */
  readonly backchannelLogoutUri?: string | null;
  readonly backchannelLogoutSessionRequired?: boolean;
}

export type RegisterClient = Command<'RegisterClient', ClientSettings & { orgId: string; clientId: string }>;
export type RotateClientCredentials = Command<
  'RotateClientCredentials',
  { secretHash: string | null; jwks: Jwks | null }
>;
export type DeleteClient = Command<'DeleteClient', Record<string, never>>;
export type ClientCommand = RegisterClient | RotateClientCredentials | DeleteClient;

export type Client =
  | { readonly status: 'none' }
  | (ClientSettings & {
      readonly status: 'active' | 'deleted';
      readonly orgId: string;
      readonly clientId: string;
    });

export const clientNotFound = () =>
  new DomainError('not_found', 'AUTHN_CLIENT_NOT_FOUND', 'The organization has no such client');

const invalid = (code: string, message: string) => new DomainError('invalid', code, message);

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

/** Redirect URIs are compared exactly; they must be https (loopback http for native and dev apps), without fragment. */
const validRedirectUri = (uri: string): string => {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('AUTHN_REDIRECT_URI_INVALID', `${uri} is not a URL`);
  }
  if (url.hash !== '' || uri.includes('#'))
    throw invalid('AUTHN_REDIRECT_URI_INVALID', `${uri} has a fragment`);
  if (url.protocol !== 'https:' && !LOOPBACK.test(uri)) {
    throw invalid('AUTHN_REDIRECT_URI_INVALID', `${uri} must use https (http only on loopback)`);
  }
  return uri;
};

/** A back-channel logout URI: https (loopback http for development), no fragment (Back-Channel Logout §2.2). */
const validBackchannelLogoutUri = (uri: string): string => {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID', `${uri} is not a URL`);
  }
  if (url.hash !== '' || uri.includes('#'))
    throw invalid('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID', `${uri} has a fragment`);
  if (url.protocol !== 'https:' && !LOOPBACK.test(uri))
    throw invalid('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID', `${uri} must use https (http only on loopback)`);
  return uri;
};

const validSettings = (settings: ClientSettings): ClientSettings => {
  const name = settings.name.trim();
  if (name.length === 0 || name.length > 200)
    throw invalid('AUTHN_CLIENT_NAME_INVALID', 'A name has 1 to 200 characters');
  const grantTypes = [...new Set(settings.grantTypes)];
  const unknown = grantTypes.filter((grant) => !GRANT_TYPES.includes(grant));
  if (grantTypes.length === 0 || unknown.length > 0) {
    throw invalid(
      'AUTHN_GRANT_TYPE_INVALID',
      `Grant types are among ${GRANT_TYPES.join(', ')}; not ${unknown.join(', ')}`,
    );
  }
  if (settings.kind === 'agent') {
    if (settings.agentId === null)
      throw invalid('AUTHN_AGENT_REQUIRED', "An agent's credentials name the agent");
    if (grantTypes.some((grant) => grant !== CLIENT_CREDENTIALS && grant !== TOKEN_EXCHANGE)) {
      throw invalid('AUTHN_GRANT_TYPE_INVALID', 'An agent uses client credentials and token exchange only');
    }
    if (settings.tokenEndpointAuthMethod === 'none')
      throw invalid('AUTHN_AUTH_METHOD_INVALID', 'An agent authenticates itself');
  } else if (settings.agentId !== null) {
    throw invalid('AUTHN_AGENT_UNEXPECTED', 'Only agent credentials name an agent');
  }
  const redirectUris = settings.redirectUris.map(validRedirectUri);
  if (grantTypes.includes(AUTHORIZATION_CODE) && redirectUris.length === 0) {
    throw invalid(
      'AUTHN_REDIRECT_URI_REQUIRED',
      'The authorization code grant needs at least one redirect URI',
    );
  }
  if (grantTypes.includes(REFRESH_TOKEN) && !grantTypes.includes(AUTHORIZATION_CODE)) {
    throw invalid('AUTHN_GRANT_TYPE_INVALID', 'Refresh tokens come with the authorization code grant');
  }
  const { tokenEndpointAuthMethod: method } = settings;
  if (
    method === 'none' &&
    grantTypes.some((grant) => grant !== AUTHORIZATION_CODE && grant !== REFRESH_TOKEN)
  ) {
    throw invalid(
      'AUTHN_AUTH_METHOD_INVALID',
      'A public client (no authentication) can only use the authorization code grant',
    );
  }
  if (method === 'client_secret_basic' && settings.secretHash === null) {
    throw invalid('AUTHN_AUTH_METHOD_INVALID', 'client_secret_basic needs a secret');
  }
  if (method === 'private_key_jwt' && (settings.jwks === null || settings.jwks.keys.length === 0)) {
    throw invalid(
      'AUTHN_AUTH_METHOD_INVALID',
      'private_key_jwt needs the public keys (jwks) the client signs with',
    );
  }
  if (settings.jwks?.keys.some((key) => 'd' in key || 'k' in key)) {
    throw invalid('AUTHN_JWKS_INVALID', 'jwks must hold public keys only');
  }
  if (settings.audiences.length === 0) {
    throw invalid('AUTHN_AUDIENCE_REQUIRED', 'Name at least one resource server the tokens are for');
  }
  const {
    backchannelLogoutUri = null,
    backchannelLogoutSessionRequired: _sessionRequired,
    ...rest
  } = settings;
  if (backchannelLogoutUri !== null) {
    validBackchannelLogoutUri(backchannelLogoutUri);
    if (!grantTypes.includes(AUTHORIZATION_CODE))
      throw invalid(
        'AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID',
        'Only clients people sign in to (authorization code) receive logout tokens',
      );
  }
  return {
    ...rest,
    name,
    grantTypes,
    redirectUris,
    scopes: [...new Set(settings.scopes)].sort(),
    ...(backchannelLogoutUri !== null && {
      backchannelLogoutUri,
      backchannelLogoutSessionRequired: settings.backchannelLogoutSessionRequired ?? true,
    }),
  };
};

const decide = (command: ClientCommand, state: Client): ClientEvent[] => {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'RegisterClient': {
      if (state.status !== 'none')
        throw new DomainError('conflict', 'AUTHN_CLIENT_EXISTS', 'The client already exists');
      const { orgId, clientId } = command.data;
      const settings = validSettings(command.data);
      return [
        {
          type: 'authn.client.registered',
          data: {
            orgId,
            clientId,
            ...settings,
            redirectUris: [...settings.redirectUris],
            grantTypes: [...settings.grantTypes],
            scopes: [...settings.scopes],
            audiences: [...settings.audiences],
            registeredAt: at,
          },
        },
      ];
    }
    case 'RotateClientCredentials': {
      if (state.status !== 'active') throw clientNotFound();
      validSettings({ ...state, ...command.data });
      return [
        {
          type: 'authn.client.credentials_rotated',
          data: { orgId: state.orgId, clientId: state.clientId, ...command.data, rotatedAt: at },
        },
      ];
    }
    case 'DeleteClient': {
      if (state.status === 'deleted') return [];
      if (state.status !== 'active') throw clientNotFound();
      return [
        {
          type: 'authn.client.deleted',
          data: { orgId: state.orgId, clientId: state.clientId, deletedAt: at },
        },
      ];
    }
    default:
      return assertNever(command, 'Unknown client command');
  }
};

const evolve = (state: Client, event: ClientEvent): Client => {
  switch (event.type) {
    case 'authn.client.registered': {
      const { registeredAt: _registeredAt, ...client } = event.data;
      return { status: 'active', ...client };
    }
    case 'authn.client.credentials_rotated':
      return state.status === 'none'
        ? state
        : { ...state, secretHash: event.data.secretHash, jwks: event.data.jwks };
    case 'authn.client.deleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default:
      return assertNever(event, 'Unknown client event');
  }
};

export const clientDecider: Decider<Client, ClientCommand, ClientEvent> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
