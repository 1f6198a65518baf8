import { prefixedId } from '@mandate/platform';
import { createHmac } from 'node:crypto';
import Provider, {
  type Configuration,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { type DataSource } from 'typeorm';
import { isDevelopmentInstance } from '../connections/connections.providers';
import { type GrantsService } from '../grants/grants.service';
import { type KeyRing } from '../keys/key-ring';
import { oidcAdapterFactory } from './oidc-adapter';

export const ACCESS_TOKEN_TTL_SECONDS = 300;
const REFRESH_LIFETIME_SECONDS = 14 * 86_400;
/** A sign-in session lasts this long after the browser last used it (every authorization request renews it). */
export const SESSION_IDLE_SECONDS = 8 * 3600;

/** Where the protocol endpoints live under the issuer (discovery is at the issuer's `/.well-known`). */
export const OAUTH_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  jwks: '/oauth/jwks',
  userinfo: '/oauth/userinfo',
  end_session: '/oauth/logout',
} as const;
export const INTROSPECTION_PATH = '/oauth/introspect';
export const REVOCATION_PATH = '/oauth/revoke';
export const INTERACTION_PATH = '/oauth/interaction';

/** Paths oidc-provider reads the raw request of (nobody else may parse their bodies first). */
export const PROTOCOL_PATH_PREFIXES = [
  OAUTH_ROUTES.authorization,
  OAUTH_ROUTES.token,
  OAUTH_ROUTES.jwks,
  OAUTH_ROUTES.userinfo,
  OAUTH_ROUTES.end_session,
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
];

interface ClientExtras {
  org_id?: string;
  resource_scopes?: string[];
  agent_id?: string | null;
  audiences?: string[];
}

const extrasOf = (client: object | undefined): ClientExtras => client ?? {};

export interface AuthorizationServerOptions {
  readonly issuer: string;
  readonly dataSource: DataSource;
  readonly keyRing: KeyRing;
  readonly grants: GrantsService;
  readonly clock: () => Date;
  /** Signs the provider's cookies; derived from the instance key. */
  readonly cookieKey: Buffer;
  /** Why oidc-provider revoked a grant (a reused code or refresh token), from the request being served. */
  readonly revokedByProvider: (grantId: string, replayed: string | undefined) => Promise<void>;
  /** The person signed out (RP-initiated logout): the session is gone, its grants revoked, its applications told. */
  readonly signedOut: (session: EndedSession) => Promise<void>;
}

/** What is left of a session oidc-provider has just destroyed. */
export interface EndedSession {
  readonly uid: string;
  readonly accountId: string;
  readonly loginTs: number | undefined;
  readonly authorizations: Readonly<Record<string, { sid?: string; grantId?: string }>>;
}

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** What sign-ins at Mandate assert in `acr` (see the MFA policy): SSO alone, or with a second factor. */
const ACR_VALUES = ['urn:mandate:acr:sso', 'urn:mandate:acr:mfa'];

/** A user's roles (mapped from the IdP's groups at their last SSO login) and authz's effective permissions. */
const rolesAndPermissions = async (
  dataSource: DataSource,
  userId: string,
): Promise<{ roles: string[]; permissions: string[] }> => {
  const [row] = await dataSource.query<{ roles: string[] | null; permissions: string[] | null }[]>(
    `select (select roles from authn.sso_user_roles where user_id = $1) as roles,
            (select permissions from authn.principal_permissions where subject = $2) as permissions`,
    [userId, `user:${userId}`],
  );
  return { roles: row?.roles ?? [], permissions: row?.permissions ?? [] };
};

/** Whether the signed-in user belongs to the application's organization. */
const sameOrganization = async (
  dataSource: DataSource,
  accountId: string,
  orgId: string | undefined,
): Promise<boolean> => {
  const [user] = await dataSource.query<{ org_id: string }[]>(
    'select org_id from authn.users where user_id = $1',
    [accountId],
  );
  return orgId !== undefined && user?.org_id === orgId;
};

/**
 * The sign-in prompt, plus one check: a session whose user belongs to another organization than
 * the application's signs in again (for the application's organization). That is how one person
 * switches between their organizations in the same browser.
 */
const interactionPolicyFor = (dataSource: DataSource) => {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(
      'organization_switch',
      "The signed-in user belongs to another organization than the application's",
      async (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        if (!accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return (await sameOrganization(dataSource, accountId, extrasOf(ctx.oidc.client).org_id))
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
};

/**
 * The grant of an authorization request: the OIDC scopes asked for, and for each allowed resource
 * server the asked scopes the client may have. Consent is implicit — the client is the organization's.
 */
export const implicitGrant = async (
  provider: Provider,
  client: { clientId: string },
  accountId: string,
  params: Record<string, unknown>,
  grantId?: string,
): Promise<string> => {
  const grant =
    (grantId ? await provider.Grant.find(grantId) : undefined) ??
    new provider.Grant({ accountId, clientId: client.clientId });
  const requested = (typeof params['scope'] === 'string' ? params['scope'] : 'openid').split(' ');
  const allowed = new Set(extrasOf(client).resource_scopes ?? []);
  grant.addOIDCScope(requested.filter((scope) => OIDC_SCOPES.includes(scope)).join(' '));
  const audiences = extrasOf(client).audiences ?? [];
  const resource = params['resource'];
  const asked = Array.isArray(resource)
    ? resource
    : typeof resource === 'string'
      ? [resource]
      : audiences.slice(0, 1);
  for (const audience of asked as string[]) {
    if (audiences.includes(audience))
      grant.addResourceScope(
        audience,
        requested.filter((scope) => allowed.has(scope) && !OIDC_SCOPES.includes(scope)).join(' '),
      );
  }
  return grant.save();
};

/** The grant a token belongs to: oidc-provider's for code and refresh, a new one per client-credentials token. */
const grantOf = (token: { grantId?: string }): string => token.grantId ?? prefixedId('grt');

/**
 * oidc-provider configured the Mandate way: PKCE S256 on every authorization request, exact
 * redirect URIs, refresh-token rotation, RFC 9068 JWT access tokens (5 minutes, `org_id`,
 * `grant_id`) for the resource servers a client is allowed, EdDSA/ES256 keys from the key ring.
 */
export const createAuthorizationServer = (options: AuthorizationServerOptions): Provider => {
  const { issuer, dataSource, keyRing, grants, clock } = options;
  const recorded = new Set<string>();
  const developmentInstance = isDevelopmentInstance(issuer);

  const recordGrant = async (
    ctx: KoaContextWithOIDC,
    token: { grantId?: string; accountId?: string; scope?: string; kind: string },
    grantId: string,
    audience: string,
  ) => {
    if (recorded.has(grantId)) return;
    const client = ctx.oidc.client!;
    const extras = extrasOf(client);
    const now = clock();
    const code = token.grantId !== undefined;
    await grants.record({
      grantId,
      orgId: extras.org_id!,
      clientId: client.clientId,
      subject: token.accountId ?? extras.agent_id ?? client.clientId,
      actor: null,
      actorChain: [],
      mandateId: null,
      grantType: code ? 'authorization_code' : 'client_credentials',
      scope: token.scope ?? '',
      audience,
      issuedAt: now.toISOString(),
      expiresAt: new Date(
        now.getTime() + ((code ? REFRESH_LIFETIME_SECONDS : 0) + ACCESS_TOKEN_TTL_SECONDS) * 1000,
      ).toISOString(),
    });
    recorded.add(grantId);
    if (recorded.size > 100_000) recorded.clear();
  };

  /**
   * What a client may ask a resource server for: its registered scopes; an agent's own tokens
   * (client credentials) also no more than the agent's current permissions.
   */
  const resourceScope = async (clientScopes: readonly string[], agentId: string | null): Promise<string> => {
    const registered = clientScopes;
    if (agentId === null) return registered.join(' ');
    const [row] = await dataSource.query<{ permissions: string[] }[]>(
      'select permissions from authn.principal_permissions where subject = $1',
      [`agent:${agentId}`],
    );
    const held = row?.permissions ?? [];
    return (registered.length > 0 ? held.filter((permission) => registered.includes(permission)) : held).join(
      ' ',
    );
  };

  const configuration: Configuration = {
    adapter: oidcAdapterFactory(
      dataSource,
      clock,
      (model) =>
        new errors.InvalidGrant(
          `the ${model === 'RefreshToken' ? 'refresh token' : 'code'} was just used by another request`,
        ),
      options.revokedByProvider,
    ),
    clients: [],
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: 'EdDSA',
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
    },
    clientAuthMethods: ['client_secret_basic', 'private_key_jwt', 'none'],
    clockTolerance: 30,
    extraClientMetadata: { properties: ['org_id', 'agent_id', 'kind', 'audiences', 'resource_scopes'] },
    jwks: { keys: keyRing.published().map((key) => key.privateJwk) },
    enabledJWA: {
      idTokenSigningAlgValues: ['EdDSA', 'ES256'],
      userinfoSigningAlgValues: ['EdDSA', 'ES256'],
      clientAuthSigningAlgValues: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'RS256', 'PS256'],
      requestObjectSigningAlgValues: ['EdDSA', 'ES256'],
    },
    pkce: { required: () => true },
    // OAuth 2.1: the authorization code flow only (no implicit or hybrid responses).
    responseTypes: ['code'],
    allowOmittingSingleRegisteredRedirectUri: false,
    routes: OAUTH_ROUTES,
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: interactionPolicyFor(dataSource),
    },
    // Sign-in hints: the organization and (one of its) SSO connection the application wants.
    extraParams: ['organization', 'connection'],
    acrValues: ACR_VALUES,
    cookies: { keys: [createHmac('sha256', options.cookieKey).update('oidc-cookies').digest('base64url')] },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL_SECONDS,
      Interaction: 600,
      Session: SESSION_IDLE_SECONDS,
      Grant: REFRESH_LIFETIME_SECONDS,
      // A rotated refresh token never outlives the family's first one.
      RefreshToken: (_ctx, token) => {
        const first = (token as { iiat?: number }).iiat ?? Math.floor(clock().getTime() / 1000);
        return Math.max(1, first + REFRESH_LIFETIME_SECONDS - Math.floor(clock().getTime() / 1000));
      },
    },
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      // Logout tokens to the applications signed in through a session, when it ends (OIDC Back-Channel Logout 1.0).
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => extrasOf(client).audiences?.[0] ?? issuer,
        useGrantedResource: () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          const extras = extrasOf(client);
          if (!(extras.audiences ?? []).includes(resource))
            throw new errors.InvalidTarget('the client may not get tokens for this resource');
          return {
            scope: await resourceScope(extras.resource_scopes ?? [], extras.agent_id ?? null),
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            jwt: { sign: { alg: 'EdDSA' } },
          };
        },
      },
    },
    discovery: {
      introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
      revocation_endpoint: `${issuer}${REVOCATION_PATH}`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
    },
    findAccount: async (_ctx, sub) => {
      const [user] = await dataSource.query<
        { user_id: string; org_id: string; user_name: string; email: string | null; name: string | null }[]
      >("select * from authn.users where user_id = $1 and status = 'active'", [sub]);
      if (!user) return undefined;
      const { roles, permissions } = await rolesAndPermissions(dataSource, user.user_id);
      return {
        accountId: user.user_id,
        claims: () => ({
          sub: user.user_id,
          org_id: user.org_id,
          roles,
          permissions,
          preferred_username: user.user_name,
          ...(user.email !== null && { email: user.email }),
          ...(user.name !== null && { name: user.name }),
        }),
      };
    },
    claims: {
      // acr, amr and auth_time say how the person signed in (SSO alone, or with a second factor).
      openid: ['sub', 'org_id', 'roles', 'permissions', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    loadExistingGrant: async (ctx) => {
      // Clients belong to the organization: its members are not asked to consent to its own apps.
      const { session, client, params } = ctx.oidc;
      if (!session?.accountId || !client) return undefined;
      // A user of another organization gets no grant here: they sign in again (organization_switch).
      if (!(await sameOrganization(dataSource, session.accountId, extrasOf(client).org_id))) return undefined;
      const existing = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const found = existing ? await ctx.oidc.provider.Grant.find(existing) : undefined;
      if (found) return found;
      const grantId = await implicitGrant(ctx.oidc.provider, client, session.accountId, params ?? {});
      return ctx.oidc.provider.Grant.find(grantId);
    },
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
      const extras = extrasOf(ctx.oidc.client);
      const grantId = grantOf(token as { grantId?: string });
      const audience = (token as { aud?: string | string[] }).aud;
      await recordGrant(
        ctx,
        token,
        grantId,
        Array.isArray(audience) ? (audience[0] ?? '') : (audience ?? ''),
      );
      const accountId = (token as { accountId?: string }).accountId;
      return {
        org_id: extras.org_id,
        grant_id: grantId,
        ...(accountId !== undefined && (await rolesAndPermissions(dataSource, accountId))),
      };
    },
    formats: {
      customizers: {
        // An agent's own tokens (client credentials) are the agent's: `sub` = the agent.
        jwt: (ctx, token, jwt) => {
          const agentId = extrasOf(ctx.oidc.client).agent_id;
          if (token.kind === 'ClientCredentials' && agentId) jwt.payload.sub = agentId;
        },
      },
    },
    // A development instance (its issuer on loopback http) posts logout tokens to applications on loopback
    // too; anywhere else oidc-provider's guard against special-use addresses stays on every outgoing call.
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input);
      if (!developmentInstance || !isDevelopmentInstance(url.origin)) return fetch(input, init);
      const { dispatcher: _guarded, ...unguarded } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return fetch(input, unguarded);
    },
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  // A revoked session stays dead even if a request that loaded it before the revocation saves it afterwards.
  const sessions = provider.Session as unknown as {
    find(id: string, findOptions?: unknown): Promise<{ uid: string } | undefined>;
  };
  const findSession = sessions.find.bind(sessions);
  sessions.find = async (id, findOptions) => {
    const session = await findSession(id, findOptions);
    if (!session) return undefined;
    const revoked = await dataSource.query<unknown[]>(
      'select 1 from authn.session_revocations where session_id = $1',
      [session.uid],
    );
    return revoked.length === 0 ? session : undefined;
  };
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    await next();
    // The confirmed logout destroyed the whole session (not just one application's part of it).
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    const session = oidc?.route === 'end_session_confirm' ? oidc.session : undefined;
    if (session && (session as { destroyed?: boolean }).destroyed && session.accountId)
      await options.signedOut({
        uid: session.uid,
        accountId: session.accountId,
        loginTs: session.loginTs,
        authorizations: (session as { authorizations?: EndedSession['authorizations'] }).authorizations ?? {},
      });
  });
  return provider;
};
