import { prefixedId } from '@mandate/platform';
import {
  DEFAULT_EXCHANGE_POLICY,
  decideTokenExchange,
  type ExchangeDecision,
  type ExchangeRefusal,
  type HumanFacts,
  type MandateFacts,
  parseScope,
  type SubjectToken,
} from '@mandate/authn-domain';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { type DataSource } from 'typeorm';
import { TOKEN_EXCHANGE_GRANT } from '../clients/client-row';
import { type GrantsService } from '../grants/grants.service';
import { type KeyRing, type SigningKey } from '../keys/key-ring';

/** RFC 8693 token types Mandate accepts as the subject of an exchange. */
export const MANDATE_TOKEN_TYPE = 'urn:mandate:params:oauth:token-type:mandate';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

const PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
];

interface MandateRow {
  mandate_id: string;
  org_id: string;
  user_id: string;
  agent_id: string;
  permissions: string[];
  resources: string[];
  expires_at: Date | null;
  status: 'active' | 'suspended' | 'revoked';
}

const stringClaim = (claims: Record<string, unknown>, name: string): string =>
  typeof claims[name] === 'string' ? claims[name] : '';

const toMandate = (row: MandateRow): MandateFacts => ({
  mandateId: row.mandate_id,
  orgId: row.org_id,
  userId: row.user_id,
  agentId: row.agent_id,
  permissions: row.permissions,
  resources: row.resources,
  status: row.status,
  expiresAt: row.expires_at,
});

interface ClientExtras {
  org_id: string;
  resource_scopes: string[];
  agent_id: string | null;
  audiences: string[];
}

const refuse = (refusal: ExchangeRefusal): never => {
  const description = refusal.description;
  switch (refusal.error) {
    case 'invalid_request':
      throw new errors.InvalidRequest(description);
    case 'invalid_target':
      throw new errors.InvalidTarget(description);
    case 'invalid_scope':
      throw new errors.InvalidScope(description, '');
    case 'unauthorized_client':
      throw new errors.UnauthorizedClient(description);
    case 'invalid_grant':
      throw new errors.InvalidGrant(description);
  }
};

const nestedAct = (chain: readonly string[]): Record<string, unknown> | undefined => {
  let act: Record<string, unknown> | undefined;
  for (const actor of [...chain].reverse()) act = act ? { sub: actor, act } : { sub: actor };
  return act;
};

const uncapped = (subject: SubjectToken): string[] => [
  ...(subject.mandate?.permissions ?? []),
  ...(subject.kind === 'access_token' ? subject.claims.scope : []),
];

export interface TokenExchangeDeps {
  readonly issuer: string;
  readonly dataSource: DataSource;
  readonly keyRing: KeyRing;
  readonly grants: GrantsService;
  readonly clock: () => Date;
}

/**
 * RFC 8693 token exchange on oidc-provider's token endpoint: the provider authenticates the agent's
 * client and renders errors; the decision (`decideTokenExchange`) says what may be issued — requested
 * ∩ mandate ∩ what the human holds now — and Mandate signs it: `sub` = the human, `act.sub` = the agent.
 */
export const registerTokenExchange = (provider: Provider, deps: TokenExchangeDeps): void => {
  const { dataSource, keyRing, grants, clock, issuer } = deps;

  const verifyOwnAccessToken = async (token: string) => {
    try {
      return await keyRing.verifyAccessToken(token, issuer);
    } catch {
      throw new errors.InvalidGrant(
        'the subject_token is not a valid, unexpired access token of this issuer',
      );
    }
  };

  const activeMandate = async (orgId: string, userId: string, agentId: string) => {
    const rows: MandateRow[] = await dataSource.query(
      `select * from authn.mandates where org_id = $1 and user_id = $2 and agent_id = $3 and status = 'active'
         and (expires_at is null or expires_at > $4) order by updated_at desc limit 1`,
      [orgId, userId, agentId, clock()],
    );
    return rows[0] ? toMandate(rows[0]) : null;
  };

  const subjectToken = async (
    type: string,
    value: string,
    client: { clientId: string } & ClientExtras,
  ): Promise<SubjectToken> => {
    if (type === MANDATE_TOKEN_TYPE) {
      const rows: MandateRow[] = await dataSource.query(
        'select * from authn.mandates where mandate_id = $1',
        [value],
      );
      return { kind: 'mandate', mandate: rows[0] ? toMandate(rows[0]) : null };
    }
    if (type !== ACCESS_TOKEN_TYPE && type !== JWT_TOKEN_TYPE)
      throw new errors.InvalidRequest(
        `unsupported subject_token_type; use ${MANDATE_TOKEN_TYPE} or ${ACCESS_TOKEN_TYPE}`,
      );
    const claims: JWTPayload & Record<string, unknown> = await verifyOwnAccessToken(value);
    const grantId = typeof claims['grant_id'] === 'string' ? claims['grant_id'] : '';
    const grant = grantId ? await grants.find(grantId) : null;
    const sub = String(claims.sub ?? '');
    const orgId = stringClaim(claims, 'org_id');
    return {
      kind: 'access_token',
      claims: {
        iss: String(claims.iss),
        sub,
        org_id: orgId,
        client_id: stringClaim(claims, 'client_id'),
        aud: Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [],
        scope: typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter(Boolean) : [],
        exp: new Date((claims.exp ?? 0) * 1000),
        grant_id: grantId,
        ...(claims['act'] !== undefined && { act: claims['act'] as { sub: string } }),
        ...(claims['may_act'] !== undefined && { may_act: claims['may_act'] as { sub: string } }),
      },
      grantActive: grant !== null && grant.revoked_at === null,
      mandate:
        client.agent_id && orgId === client.org_id ? await activeMandate(orgId, sub, client.agent_id) : null,
    };
  };

  const human = async (userId: string): Promise<HumanFacts | null> => {
    const [user] = await dataSource.query<
      { org_id: string; status: HumanFacts['status']; permissions: string[] | null }[]
    >(
      `select u.org_id, u.status, p.permissions from authn.users u
         left join authn.principal_permissions p on p.subject = 'user:' || u.user_id and p.org_id = u.org_id
        where u.user_id = $1`,
      [userId],
    );
    if (!user) return null;
    return { userId, orgId: user.org_id, status: user.status, permissions: user.permissions ?? [] };
  };

  const signingKeys = new Map<string, ReturnType<typeof importJWK>>();
  const signingKey = (key: SigningKey) => {
    let imported = signingKeys.get(key.kid);
    if (!imported) {
      imported = importJWK(key.privateJwk, key.alg);
      signingKeys.set(key.kid, imported);
    }
    return imported;
  };

  /**
   * A leaver's cascade may have run between reading the facts and storing the grant, missing it: look
   * again once the grant is stored, and take it back if the human or the mandate is gone.
   */
  const stillDelegated = async (decision: ExchangeDecision): Promise<boolean> => {
    const [row] = await dataSource.query<{ user_status: string | null; mandate_status: string | null }[]>(
      `select (select status from authn.users where user_id = $1) as user_status,
              (select status from authn.mandates where mandate_id = $2) as mandate_status`,
      [decision.subject, decision.mandateId],
    );
    return row?.user_status === 'active' && (decision.mandateId === null || row.mandate_status === 'active');
  };

  const sign = async (decision: ExchangeDecision, clientId: string) => {
    const key = keyRing
      .published()
      .find((candidate) => candidate.alg === 'EdDSA' && candidate.retiredAt === null);
    if (!key) throw new Error('no current EdDSA signing key');
    const now = clock();
    const grantId = prefixedId('grt');
    await grants.record({
      grantId,
      orgId: decision.orgId,
      clientId,
      subject: decision.subject,
      actor: decision.actorChain[0] ?? null,
      actorChain: decision.actorChain,
      mandateId: decision.mandateId,
      grantType: TOKEN_EXCHANGE_GRANT,
      scope: decision.scope.join(' '),
      audience: decision.audience,
      issuedAt: now.toISOString(),
      expiresAt: decision.expiresAt.toISOString(),
    });
    if (!(await stillDelegated(decision))) {
      const grant = await grants.find(grantId);
      if (grant) await grants.revoke(grant, decision.mandateId ? 'mandate_revoked' : 'user_deactivated');
      throw new errors.InvalidGrant('the delegation ended while the token was being issued');
    }
    const act = nestedAct(decision.actorChain);
    const token = await new SignJWT({
      client_id: clientId,
      org_id: decision.orgId,
      grant_id: grantId,
      scope: decision.scope.join(' '),
      ...(act && { act }),
      ...(decision.mandateId && { mandate_id: decision.mandateId }),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(decision.subject)
      .setAudience(decision.audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(decision.expiresAt.getTime() / 1000))
      .setJti(prefixedId('tok'))
      .sign(await signingKey(key));
    return {
      token,
      expiresIn: Math.max(0, Math.floor((decision.expiresAt.getTime() - now.getTime()) / 1000)),
    };
  };

  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx: KoaContextWithOIDC): Promise<void> => {
      const client = ctx.oidc.client!;
      const extras = client as unknown as ClientExtras;
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const { subject_token: value, subject_token_type: type } = params;
      if (!value || !type)
        throw new errors.InvalidRequest('subject_token and subject_token_type are required');
      if (params['actor_token'] !== undefined)
        throw new errors.InvalidRequest('actor_token is not accepted: the authenticated client is the actor');
      const requestedType = params['requested_token_type'];
      if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE)
        throw new errors.InvalidRequest(`only ${ACCESS_TOKEN_TYPE} can be requested`);
      const requestedScope = parseScope(params['scope']);
      if (requestedScope !== null && !Array.isArray(requestedScope)) return refuse(requestedScope);
      const audienceParam = params['resource'] ?? params['audience'] ?? null;
      const subject = await subjectToken(type, value, { clientId: client.clientId, ...extras });
      const clientScopes = extras.resource_scopes;
      const userId =
        subject.kind === 'mandate' ? (subject.mandate?.userId ?? null) : subject.claims.sub || null;
      const decision = decideTokenExchange({
        client: {
          clientId: client.clientId,
          orgId: extras.org_id,
          agentId: extras.agent_id,
          active: true,
          // Credentials registered without scopes are capped by the mandate (and subject token) alone.
          scopes: clientScopes.length > 0 ? clientScopes : uncapped(subject),
          audiences: extras.audiences,
        },
        subjectToken: subject,
        human: userId ? await human(userId) : null,
        requestedScope,
        requestedAudience: audienceParam,
        now: clock(),
        policy: DEFAULT_EXCHANGE_POLICY,
      });
      if (!decision.ok) return refuse(decision);
      const { token, expiresIn } = await sign(decision, client.clientId);
      ctx.body = {
        access_token: token,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: expiresIn,
        scope: decision.scope.join(' '),
      };
    },
    PARAMETERS,
  );
};
