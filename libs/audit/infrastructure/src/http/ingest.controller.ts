import { applicationRecord } from '@mandate/audit-domain';
import { uuidv7 } from '@mandate/eventstore';
import { AccessTokenRoute, PublicUrl, REQUEST_ID_HEADER } from '@mandate/platform';
import { createTokenVerifier, type TokenVerifier } from '@mandate/sdk';
import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { createHash } from 'node:crypto';
import { AuditLogService } from '../log/audit-log.service';

/** The resource (`aud`) an application asks for when it gets a token to report actions with. */
export const AUDIT_INGEST_RESOURCE_PATH = '/api/v1/audit';

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

const problem = (res: Response, status: number, code: string, detail: string, extra: object = {}) =>
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: `urn:mandate:problem:${code}`, title: detail, status, code, detail, ...extra });

/** A retried request with the same Idempotency-Key (per organization and client) is the same record. */
const recordIdFor = (orgId: string, clientId: string, key: string | undefined): string => {
  if (key === undefined) return uuidv7();
  const hex = createHash('sha256').update(`${orgId}\n${clientId}\n${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/**
 * `POST /api/v1/audit/events`: an application reports what an actor did. The caller authenticates with
 * a Mandate access token for the audit API; the organization, the actor and its delegation chain come
 * from that token, never from the body (a body naming someone else is recorded as a mismatched claim).
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit/events')
export class AuditIngestController {
  private verifier: TokenVerifier | undefined;

  constructor(
    private readonly log: AuditLogService,
    private readonly publicUrl: PublicUrl,
  ) {}

  @Post()
  @HttpCode(201)
  @AccessTokenRoute()
  @ApiOperation({
    summary: "Record an application's action",
    description:
      `Authorization: Bearer <a Mandate access token for the resource <issuer>${AUDIT_INGEST_RESOURCE_PATH}>. ` +
      'Body: { action, targets?, outcome?, reason?, occurredAt?, metadata?, context? }. Idempotency-Key makes retries safe. ' +
      '422 AUDIT_EVENT_INVALID / AUDIT_ACTION_SCHEMA_VIOLATION names the failing path.',
  })
  async ingest(
    @Req() req: Request,
    @Res() res: Response,
    @Headers('authorization') authorization?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<void> {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="mandate-audit"');
      return void problem(
        res,
        401,
        'AUDIT_TOKEN_MISSING',
        'Send a Mandate access token as "Authorization: Bearer <token>".',
      );
    }
    let verified;
    try {
      verified = await this.tokenVerifier().verify(token);
    } catch (error) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="mandate-audit", error="invalid_token"');
      return void problem(
        res,
        401,
        'AUDIT_TOKEN_INVALID',
        `The access token was refused: ${(error as Error).message}`,
      );
    }
    const { claims } = verified;
    const result = applicationRecord(
      {
        recordId: recordIdFor(claims.org_id, claims.client_id, idempotencyKey),
        receivedAt: new Date(),
        body: req.body as unknown,
        request: {
          ...(req.ip !== undefined && { ip: req.ip }),
          ...(req.headers['user-agent'] !== undefined && { userAgent: req.headers['user-agent'] }),
          ...(typeof res.getHeader(REQUEST_ID_HEADER) === 'string' && {
            requestId: res.getHeader(REQUEST_ID_HEADER) as string,
          }),
        },
      },
      {
        sub: claims.sub,
        org_id: claims.org_id,
        client_id: claims.client_id,
        grant_id: claims.grant_id,
        ...(claims.act && { act: claims.act }),
        ...(typeof claims['mandate_id'] === 'string' && { mandate_id: claims['mandate_id'] }),
      },
    );
    if (!result.ok)
      return void problem(res, 422, result.code, result.violation.message, { path: result.violation.path });
    const [sequence] = await this.log.append(claims.org_id, [result.record]);
    res.status(sequence === undefined ? 200 : 201).json({
      id: result.record.id,
      orgId: claims.org_id,
      ...(sequence !== undefined && { sequence }),
      actor: result.record.actor,
    });
  }

  private tokenVerifier(): TokenVerifier {
    // Standalone, the issuer is this app; a distributed audit service is told the authn service's URL.
    const issuer = process.env['MANDATE_ISSUER'] ?? this.publicUrl.value;
    this.verifier ??= createTokenVerifier({
      issuer,
      audience: `${this.publicUrl.value}${AUDIT_INGEST_RESOURCE_PATH}`,
    });
    return this.verifier;
  }
}
