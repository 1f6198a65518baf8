import {
  type AccessTokenClaims,
  DEFAULT_EXCHANGE_POLICY,
  type ExchangeDecision,
  type ExchangeErrorCode,
  type ExchangeInput,
  type ExchangingClient,
  type HumanFacts,
  type MandateFacts,
  decideTokenExchange,
  parseScope,
  type SubjectToken,
} from './token-exchange';

const orgId = 'org_01k00000000000000000000000';
const otherOrgId = 'org_01k00000000000000000000001';
const userId = 'usr_01k00000000000000000000000';
const otherUserId = 'usr_01k00000000000000000000001';
const agentId = 'agt_01k00000000000000000000001';
const otherAgentId = 'agt_01k00000000000000000000002';
const parentAgentId = 'agt_01k00000000000000000000003';
const grandparentAgentId = 'agt_01k00000000000000000000004';
const clientId = 'cli_01k00000000000000000000000';
const otherClientId = 'cli_01k00000000000000000000001';
const mandateId = 'mdt_01k00000000000000000000001';
const files = 'https://files.example';
const invoices = 'https://invoices.example';

const now = new Date('2026-11-02T09:00:00.000Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);

const agentClient = (overrides: Partial<ExchangingClient> = {}): ExchangingClient => ({
  clientId,
  orgId,
  agentId,
  active: true,
  scopes: ['files:delete', 'files:read', 'files:write', 'invoices:read'],
  audiences: [files],
  ...overrides,
});

const mandate = (overrides: Partial<MandateFacts> = {}): MandateFacts => ({
  mandateId,
  orgId,
  userId,
  agentId,
  permissions: ['files:write', 'files:read'],
  resources: [],
  status: 'active',
  expiresAt: null,
  ...overrides,
});

const human = (overrides: Partial<HumanFacts> = {}): HumanFacts => ({
  userId,
  orgId,
  status: 'active',
  permissions: ['files:delete', 'files:read', 'files:write', 'invoices:read'],
  ...overrides,
});

const mandateToken = (facts: MandateFacts | null = mandate()): SubjectToken => ({
  kind: 'mandate',
  mandate: facts,
});

/** By default the human's own token, issued to this very client, with the agent mandated. */
const accessToken = (
  claims: Partial<AccessTokenClaims> = {},
  facts: { grantActive?: boolean; mandate?: MandateFacts | null } = {},
): SubjectToken => ({
  kind: 'access_token',
  claims: {
    iss: 'https://auth.mandate.example/o/acme',
    sub: userId,
    org_id: orgId,
    client_id: clientId,
    aud: [files],
    scope: ['files:read', 'files:write'],
    exp: at(600),
    grant_id: 'grt_01k00000000000000000000000',
    ...claims,
  },
  grantActive: facts.grantActive ?? true,
  mandate: facts.mandate === undefined ? mandate() : facts.mandate,
});

type Facts = Partial<Pick<ExchangeInput, 'client' | 'subjectToken' | 'human' | 'policy'>>;
type Request = Partial<Pick<ExchangeInput, 'requestedScope' | 'requestedAudience' | 'now'>>;

const given = (facts: Facts = {}) => ({
  when: (request: Request = {}) => {
    const result = decideTokenExchange({
      client: agentClient(),
      subjectToken: mandateToken(),
      human: human(),
      requestedScope: null,
      requestedAudience: null,
      now,
      policy: DEFAULT_EXCHANGE_POLICY,
      ...facts,
      ...request,
    });
    return {
      thenIssues: (expected: Partial<Omit<ExchangeDecision, 'ok'>>) =>
        expect(result).toEqual({
          ok: true,
          subject: userId,
          actorChain: [agentId],
          scope: ['files:read', 'files:write'],
          audience: files,
          expiresAt: at(DEFAULT_EXCHANGE_POLICY.accessTokenTtlSeconds),
          orgId,
          mandateId,
          ...expected,
        }),
      thenRefuses: (error: ExchangeErrorCode, reason: string) =>
        expect(result).toEqual({ ok: false, error, reason, description: expect.any(String) as string }),
    };
  },
});

describe('token exchange', () => {
  describe('only an active agent client exchanges', () => {
    it('given a client that is not an agent’s, when it exchanges, then it is an unauthorized_client', () =>
      given({ client: agentClient({ agentId: null }) })
        .when()
        .thenRefuses('unauthorized_client', 'not_an_agent_client'));

    it('given a deleted agent client, when it exchanges, then it is an unauthorized_client', () =>
      given({ client: agentClient({ active: false }) })
        .when()
        .thenRefuses('unauthorized_client', 'client_inactive'));
  });

  describe('TX-8: everything belongs to the client’s organization', () => {
    it('given a mandate of another organization, when exchanged, then tenant_mismatch', () =>
      given({ subjectToken: mandateToken(mandate({ orgId: otherOrgId })) })
        .when()
        .thenRefuses('invalid_grant', 'tenant_mismatch'));

    it('given an access token of another organization, when exchanged, then tenant_mismatch', () =>
      given({ subjectToken: accessToken({ org_id: otherOrgId }) })
        .when()
        .thenRefuses('invalid_grant', 'tenant_mismatch'));

    it('given a human of another organization, when exchanged, then tenant_mismatch', () =>
      given({ human: human({ orgId: otherOrgId }) })
        .when()
        .thenRefuses('invalid_grant', 'tenant_mismatch'));
  });

  describe('a mandate exists, is for this agent, is active and has not expired', () => {
    it('given an active mandate to the agent, when exchanged, then the human is the subject and the agent the actor', () =>
      given().when().thenIssues({}));

    it('given no such mandate, when exchanged, then invalid_grant', () =>
      given({ subjectToken: mandateToken(null) })
        .when()
        .thenRefuses('invalid_grant', 'mandate_not_found'));

    it('given a mandate to another agent, when exchanged, then not_the_mandated_agent', () =>
      given({ subjectToken: mandateToken(mandate({ agentId: otherAgentId })) })
        .when()
        .thenRefuses('invalid_grant', 'not_the_mandated_agent'));

    it('given a revoked mandate, when exchanged, then invalid_grant', () =>
      given({ subjectToken: mandateToken(mandate({ status: 'revoked' })) })
        .when()
        .thenRefuses('invalid_grant', 'mandate_revoked'));

    it('given a suspended mandate, when exchanged, then invalid_grant', () =>
      given({ subjectToken: mandateToken(mandate({ status: 'suspended' })) })
        .when()
        .thenRefuses('invalid_grant', 'mandate_suspended'));

    it('given a mandate that ends now, when exchanged, then it has expired', () =>
      given({ subjectToken: mandateToken(mandate({ expiresAt: now })) })
        .when()
        .thenRefuses('invalid_grant', 'mandate_expired'));

    it('given a mandate limited to resources, when exchanged, then the scope is still its permissions (authorization enforces the resources)', () =>
      given({ subjectToken: mandateToken(mandate({ resources: ['folder:invoices-2026'] })) })
        .when()
        .thenIssues({ scope: ['files:read', 'files:write'] }));
  });

  describe('an access-token subject is held by this client or names this agent in may_act', () => {
    it('given the human’s token issued to this client and a mandate, when exchanged, then it is delegated', () =>
      given({ subjectToken: accessToken() }).when().thenIssues({}));

    it('TX-1: given a token issued to another client without may_act, when exchanged, then subject_token_for_other_client', () =>
      given({ subjectToken: accessToken({ client_id: otherClientId }) })
        .when()
        .thenRefuses('invalid_grant', 'subject_token_for_other_client'));

    it('TX-1: given a token issued to another client naming this agent in may_act, when exchanged, then it is delegated on may_act alone', () =>
      given({
        subjectToken: accessToken({ client_id: otherClientId, may_act: { sub: agentId } }, { mandate: null }),
      })
        .when()
        .thenIssues({ mandateId: null }));

    it('given a token naming another agent in may_act, when exchanged, then invalid_grant', () =>
      given({ subjectToken: accessToken({ may_act: { sub: otherAgentId } }) })
        .when()
        .thenRefuses('invalid_grant', 'may_act_names_other_agent'));

    it('TX-5: given a token without may_act and no mandate, when exchanged, then may_act_missing', () =>
      given({ subjectToken: accessToken({}, { mandate: null }) })
        .when()
        .thenRefuses('invalid_grant', 'may_act_missing'));

    it('TX-7: given a token whose grant is revoked, when exchanged, then invalid_grant', () =>
      given({ subjectToken: accessToken({}, { grantActive: false }) })
        .when()
        .thenRefuses('invalid_grant', 'grant_revoked'));

    it('given a token that expires now, when exchanged, then subject_token_expired', () =>
      given({ subjectToken: accessToken({ exp: now }) })
        .when()
        .thenRefuses('invalid_grant', 'subject_token_expired'));

    it('given may_act and a revoked mandate alongside, when exchanged, then the mandate still counts', () =>
      given({
        subjectToken: accessToken({ may_act: { sub: agentId } }, { mandate: mandate({ status: 'revoked' }) }),
      })
        .when()
        .thenRefuses('invalid_grant', 'mandate_revoked'));

    it('given a mandate from another user than the token’s subject, when exchanged, then invalid_grant', () =>
      given({ subjectToken: accessToken({}, { mandate: mandate({ userId: otherUserId }) }) })
        .when()
        .thenRefuses('invalid_grant', 'mandate_for_other_subject'));
  });

  describe('TX-5: a sub-agent extends the actor chain, up to the policy’s depth', () => {
    it('given a token an agent acts with, when a sub-agent exchanges it, then the chain is [sub-agent, agent]', () =>
      given({ subjectToken: accessToken({ act: { sub: parentAgentId } }) })
        .when()
        .thenIssues({ actorChain: [agentId, parentAgentId] }));

    it('given a chain of two, when exchanged, then the nesting is kept for audit at the depth limit', () =>
      given({ subjectToken: accessToken({ act: { sub: parentAgentId, act: { sub: grandparentAgentId } } }) })
        .when()
        .thenIssues({ actorChain: [agentId, parentAgentId, grandparentAgentId] }));

    it('given a chain of three, when exchanged, then actor_chain_too_deep', () =>
      given({
        subjectToken: accessToken({
          act: { sub: parentAgentId, act: { sub: grandparentAgentId, act: { sub: otherAgentId } } },
        }),
      })
        .when()
        .thenRefuses('invalid_grant', 'actor_chain_too_deep'));

    it('given a policy of one actor, when a sub-agent exchanges, then actor_chain_too_deep', () =>
      given({
        subjectToken: accessToken({ act: { sub: parentAgentId } }),
        policy: { ...DEFAULT_EXCHANGE_POLICY, maxActorDepth: 1 },
      })
        .when()
        .thenRefuses('invalid_grant', 'actor_chain_too_deep'));

    it('given a token the agent itself acts with, when it exchanges it again, then it stays one actor', () =>
      given({ subjectToken: accessToken({ act: { sub: agentId, act: { sub: parentAgentId } } }) })
        .when()
        .thenIssues({ actorChain: [agentId, parentAgentId] }));
  });

  describe('TX-6: the human is known and active', () => {
    it('given no facts about the human, when exchanged, then delegator_inactive', () =>
      given({ human: null }).when().thenRefuses('invalid_grant', 'delegator_inactive'));

    it.each(['inactive', 'deleted', 'unknown'] as const)(
      'given a human who is %s, when exchanged, then delegator_inactive',
      (status) =>
        given({ human: human({ status }) })
          .when()
          .thenRefuses('invalid_grant', 'delegator_inactive'),
    );

    it('given facts about another human than the subject, when exchanged, then invalid_grant', () =>
      given({ human: human({ userId: otherUserId }) })
        .when()
        .thenRefuses('invalid_grant', 'delegator_mismatch'));
  });

  describe('TX-3: the scope is the request within mandate, human, subject token and client', () => {
    it('given no scope requested, when exchanged, then everything allowed, sorted', () =>
      given({ subjectToken: mandateToken(mandate({ permissions: ['invoices:read', 'files:delete'] })) })
        .when()
        .thenIssues({ scope: ['files:delete', 'invoices:read'] }));

    it('given a subset requested, when exchanged, then exactly that, sorted and once each', () =>
      given()
        .when({ requestedScope: ['files:write', 'files:read', 'files:write'] })
        .thenIssues({ scope: ['files:read', 'files:write'] }));

    it('given a request beyond the mandate, when exchanged, then it is refused, not trimmed', () =>
      given()
        .when({ requestedScope: ['files:read', 'files:delete'] })
        .thenRefuses('invalid_scope', 'scope_exceeds_mandate'));

    it('given a human who lost a permission since the mandate, when it is requested, then scope_exceeds_delegator', () =>
      given({ human: human({ permissions: ['files:read'] }) })
        .when({ requestedScope: ['files:write'] })
        .thenRefuses('invalid_scope', 'scope_exceeds_delegator'));

    it('given a human who lost a permission since the mandate, when nothing is requested, then only what remains', () =>
      given({ human: human({ permissions: ['files:read'] }) })
        .when()
        .thenIssues({ scope: ['files:read'] }));

    it('given a request beyond the client’s registration, when exchanged, then scope_exceeds_client', () =>
      given({ client: agentClient({ scopes: ['files:read'] }) })
        .when({ requestedScope: ['files:write'] })
        .thenRefuses('invalid_scope', 'scope_exceeds_client'));

    it('given a request beyond the subject token’s scope, when exchanged, then scope_exceeds_subject_token', () =>
      given({ subjectToken: accessToken({ scope: ['files:read'] }) })
        .when({ requestedScope: ['files:write'] })
        .thenRefuses('invalid_scope', 'scope_exceeds_subject_token'));

    it('given a subject token with less scope, when nothing is requested, then a down-scope of it', () =>
      given({ subjectToken: accessToken({ scope: ['files:read', 'invoices:read'] }) })
        .when()
        .thenIssues({ scope: ['files:read'] }));

    it('given may_act and no mandate, when nothing is requested, then the subject token’s scope within human and client', () =>
      given({
        subjectToken: accessToken(
          { scope: ['files:delete', 'files:read', 'payroll:read'], may_act: { sub: agentId } },
          { mandate: null },
        ),
      })
        .when()
        .thenIssues({ scope: ['files:delete', 'files:read'], mandateId: null }));

    it('given nothing in common, when nothing is requested, then invalid_scope', () =>
      given({ client: agentClient({ scopes: ['invoices:read'] }) })
        .when()
        .thenRefuses('invalid_scope', 'no_scope_allowed'));

    it('given an empty request, when exchanged, then invalid_scope', () =>
      given().when({ requestedScope: [] }).thenRefuses('invalid_scope', 'scope_empty'));
  });

  describe('TX-3: the audience is one the client may get tokens for', () => {
    it('given an audience the client may not get, when exchanged, then invalid_target', () =>
      given().when({ requestedAudience: invoices }).thenRefuses('invalid_target', 'audience_not_allowed'));

    it('given a client with several audiences, when one is requested, then that one', () =>
      given({ client: agentClient({ audiences: [files, invoices] }) })
        .when({ requestedAudience: invoices })
        .thenIssues({ audience: invoices }));

    it('given a client with several audiences, when none is requested, then invalid_target', () =>
      given({ client: agentClient({ audiences: [files, invoices] }) })
        .when()
        .thenRefuses('invalid_target', 'audience_required'));
  });

  describe('TX-4: the token never outlives the mandate or the subject token', () => {
    it('given nothing that ends sooner, when exchanged, then the policy’s lifetime', () =>
      given({ policy: { ...DEFAULT_EXCHANGE_POLICY, accessTokenTtlSeconds: 60 } })
        .when()
        .thenIssues({ expiresAt: at(60) }));

    it('given a mandate that ends sooner, when exchanged, then its end', () =>
      given({ subjectToken: mandateToken(mandate({ expiresAt: at(120) })) })
        .when()
        .thenIssues({ expiresAt: at(120) }));

    it('given a subject token that ends sooner, when exchanged, then its exp', () =>
      given({ subjectToken: accessToken({ exp: at(90) }, { mandate: mandate({ expiresAt: at(200) }) }) })
        .when()
        .thenIssues({ expiresAt: at(90) }));

    it('given a mandate ending between two seconds, when exchanged, then the second before', () =>
      given({ subjectToken: mandateToken(mandate({ expiresAt: at(120.75) })) })
        .when()
        .thenIssues({ expiresAt: at(120) }));
  });
});

describe('parseScope', () => {
  it('an absent scope is null: as much as allowed', () => expect(parseScope(undefined)).toBeNull());

  it('splits on spaces and keeps each scope once', () =>
    expect(parseScope(' files:read  files:write files:read')).toEqual(['files:read', 'files:write']));

  it('an empty scope asks for nothing', () => expect(parseScope('')).toEqual([]));

  it.each(['files:"read"', 'files\\read', 'fichiers:lé', 'files:read\tfiles:write'])(
    'refuses %j: not RFC 6749 scope-token characters',
    (value) =>
      expect(parseScope(value)).toMatchObject({
        ok: false,
        error: 'invalid_scope',
        reason: 'scope_malformed',
      }),
  );
});
