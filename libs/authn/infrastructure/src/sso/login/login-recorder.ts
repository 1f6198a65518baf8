import {
  LoginFailedV1,
  type LoginMethod,
  type LoginRequest,
  LoginSucceededV1,
  loginStream,
} from '@mandate/contracts';
import { uuidv7 } from '@mandate/eventstore';
import { type Actor } from '@mandate/kernel';
import { type ContextWriter, requestContextOf, type WriteCause } from '@mandate/platform';
import { type Request } from 'express';

/** The request a sign-in step came with, for the audit log. */
export const loginRequestOf = (req: Request): LoginRequest => {
  const context = requestContextOf(req);
  const userAgent = req.headers['user-agent'];
  return {
    ip: req.ip?.slice(0, 64) ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 1000) : null,
    requestId: context?.requestId?.slice(0, 200) ?? null,
  };
};

/** Who acted: the person once known, else authn on the IdP's behalf; in the request's story. */
export const loginCause = (req: Request, actor: Actor): WriteCause => {
  const context = requestContextOf(req);
  return {
    actor,
    correlationId: context?.correlationId ?? uuidv7(),
    causationId: context?.requestId ?? null,
  };
};

export interface LoginFailure {
  readonly orgId: string;
  readonly connectionId: string;
  readonly method: LoginMethod;
  readonly reason: string;
  readonly detail: string;
  readonly userId?: string | null;
  readonly subject?: string | null;
}

export interface LoginSuccess {
  readonly orgId: string;
  readonly connectionId: string;
  readonly method: LoginMethod;
  readonly userId: string;
  readonly subject: string;
  readonly amr: readonly string[];
  readonly acr: string;
  readonly mfaFactor: 'totp' | 'webauthn' | 'recovery_codes' | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly clientId: string | null;
  readonly idpInitiated: boolean;
}

const REASON = /^[a-z][a-z0-9_]{2,63}$/;

/** Appends each sign-in's outcome, `authn.login.succeeded` or `authn.login.failed`, to a stream of its own. */
export class LoginRecorder {
  constructor(
    private readonly writer: ContextWriter,
    private readonly clock: () => Date,
  ) {}

  async failed(req: Request, failure: LoginFailure): Promise<void> {
    const userId = failure.userId ?? null;
    await this.writer.append(
      loginStream(uuidv7()),
      failure.orgId,
      [
        {
          type: LoginFailedV1.type,
          data: {
            orgId: failure.orgId,
            connectionId: failure.connectionId,
            method: failure.method,
            reason: REASON.test(failure.reason) ? failure.reason : 'sso_login_failed',
            detail: failure.detail.slice(0, 500),
            userId,
            subject: failure.subject?.slice(0, 1024) ?? null,
            request: loginRequestOf(req),
            failedAt: this.clock().toISOString(),
          },
        },
      ],
      loginCause(req, userId ? { type: 'user', id: userId } : { type: 'system', id: 'authn' }),
    );
  }

  async succeeded(req: Request, success: LoginSuccess): Promise<void> {
    await this.writer.append(
      loginStream(uuidv7()),
      success.orgId,
      [
        {
          type: LoginSucceededV1.type,
          data: {
            ...success,
            amr: [...success.amr],
            groups: success.groups.slice(0, 200),
            roles: [...success.roles],
            request: loginRequestOf(req),
            succeededAt: this.clock().toISOString(),
          },
        },
      ],
      loginCause(req, { type: 'user', id: success.userId }),
    );
  }
}
