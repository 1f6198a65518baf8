import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { AuthorizationServerHost } from '../../oauth/authorization-server.host';
import { INTERACTION_PATH } from '../../oauth/authorization-server';
import { MAX_SAML_MESSAGE_BASE64_LENGTH } from '../saml/saml-response-checks';
import { browserHashFrom, mintUnsolicitedBinding, readFormBody } from './browser-binding';
import { loginErrorPage } from './sso-login.pages';
import { type AnswerOutcome, SsoLogin } from './sso-login.service';

/** Where the ACS lives; its bodies are read here (size-capped), not by the platform's parser. */
export const SAML_SSO_PATH = '/sso/saml';

/** Percent-encoding makes base64 up to three times longer; anything beyond is refused before parsing. */
const MAX_ACS_BODY_BYTES = 3 * MAX_SAML_MESSAGE_BASE64_LENGTH + 8 * 1024;

const noStore = (res: Response) => res.setHeader('Cache-Control', 'no-store');

/** The IdPs' way back: the SAML Assertion Consumer Service and the OIDC redirect URI of each connection. */
@ApiExcludeController()
@Controller()
export class SsoLoginController {
  constructor(
    private readonly login: SsoLogin,
    private readonly host: AuthorizationServerHost,
  ) {}

  @Post('sso/saml/:connectionId/acs')
  async acs(
    @Param('connectionId') connectionId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    noStore(res);
    const body = await readFormBody(req, MAX_ACS_BODY_BYTES);
    if (body.kind === 'too_large') {
      const refused = await this.login.refuseUnread(
        req,
        connectionId,
        'saml',
        'saml_message_too_large',
        `the POST body is over ${MAX_ACS_BODY_BYTES} bytes`,
      );
      this.answer(res, refused);
      return;
    }
    const fields = body.fields;
    const form = {
      SAMLResponse: fieldOf(fields, 'SAMLResponse'),
      RelayState: fieldOf(fields, 'RelayState'),
    };
    const bindUnsolicited = () => mintUnsolicitedBinding(res, this.host.issuer.startsWith('https:'));
    this.answer(res, await this.login.samlAnswer(req, connectionId, form, bindUnsolicited));
  }

  @Get('sso/oidc/:connectionId/callback')
  async callback(
    @Param('connectionId') connectionId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    noStore(res);
    const url = new URL(req.originalUrl, this.host.issuer);
    this.answer(res, await this.login.oidcAnswer(req, connectionId, url, browserHashFrom(req)));
  }

  private answer(res: Response, outcome: AnswerOutcome): void {
    switch (outcome.kind) {
      case 'continue':
        res.redirect(303, `${INTERACTION_PATH}/${encodeURIComponent(outcome.interactionUid)}/sso/complete`);
        return;
      case 'unsolicited':
        res.redirect(303, outcome.target);
        return;
      case 'refused':
        res.status(outcome.status).type('html').send(loginErrorPage(outcome));
        return;
    }
  }
}

/** A form field sent once; sent twice it is ambiguous, and the engine refuses a non-string. */
const fieldOf = (fields: URLSearchParams, name: string): string | string[] | undefined => {
  const values = fields.getAll(name);
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
};
