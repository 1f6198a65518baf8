import { type EventStore } from '@mandate/eventstore';
import { TenancyModule } from '@mandate/tenancy';
import { type DynamicModule, Module } from '@nestjs/common';

export const AUTHN_EVENT_STORE = Symbol('AUTHN_EVENT_STORE');

/**
 * The authn context: will own sessions, OAuth clients, grants and signing keys (the authorization server). For now it keeps its own view of the organizations, learnt
 * from directory events, so every path can check its tenant.
 */
@Module({})
export class AuthnModule {
  static forRoot({ eventStore }: { eventStore: EventStore }): DynamicModule {
    return {
      module: AuthnModule,
      imports: [TenancyModule.forContext({ context: 'authn', schema: 'authn' })],
      providers: [{ provide: AUTHN_EVENT_STORE, useValue: eventStore }],
      exports: [AUTHN_EVENT_STORE],
    };
  }
}
