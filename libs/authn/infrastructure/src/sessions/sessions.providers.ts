import { ContextWriter } from '@mandate/platform';
import { type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { GrantsService } from '../grants/grants.service';
import { SESSION_IDLE_SECONDS } from '../oauth/authorization-server';
import { AuthorizationServerHost } from '../oauth/authorization-server.host';
import { providerLogoutTokens } from './logout-token-delivery';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';

/**
 * Sessions for the authn module. The authorization server tells the service when someone signs out,
 * and the service asks the authorization server for logout tokens: the host is looked up when a token
 * is sent, not when either is built.
 */
export const sessionsProviders: Provider[] = [
  {
    provide: SessionsService,
    inject: [DataSource, ContextWriter, GrantsService, ModuleRef],
    useFactory: (dataSource: DataSource, writer: ContextWriter, grants: GrantsService, modules: ModuleRef) =>
      new SessionsService(
        dataSource,
        writer,
        grants,
        providerLogoutTokens(() => modules.get(AuthorizationServerHost)),
        SESSION_IDLE_SECONDS,
      ),
  },
];

export const sessionsControllers = [SessionsController];
