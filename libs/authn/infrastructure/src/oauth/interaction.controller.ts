import { type HomeRealm, type MfaRequirement, type VerifiedFactor } from '@mandate/authn-domain';
import { DomainError } from '@mandate/kernel';
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { HomeRealmDiscovery } from '../connections/home-realm-discovery';
import { MfaService } from '../mfa/mfa.service';
import { browserHashFrom, ensureBrowserBinding, unsolicitedHashFrom } from '../sso/login/browser-binding';
import { LoginAttempts, type StoredAttempt } from '../sso/login/login-attempts';
import {
  connectionChoicePage,
  loginErrorPage,
  mfaEnrolPage,
  mfaEnrolStartPage,
  mfaPage,
  signInPage,
} from '../sso/login/sso-login.pages';
import { type LoginRefusal, refusalOf, SSO_MFA_POLICY, SsoLogin } from '../sso/login/sso-login.service';
import { AuthorizationServerHost } from './authorization-server.host';
import { implicitGrant, INTERACTION_PATH } from './authorization-server';
import { LoginTickets } from './login-tickets';

/** An expired or unknown interaction (oidc-provider's errors) answers 400 with its OAuth error, never 500. */
const answeringProtocolErrors = async (res: Response, run: () => Promise<void>): Promise<void> => {
  try {
    await run();
  } catch (error) {
    const {
      statusCode,
      error: code,
      error_description: description,
    } = error as {
      statusCode?: number;
      error?: string;
      error_description?: string;
    };
    if (typeof statusCode !== 'number' || typeof code !== 'string') throw error;
    res
      .status(statusCode)
      .setHeader('Cache-Control', 'no-store')
      .json({
        error: code,
        error_description: description ?? 'the sign-in could not continue; start again from the application',
      });
  }
};

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The interaction being served: oidc-provider's details, and the application's organization. */
interface Interaction {
  readonly provider: Provider;
  readonly details: Details;
  readonly clientId: string;
  readonly clientName: string;
  readonly orgId: string | null;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 320) : undefined;

const bodyField = (req: Request, name: string): string | undefined =>
  text((req.body as Record<string, unknown> | undefined)?.[name]);

type WebauthnResponse = Parameters<MfaService['verifyWebauthnAuthentication']>[2];

const MAX_CREDENTIAL_LENGTH = 16 * 1024;

const webauthnInvalid = () =>
  new DomainError('invalid', 'AUTHN_MFA_WEBAUTHN_INVALID', 'The security key response is not readable');

const webauthnResponseOf = (body: unknown): WebauthnResponse => {
  const field = (body as Record<string, unknown> | undefined)?.['credential'];
  if (typeof field !== 'string') return body as WebauthnResponse;
  if (field.length > MAX_CREDENTIAL_LENGTH) throw webauthnInvalid();
  try {
    return JSON.parse(field) as WebauthnResponse;
  } catch {
    throw webauthnInvalid();
  }
};

const html = (res: Response, status: number, page: string) =>
  res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(page);

const refused = (res: Response, refusal: LoginRefusal) => html(res, refusal.status, loginErrorPage(refusal));

/**
 * The authorization endpoint's interactions. Sign-in asks for the work email (or takes `login_hint`,
 * the `organization` and `connection` hints) and sends the person to their organization's SSO
 * connection; people without SSO sign in with a login ticket of the application's organization.
 * After the IdP, a second factor where the connection requires one. Consent is implicit (the
 * organization's own applications), so it completes at once.
 */
@ApiExcludeController()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly host: AuthorizationServerHost,
    private readonly tickets: LoginTickets,
    private readonly sso: SsoLogin,
    private readonly discovery: HomeRealmDiscovery,
    private readonly attempts: LoginAttempts,
    private readonly mfa: MfaService,
  ) {}

  @Get(':uid')
  show(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, () => this.showPage(uid, req, res));
  }

  @Post(':uid/login')
  login(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, () => this.signInWithTicket(uid, req, res));
  }

  @Post(':uid/sso')
  startSso(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, async () => {
      const interaction = await this.interaction(uid, req, res);
      if (!interaction) return;
      const email = bodyField(req, 'email');
      const connection = bodyField(req, 'connection');
      await this.discover(req, res, interaction, { email, connection });
    });
  }

  @Get(':uid/sso/complete')
  completeSso(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, async () => {
      let interaction: Interaction | null;
      try {
        interaction = await this.interaction(uid, req, res);
      } catch (error) {
        // Without the interaction's cookie this is another browser: refused, and recorded as such.
        if (!(error instanceof errors.SessionNotFound) || !(await this.refuseElsewhere(req, res, uid)))
          throw error;
        return;
      }
      if (!interaction) return;
      const attempt = await this.pending(req, interaction);
      if (attempt) return this.continueVerified(req, res, interaction, attempt);
      if (!(await this.refuseElsewhere(req, res, uid))) refused(res, refusalOf('sso_attempt_unknown'));
    });
  }

  /** Refuses a verified sign-in of `uid` reaching a browser that did not start it; false when there is none. */
  private async refuseElsewhere(req: Request, res: Response, uid: string): Promise<boolean> {
    const elsewhere = await this.attempts.verifiedFor(uid);
    if (!elsewhere) return false;
    refused(
      res,
      await this.sso.refuse(req, elsewhere, {
        reason: 'sso_attempt_other_browser',
        detail: 'the sign-in came back to another browser than the one that started it',
      }),
    );
    return true;
  }

  @Post(':uid/mfa')
  verifyMfa(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.secondFactor(uid, req, res, 'verify', async (attempt) => {
      const userId = attempt.outcome!.userId;
      const recoveryCode = bodyField(req, 'recovery_code');
      if (recoveryCode !== undefined)
        return (await this.mfa.useRecoveryCode(attempt.orgId, userId, recoveryCode, SSO_MFA_POLICY)).factor;
      return (await this.mfa.verifyTotp(attempt.orgId, userId, bodyField(req, 'code') ?? '', SSO_MFA_POLICY))
        .factor;
    });
  }

  @Post(':uid/mfa/enrol')
  enrolMfa(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, async () => {
      const found = await this.verifiedAt(uid, req, res, 'enrol');
      if (!found) return;
      const enrolment = await this.mfa.enrolTotp(found.attempt.orgId, found.attempt.outcome!.userId);
      html(res, 200, mfaEnrolPage({ uid, ...enrolment }));
    });
  }

  @Post(':uid/mfa/enrol/confirm')
  confirmEnrolment(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.secondFactor(uid, req, res, 'enrol', async (attempt) => {
      await this.mfa.confirmTotp(
        attempt.orgId,
        attempt.outcome!.userId,
        bodyField(req, 'factor_id') ?? '',
        bodyField(req, 'code') ?? '',
      );
      return { kind: 'totp' };
    });
  }

  @Post(':uid/mfa/webauthn/options')
  webauthnOptions(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, async () => {
      const found = await this.verifiedAt(uid, req, res, 'verify');
      if (!found) return;
      const issuer = new URL(this.host.issuer);
      const options = await this.mfa.webauthnAuthenticationOptions(
        found.attempt.orgId,
        found.attempt.outcome!.userId,
        {
          rpId: issuer.hostname,
          rpName: 'Mandate',
          origin: issuer.origin,
        },
      );
      res.status(200).setHeader('Cache-Control', 'no-store').json(options);
    });
  }

  /** The authenticator's response: as JSON, or as the `credential` field of the page's form (JSON text). */
  @Post(':uid/mfa/webauthn')
  verifyWebauthn(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.secondFactor(
      uid,
      req,
      res,
      'verify',
      async (attempt) =>
        (
          await this.mfa.verifyWebauthnAuthentication(
            attempt.orgId,
            attempt.outcome!.userId,
            webauthnResponseOf(req.body),
            SSO_MFA_POLICY,
          )
        ).factor,
    );
  }

  private async showPage(uid: string, req: Request, res: Response): Promise<void> {
    const interaction = await this.interaction(uid, req, res);
    if (!interaction) return;
    const { provider, details } = interaction;
    if (details.prompt.name === 'consent') {
      const client = await provider.Client.find(interaction.clientId);
      if (!client || !details.session) {
        res.status(400).json({ error: 'invalid_request', error_description: 'no signed-in session' });
        return;
      }
      const grant = await implicitGrant(
        provider,
        client,
        details.session.accountId,
        details.params,
        details.grantId,
      );
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: grant } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    // Back from the IdP (or an IdP-initiated login waiting for this application).
    const attempt = await this.pending(req, interaction);
    if (attempt) return this.continueVerified(req, res, interaction, attempt);
    const organization = text(details.params['organization']);
    if (organization !== undefined && organization !== interaction.orgId) {
      refused(res, refusalOf('sso_organization_mismatch'));
      return;
    }
    await this.discover(req, res, interaction, {
      email: text(details.params['login_hint']),
      connection: text(details.params['connection']),
      organization,
    });
  }

  /** Home-realm discovery within the application's organization: to the IdP, to a choice, or to the ticket form. */
  private async discover(
    req: Request,
    res: Response,
    interaction: Interaction,
    hints: { email?: string | undefined; connection?: string | undefined; organization?: string | undefined },
  ): Promise<void> {
    const { orgId, clientName, details } = interaction;
    const realm: HomeRealm =
      orgId === null
        ? { kind: 'none' }
        : hints.connection !== undefined
          ? await this.discovery.resolve({ connectionHint: hints.connection, organizationHint: orgId })
          : hints.email !== undefined
            ? await this.discovery.resolve({ email: hints.email, organizationHint: orgId })
            : hints.organization !== undefined
              ? await this.discovery.resolve({ organizationHint: orgId })
              : { kind: 'none' };
    if (realm.kind === 'connection' && realm.orgId === orgId) {
      const connection = await this.sso.enabledConnection(realm.connectionId);
      if (connection) {
        const browserHash = ensureBrowserBinding(req, res, this.host.issuer.startsWith('https:'));
        const started = await this.sso.begin(req, connection, {
          interactionUid: details.uid,
          browserHash,
          ...(hints.email !== undefined && { loginHint: hints.email }),
        });
        if ('kind' in started) refused(res, started);
        else res.setHeader('Cache-Control', 'no-store').redirect(303, started.redirectUrl);
        return;
      }
    }
    if (realm.kind === 'organization' && realm.orgId === orgId) {
      html(res, 200, connectionChoicePage({ uid: details.uid, clientName, choices: realm.choices }));
      return;
    }
    html(
      res,
      200,
      signInPage({
        uid: details.uid,
        clientName,
        ...(hints.email !== undefined && {
          email: hints.email,
          notice:
            'Your organization does not use single sign-on for this email. Sign in with a login ticket.',
        }),
      }),
    );
  }

  /** After the IdP: a second factor when the connection requires one, else the sign-in completes. */
  private async continueVerified(
    req: Request,
    res: Response,
    interaction: Interaction,
    attempt: StoredAttempt,
  ): Promise<void> {
    const step = await this.sso.mfaStep(attempt);
    switch (step.step) {
      case 'none':
        return this.finish(req, res, interaction, attempt, null);
      case 'verify':
        html(res, 200, mfaPage({ uid: interaction.details.uid, factors: step.factors }));
        return;
      case 'enrol':
        html(res, 200, mfaEnrolStartPage({ uid: interaction.details.uid }));
        return;
    }
  }

  private async finish(
    req: Request,
    res: Response,
    interaction: Interaction,
    attempt: StoredAttempt,
    factor: VerifiedFactor | null,
  ): Promise<void> {
    const result = await this.sso.complete(req, attempt, factor, interaction.clientId);
    if ('kind' in result) {
      refused(res, result);
      return;
    }
    await interaction.provider.interactionFinished(
      req,
      res,
      { login: result },
      { mergeWithLastSubmission: false },
    );
  }

  /** A second-factor step: checked with `check`; a refusal is recorded and the step shown again. */
  private secondFactor(
    uid: string,
    req: Request,
    res: Response,
    expected: MfaRequirement['step'],
    check: (attempt: StoredAttempt) => Promise<VerifiedFactor>,
  ): Promise<void> {
    return answeringProtocolErrors(res, async () => {
      const found = await this.verifiedAt(uid, req, res, expected);
      if (!found) return;
      const { interaction, attempt, step } = found;
      let factor: VerifiedFactor;
      try {
        factor = await check(attempt);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const locked = error.code === 'AUTHN_MFA_LOCKED';
        const refusal = await this.sso.refuse(req, attempt, {
          reason: locked ? 'sso_mfa_locked' : 'sso_mfa_failed',
          detail: error.message,
        });
        html(
          res,
          400,
          step.step === 'verify'
            ? mfaPage({ uid, factors: step.factors, error: refusal.message })
            : mfaEnrolStartPage({ uid }),
        );
        return;
      }
      await this.finish(req, res, interaction, attempt, factor);
    });
  }

  /** The verified sign-in of this interaction and browser, at the MFA step the caller serves. */
  private async verifiedAt(
    uid: string,
    req: Request,
    res: Response,
    expected: MfaRequirement['step'],
  ): Promise<{ interaction: Interaction; attempt: StoredAttempt; step: MfaRequirement } | null> {
    const interaction = await this.interaction(uid, req, res);
    if (!interaction) return null;
    const attempt = await this.pending(req, interaction);
    if (!attempt) {
      refused(res, refusalOf('sso_attempt_unknown'));
      return null;
    }
    const step = await this.sso.mfaStep(attempt);
    if (step.step !== expected) {
      // Enrolling is only for someone with no factor; verifying only for someone with one.
      refused(res, refusalOf('sso_mfa_failed'));
      return null;
    }
    return { interaction, attempt, step };
  }

  private async pending(req: Request, interaction: Interaction): Promise<StoredAttempt | null> {
    if (interaction.orgId === null) return null;
    return this.sso.pending(
      interaction.details.uid,
      { browser: browserHashFrom(req), unsolicited: unsolicitedHashFrom(req) },
      interaction.orgId,
    );
  }

  private async interaction(uid: string, req: Request, res: Response): Promise<Interaction | null> {
    const provider = this.host.current;
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      res.status(400).json({ error: 'invalid_request', error_description: 'interaction mismatch' });
      return null;
    }
    const clientId = String(details.params['client_id']);
    const client = await provider.Client.find(clientId);
    return {
      provider,
      details,
      clientId,
      clientName: client?.clientName ?? 'the application',
      orgId: (client as unknown as { org_id?: string } | undefined)?.org_id ?? null,
    };
  }

  private async signInWithTicket(uid: string, req: Request, res: Response): Promise<void> {
    const interaction = await this.interaction(uid, req, res);
    if (!interaction) return;
    const ticket = bodyField(req, 'ticket') ?? '';
    const accountId =
      interaction.orgId && ticket ? await this.tickets.redeem(ticket, interaction.orgId) : null;
    if (!accountId) {
      html(
        res,
        400,
        signInPage({
          uid,
          clientName: interaction.clientName,
          error: 'That ticket is not valid for this organization.',
        }),
      );
      return;
    }
    await interaction.provider.interactionFinished(
      req,
      res,
      { login: { accountId, amr: ['ticket'] } },
      { mergeWithLastSubmission: false },
    );
  }
}
