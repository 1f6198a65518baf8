import {
  authenticationContext,
  checkLoginAttempt,
  decideFirstLogin,
  emailDomainOf,
  jitUserName,
  loginFailureMessage,
  loginFailureStatus,
  type MfaPolicy,
  type MfaRequirement,
  oidcProfile,
  rolesForGroups,
  samlContextAmr,
  samlProfile,
  type SsoProfile,
  type VerifiedFactor,
} from '@mandate/authn-domain';
import { type LoginMethod } from '@mandate/contracts';
import { prefixedId } from '@mandate/platform';
import { type Request } from 'express';
import { type DataSource } from 'typeorm';
import { type ConnectionUnderTest } from '../../connections/connection-ports';
import { type ConnectionRow } from '../../connections/connection-rows';
import { type ConnectionsService } from '../../connections/connections.service';
import { type MfaService } from '../../mfa/mfa.service';
import { OidcConfigError, OidcLoginError } from '../oidc/oidc-upstream';
import { SamlConfigError, SamlLoginError } from '../saml';
import { type LoginAttempts, type StoredAttempt, type VerifiedLogin } from './login-attempts';
import { loginCause, type LoginRecorder } from './login-recorder';
import { type SsoIdentities } from './sso-identities';
import { type LoopbackHttp, oidcConfigOf, type OidcUpstreams, samlServiceProvider } from './sso-protocols';

/** Every kind of second factor counts for an organization that requires MFA at SSO connections. */
export const SSO_MFA_POLICY: MfaPolicy = {
  required: true,
  allowedFactors: ['totp', 'webauthn', 'recovery_codes'],
};

/** A refused sign-in step: the page to show (status, words for people) and what the audit log got. */
export interface LoginRefusal {
  readonly kind: 'refused';
  readonly status: 400 | 413;
  readonly reason: string;
  readonly message: string;
}

/** The IdP's verified answer: continue the interaction it was started from, or — IdP-initiated — go to the application. */
export type AnswerOutcome =
  | { readonly kind: 'continue'; readonly interactionUid: string }
  | { readonly kind: 'unsolicited'; readonly target: string }
  | LoginRefusal;

/** Who the IdP vouched for, before Mandate decides who signs in. */
interface Asserted {
  readonly subject: string;
  readonly profile: SsoProfile;
  readonly upstreamAmr: readonly string[];
  readonly method: LoginMethod;
}

class Refused extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
    readonly who: { userId?: string; subject?: string } = {},
  ) {
    super(detail);
  }
}

export interface SsoLoginOptions {
  readonly dataSource: DataSource;
  readonly connections: ConnectionsService;
  readonly attempts: LoginAttempts;
  readonly identities: SsoIdentities;
  readonly recorder: LoginRecorder;
  readonly mfa: MfaService;
  readonly upstreams: OidcUpstreams;
  readonly clock: () => Date;
  readonly loopbackHttp: LoopbackHttp;
  /** Mandate's issuer, for IdP-initiated RelayState paths. */
  readonly issuer: () => string;
}

/**
 * The sign-in through an organization's SSO connection: starts it at the IdP (an attempt stored and
 * bound to the browser), validates the IdP's answer (SAML response or OIDC callback), decides who
 * signs in (linked identity, email link, or a just-in-time user the directory creates), asks for a
 * second factor where the connection requires one, and records every outcome as an event.
 */
export class SsoLogin {
  constructor(private readonly options: SsoLoginOptions) {}

  /** A connection that may sign people in: enabled, of an active organization. */
  async enabledConnection(connectionId: string): Promise<ConnectionUnderTest | null> {
    const row = await this.connectionRow(connectionId);
    return row?.status === 'enabled' ? this.options.connections.underTest(row) : null;
  }

  /**
   * Sends the person to the connection's IdP: the redirect URL, once the attempt is stored. An IdP
   * that cannot be reached (OIDC discovery) or settings that no longer hold refuse the sign-in.
   */
  async begin(
    req: Request,
    connection: ConnectionUnderTest,
    start: { readonly interactionUid: string; readonly browserHash: string; readonly loginHint?: string },
  ): Promise<{ readonly redirectUrl: string } | LoginRefusal> {
    const { attempts, clock, dataSource, loopbackHttp } = this.options;
    const base = {
      interactionUid: start.interactionUid,
      orgId: connection.orgId,
      connectionId: connection.connectionId,
      browserHash: start.browserHash,
    };
    try {
      if (connection.kind === 'saml') {
        const sp = samlServiceProvider(connection, dataSource, clock, loopbackHttp());
        const { redirectUrl, requestId } = await sp.createLoginRequest();
        await attempts.start({ ...base, method: 'saml', samlRequestId: requestId });
        return { redirectUrl };
      }
      const config = oidcConfigOf(connection);
      if (!config) throw new Error(`connection ${connection.connectionId} has no OIDC settings`);
      const upstream = await this.options.upstreams.for(connection, config);
      const request = upstream.createLoginRequest(start.loginHint ? { loginHint: start.loginHint } : {});
      await attempts.start({ ...base, method: 'oidc', oidc: request });
      return { redirectUrl: request.redirectUrl };
    } catch (error) {
      const reason =
        error instanceof OidcLoginError
          ? error.reason
          : error instanceof SamlConfigError || error instanceof OidcConfigError
            ? `${connection.kind}_invalid_config`
            : null;
      if (reason === null) throw error;
      await this.options.recorder.failed(req, {
        orgId: connection.orgId,
        connectionId: connection.connectionId,
        method: connection.kind,
        reason,
        detail: (error as Error).message,
      });
      return refusalOf(reason);
    }
  }

  /** The ACS: a SAML response posted for `connectionId` (from the path, never from the Issuer). */
  async samlAnswer(
    req: Request,
    connectionId: string,
    form: { SAMLResponse?: unknown; RelayState?: unknown },
    bindUnsolicited: () => string,
  ): Promise<AnswerOutcome> {
    return this.answer(req, connectionId, 'saml', async (connection) => {
      const sp = samlServiceProvider(
        connection,
        this.options.dataSource,
        this.options.clock,
        this.options.loopbackHttp(),
      );
      const result = await sp.validatePostResponse(form);
      const asserted: Asserted = {
        subject: result.nameId,
        profile: samlProfile(
          result.attributes,
          { value: result.nameId, format: result.nameIdFormat },
          connection.policy.attributeMapping,
        ),
        upstreamAmr: samlContextAmr([
          result.authnContextClassRef,
          ...(result.attributes['http://schemas.microsoft.com/claims/authnmethodsreferences'] ?? []),
        ]),
        method: 'saml',
      };
      if (result.inResponseTo !== null) {
        const attempt = await this.useAttempt(
          await this.options.attempts.bySamlRequest(connectionId, result.inResponseTo),
          connectionId,
          asserted.subject,
        );
        const login = await this.identify(req, connection, asserted, false);
        await this.options.attempts.verified(attempt.attemptId, login);
        return { kind: 'continue', interactionUid: attempt.interactionUid };
      }
      // IdP-initiated: the engine refused it already unless the connection allows it.
      if (result.relayState === null)
        throw new Refused(
          'sso_relay_state_missing',
          'an IdP-initiated response names no allowed RelayState target',
          {
            subject: asserted.subject,
          },
        );
      const login = await this.identify(req, connection, asserted, true);
      await this.options.attempts.unsolicited({
        orgId: connection.orgId,
        connectionId,
        browserHash: bindUnsolicited(),
        outcome: login,
      });
      return { kind: 'unsolicited', target: this.relayTarget(result.relayState) };
    });
  }

  /** The redirect URI: an OIDC authorization response for `connectionId`. */
  async oidcAnswer(
    req: Request,
    connectionId: string,
    callbackUrl: URL,
    browserHash: string | null,
  ): Promise<AnswerOutcome> {
    return this.answer(req, connectionId, 'oidc', async (connection) => {
      const state = callbackUrl.searchParams.get('state');
      if (!state) throw new Refused('oidc_missing_state', 'the callback carries no state');
      const attempt = await this.useAttempt(
        await this.options.attempts.byOidcState(state),
        connectionId,
        null,
        {
          browserHash,
        },
      );
      const config = oidcConfigOf(connection);
      if (!config || !attempt.oidc)
        throw new Refused('oidc_state_mismatch', 'no OIDC sign-in is pending for this state');
      const upstream = await this.options.upstreams.for(connection, config);
      const result = await upstream.handleCallback(callbackUrl, attempt.oidc);
      const asserted: Asserted = {
        subject: result.subject,
        profile: oidcProfile(result.claims, result.emailVerified, connection.policy.attributeMapping),
        upstreamAmr: result.amr,
        method: 'oidc',
      };
      const login = await this.identify(req, connection, asserted, false);
      await this.options.attempts.verified(attempt.attemptId, login);
      return { kind: 'continue', interactionUid: attempt.interactionUid };
    });
  }

  /** Refuses an IdP's message before reading it (over the size cap), recorded like any other failure. */
  refuseUnread(
    req: Request,
    connectionId: string,
    method: LoginMethod,
    reason: string,
    detail: string,
  ): Promise<AnswerOutcome> {
    return this.answer(req, connectionId, method, () => Promise.reject(new Refused(reason, detail)));
  }

  /**
   * The verified sign-in waiting in this browser for this interaction, or else an IdP-initiated one of
   * `orgId` this browser posted, which the interaction then takes.
   */
  async pending(
    interactionUid: string,
    bindings: { readonly browser: string | null; readonly unsolicited: string | null },
    orgId: string,
  ): Promise<StoredAttempt | null> {
    const { attempts } = this.options;
    const own =
      bindings.browser === null ? null : await attempts.pendingFor(interactionUid, bindings.browser);
    if (own) return own.orgId === orgId ? own : null;
    if (bindings.unsolicited === null) return null;
    return (
      (await attempts.pendingFor(interactionUid, bindings.unsolicited)) ??
      attempts.claimUnsolicited(bindings.unsolicited, orgId, interactionUid)
    );
  }

  /** What the sign-in asks next: nothing, or a second factor (to verify, or to enrol first). */
  async mfaStep(attempt: StoredAttempt): Promise<MfaRequirement> {
    const login = attempt.outcome!;
    if (!login.mfaRequired) return { step: 'none', reason: 'not_required' };
    return this.options.mfa.requirement(attempt.orgId, login.userId, SSO_MFA_POLICY, login.upstreamAmr);
  }

  /**
   * Ends the sign-in: the attempt is completed (once), `authn.login.succeeded` recorded, and the
   * account, `amr` and `acr` returned for the authorization server's session and ID token.
   */
  async complete(
    req: Request,
    attempt: StoredAttempt,
    factor: VerifiedFactor | null,
    clientId: string | null,
  ): Promise<{ accountId: string; amr: string[]; acr: string } | LoginRefusal> {
    const login = attempt.outcome!;
    if (!(await this.options.attempts.complete(attempt.attemptId)))
      return this.refuse(
        req,
        attempt,
        new Refused('sso_attempt_replayed', 'the sign-in was already completed'),
      );
    const { amr, acr } = authenticationContext(login.upstreamAmr, factor);
    await this.options.recorder.succeeded(req, {
      orgId: attempt.orgId,
      connectionId: attempt.connectionId,
      method: login.method,
      userId: login.userId,
      subject: login.subject,
      amr,
      acr,
      mfaFactor: factor?.kind ?? null,
      groups: login.groups,
      roles: login.roles,
      clientId,
      idpInitiated: login.idpInitiated,
    });
    return { accountId: login.userId, amr, acr };
  }

  /** Records a refused step of a sign-in already verified at the IdP (a wrong second factor). */
  async refuse(
    req: Request,
    attempt: StoredAttempt,
    refusal: Refused | { reason: string; detail: string },
  ): Promise<LoginRefusal> {
    const login = attempt.outcome;
    await this.options.recorder.failed(req, {
      orgId: attempt.orgId,
      connectionId: attempt.connectionId,
      method: attempt.method,
      reason: refusal.reason,
      detail: refusal.detail,
      userId: login?.userId ?? null,
      subject: login?.subject ?? null,
    });
    return refusalOf(refusal.reason);
  }

  private async answer(
    req: Request,
    connectionId: string,
    method: LoginMethod,
    run: (connection: ConnectionUnderTest) => Promise<AnswerOutcome>,
  ): Promise<AnswerOutcome> {
    const row = await this.connectionRow(connectionId);
    if (!row) return refusalOf('sso_connection_unavailable');
    const connection = this.options.connections.underTest(row);
    const fail = async (reason: string, detail: string, who: { userId?: string; subject?: string } = {}) => {
      await this.options.recorder.failed(req, {
        orgId: row.org_id,
        connectionId,
        method,
        reason,
        detail,
        userId: who.userId ?? null,
        subject: who.subject ?? null,
      });
      return refusalOf(reason);
    };
    if (row.status !== 'enabled' || row.kind !== method)
      return fail(
        'sso_connection_unavailable',
        `the connection is ${row.status === 'enabled' ? `not ${method}` : row.status}`,
      );
    try {
      return await run(connection);
    } catch (error) {
      if (error instanceof Refused) return fail(error.reason, error.detail, error.who);
      if (error instanceof SamlLoginError || error instanceof OidcLoginError)
        return fail(error.reason, error.message);
      if (error instanceof SamlConfigError) return fail('saml_invalid_config', error.message);
      if (error instanceof OidcConfigError) return fail('oidc_invalid_config', error.message);
      throw error;
    }
  }

  private async useAttempt(
    attempt: StoredAttempt | null,
    connectionId: string,
    subject: string | null,
    binding: { browserHash?: string | null } = {},
  ): Promise<StoredAttempt> {
    const who = subject === null ? {} : { subject };
    // SAML answers arrive as a cross-site POST, without the browser's cookies: their binding is checked on completion.
    const sameBrowser = binding.browserHash === undefined || binding.browserHash === attempt?.browserHash;
    const check = checkLoginAttempt(attempt, { connectionId, now: this.options.clock(), sameBrowser });
    if (!check.ok) throw new Refused(check.reason, check.detail, who);
    if (!(await this.options.attempts.use(attempt!.attemptId)))
      throw new Refused('sso_attempt_replayed', 'the sign-in attempt was already used', who);
    return attempt!;
  }

  /** Who signs in for the IdP's assertion (see `decideFirstLogin`), and what the login carries. */
  private async identify(
    req: Request,
    connection: ConnectionUnderTest,
    asserted: Asserted,
    idpInitiated: boolean,
  ): Promise<VerifiedLogin> {
    const { identities } = this.options;
    const { policy, orgId, connectionId } = connection;
    const who = { subject: asserted.subject };
    const linked = await identities.linkedUser(connectionId, asserted.subject);
    const email = asserted.profile.email;
    const decision = decideFirstLogin({
      linked,
      sameEmail:
        linked === null && email !== null ? await identities.usersWithEmail(orgId, email, connectionId) : [],
      jitEnabled: policy.jit.enabled,
      linkByEmail: policy.jit.linkByEmail ?? false,
      emailDomainServed: email !== null && policy.domains.includes(emailDomainOf(email) ?? ''),
      newUserId: prefixedId('usr'),
    });
    const cause = loginCause(req, { type: 'system', id: 'authn' });
    let userId: string;
    let provisioned = linked?.via === 'jit';
    switch (decision.kind) {
      case 'refused':
        throw new Refused(decision.reason, decision.detail, {
          ...who,
          ...(linked && { userId: linked.userId }),
        });
      case 'signed_in':
        userId = decision.userId;
        break;
      case 'link_existing':
        userId = (await identities.link(
          { orgId, connectionId, subject: asserted.subject, userId: decision.userId },
          cause,
        ))
          ? decision.userId
          : await this.linkedByOther(connectionId, asserted.subject);
        break;
      case 'provision': {
        const { profile } = asserted;
        const requested = await identities.provision(
          {
            orgId,
            connectionId,
            connectionName: connection.name,
            subject: asserted.subject,
            userId: decision.userId,
            userName: jitUserName(profile, asserted.subject),
            email: profile.email,
            givenName: profile.givenName,
            familyName: profile.familyName,
            displayName: profile.displayName,
          },
          cause,
        );
        userId = requested ? decision.userId : await this.linkedByOther(connectionId, asserted.subject);
        provisioned = true;
        if (!(await identities.waitUntilActive(userId)))
          throw new Refused('sso_provisioning_timeout', 'the directory did not create the user in time', {
            ...who,
            userId,
          });
        break;
      }
    }
    return {
      userId,
      subject: asserted.subject,
      method: asserted.method,
      upstreamAmr: [...asserted.upstreamAmr],
      groups: [...asserted.profile.groups],
      roles: rolesForGroups(
        asserted.profile.groups,
        policy.groupRoleMappings,
        provisioned ? policy.jit.defaultRoles : [],
      ),
      mfaRequired: policy.mfa.required,
      idpInitiated,
    };
  }

  private async linkedByOther(connectionId: string, subject: string): Promise<string> {
    const linked = await this.options.identities.linkedUser(connectionId, subject);
    if (!linked)
      throw new Error('a concurrent first login linked the identity, but the link is not readable');
    return linked.userId;
  }

  /** An allow-listed RelayState as an absolute URL (a path is on Mandate). */
  private relayTarget(relayState: string): string {
    return relayState.startsWith('/')
      ? `${this.options.issuer().replace(/\/+$/, '')}${relayState}`
      : relayState;
  }

  private async connectionRow(connectionId: string): Promise<ConnectionRow | null> {
    if (!/^con_[0-9a-z]{26}$/.test(connectionId)) return null;
    const [row] = await this.options.dataSource.query<ConnectionRow[]>(
      `select c.* from authn.sso_connections c
         join authn.known_organizations o on o.org_id = c.org_id and o.status = 'active'
        where c.connection_id = $1 and c.status <> 'deleted'`,
      [connectionId],
    );
    return row ?? null;
  }
}

export const refusalOf = (reason: string): LoginRefusal => ({
  kind: 'refused',
  status: loginFailureStatus(reason),
  reason,
  message: loginFailureMessage(reason),
});
