import { type ClientEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import {
  AUTHORIZATION_CODE,
  CLIENT_CREDENTIALS,
  type ClientCommand,
  clientDecider,
  type ClientSettings,
  REFRESH_TOKEN,
  TOKEN_EXCHANGE,
} from './client.decide';

const given = deciderSpecification(clientDecider);
const key = { orgId: 'org_01k00000000000000000000000', clientId: 'cli_01k00000000000000000000000' };
const t1 = new Date('2026-11-02T09:00:00.000Z');
const hash = 'a'.repeat(64);
const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] };

const app = (overrides: Partial<ClientSettings> = {}): ClientSettings => ({
  name: 'Invoices',
  kind: 'application',
  agentId: null,
  redirectUris: ['https://invoices.example/callback'],
  grantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN],
  tokenEndpointAuthMethod: 'client_secret_basic',
  secretHash: hash,
  jwks: null,
  scopes: ['invoices:read', 'openid'],
  audiences: ['https://invoices.example'],
  ...overrides,
});
const command = <C extends ClientCommand>(type: C['type'], data: C['data']) => ({ type, data, now: t1 }) as C;
const register = (settings: ClientSettings) => command('RegisterClient', { ...key, ...settings });
const registered = (settings: ClientSettings): ClientEvent => ({
  type: 'authn.client.registered',
  data: { ...key, ...settings, registeredAt: t1.toISOString() } as never,
});

describe('client', () => {
  it('registers an application with exact redirect URIs', () =>
    given([])
      .when(register(app()))
      .then([registered(app({ scopes: ['invoices:read', 'openid'] }))]));

  it('refuses redirect URIs that are not https, have a fragment, or are not URLs', () => {
    for (const uri of ['http://invoices.example/cb', 'https://invoices.example/cb#x', 'not a url'])
      given([])
        .when(register(app({ redirectUris: [uri] })))
        .thenThrows('AUTHN_REDIRECT_URI_INVALID');
    given([])
      .when(register(app({ redirectUris: ['http://127.0.0.1:8765/callback'] })))
      .then([registered(app({ redirectUris: ['http://127.0.0.1:8765/callback'] }))]);
  });

  it('takes a back-channel logout URI that is https or loopback http, without fragment; logout tokens carry sid by default', () => {
    for (const uri of ['http://invoices.example/logout', 'https://invoices.example/logout#x', 'nope'])
      given([])
        .when(register(app({ backchannelLogoutUri: uri })))
        .thenThrows('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID');
    given([])
      .when(register(app({ backchannelLogoutUri: 'https://invoices.example/logout' })))
      .then([
        registered(
          app({
            backchannelLogoutUri: 'https://invoices.example/logout',
            backchannelLogoutSessionRequired: true,
          }),
        ),
      ]);
    given([])
      .when(
        register(
          app({
            backchannelLogoutUri: 'http://127.0.0.1:8765/logout',
            backchannelLogoutSessionRequired: false,
          }),
        ),
      )
      .then([
        registered(
          app({
            backchannelLogoutUri: 'http://127.0.0.1:8765/logout',
            backchannelLogoutSessionRequired: false,
          }),
        ),
      ]);
    given([])
      .when(register(app({ backchannelLogoutUri: null })))
      .then([registered(app())]);
    given([])
      .when(
        register(
          app({
            grantTypes: [CLIENT_CREDENTIALS],
            redirectUris: [],
            backchannelLogoutUri: 'https://invoices.example/logout',
          }),
        ),
      )
      .thenThrows('AUTHN_BACKCHANNEL_LOGOUT_URI_INVALID');
  });

  it('an agent authenticates with its keys and uses client credentials or token exchange only', () => {
    const agent = app({
      kind: 'agent',
      agentId: 'agt_01k00000000000000000000001',
      redirectUris: [],
      grantTypes: [CLIENT_CREDENTIALS, TOKEN_EXCHANGE],
      tokenEndpointAuthMethod: 'private_key_jwt',
      secretHash: null,
      jwks,
    });
    given([])
      .when(register(agent))
      .then([registered(agent)]);
    given([])
      .when(register({ ...agent, grantTypes: [AUTHORIZATION_CODE] }))
      .thenThrows('AUTHN_GRANT_TYPE_INVALID');
    given([])
      .when(register({ ...agent, jwks: null }))
      .thenThrows('AUTHN_AUTH_METHOD_INVALID');
    given([])
      .when(register({ ...agent, jwks: { keys: [{ ...jwks.keys[0], d: 'secret' }] } }))
      .thenThrows('AUTHN_JWKS_INVALID');
  });

  it('a public client may only use the authorization code grant', () =>
    given([])
      .when(
        register(
          app({ tokenEndpointAuthMethod: 'none', secretHash: null, grantTypes: [CLIENT_CREDENTIALS] }),
        ),
      )
      .thenThrows('AUTHN_AUTH_METHOD_INVALID'));

  it('rotates credentials, and a deleted client is gone', () => {
    given([registered(app())])
      .when(command('RotateClientCredentials', { secretHash: 'b'.repeat(64), jwks: null }))
      .then([
        {
          type: 'authn.client.credentials_rotated',
          data: { ...key, secretHash: 'b'.repeat(64), jwks: null, rotatedAt: t1.toISOString() },
        },
      ]);
    const deleted: ClientEvent = {
      type: 'authn.client.deleted',
      data: { ...key, deletedAt: t1.toISOString() },
    };
    given([registered(app())])
      .when(command('DeleteClient', {}))
      .then([deleted]);
    given([registered(app()), deleted])
      .when(command('RotateClientCredentials', { secretHash: hash, jwks: null }))
      .thenThrows('AUTHN_CLIENT_NOT_FOUND');
  });
});
