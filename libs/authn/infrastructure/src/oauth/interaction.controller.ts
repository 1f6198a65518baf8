import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { AuthorizationServerHost } from './authorization-server.host';
import { implicitGrant, INTERACTION_PATH } from './authorization-server';
import { LoginTickets } from './login-tickets';

const escape = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const page = (uid: string, client: string, error?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to ${escape(client)}</title></head>
<body><main><h1>Sign in to ${escape(client)}</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${escape(uid)}/login">
<label>Login ticket <input name="ticket" autocomplete="one-time-code" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;

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

/**
 * The authorization endpoint's interactions: sign-in with a login ticket of the client's
 * organization; consent is implicit (the organization's own applications), so it completes at once.
 */
@ApiExcludeController()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly host: AuthorizationServerHost,
    private readonly tickets: LoginTickets,
  ) {}

  @Get(':uid')
  show(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, () => this.showPage(uid, req, res));
  }

  @Post(':uid/login')
  login(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return answeringProtocolErrors(res, () => this.signIn(uid, req, res));
  }

  private async showPage(uid: string, req: Request, res: Response): Promise<void> {
    const provider = this.host.current;
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      res.status(400).json({ error: 'invalid_request', error_description: 'interaction mismatch' });
      return;
    }
    if (details.prompt.name === 'consent') {
      const client = await provider.Client.find(String(details.params['client_id']));
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
    const client = await provider.Client.find(String(details.params['client_id']));
    res
      .status(200)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(page(uid, client?.clientName ?? 'the application'));
  }

  private async signIn(uid: string, req: Request, res: Response): Promise<void> {
    const provider = this.host.current;
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(String(details.params['client_id']));
    const orgId = (client as unknown as { org_id?: string } | undefined)?.org_id;
    const ticket =
      typeof (req.body as Record<string, unknown> | undefined)?.['ticket'] === 'string'
        ? String((req.body as Record<string, unknown>)['ticket'])
        : '';
    const accountId = orgId && ticket ? await this.tickets.redeem(ticket, orgId) : null;
    if (details.uid !== uid || !accountId) {
      res
        .status(400)
        .type('html')
        .send(
          page(
            uid,
            client?.clientName ?? 'the application',
            'That ticket is not valid for this organization.',
          ),
        );
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId, amr: ['ticket'] } },
      { mergeWithLastSubmission: false },
    );
  }
}
