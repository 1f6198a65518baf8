import { type EventStore } from '@mandate/eventstore';
import { TenancyModule } from '@mandate/tenancy';
import { type DynamicModule, Module } from '@nestjs/common';

export const AUTHZ_EVENT_STORE = Symbol('AUTHZ_EVENT_STORE');

/**
 * The authz context: will own roles, assignments, relationship tuples and agent mandates. For now it keeps its own view of the organizations, learnt
 * from directory events, so every path can check its tenant.
 */
@Module({})
export class AuthzModule {
  static forRoot({ eventStore }: { eventStore: EventStore }): DynamicModule {
    return {
      module: AuthzModule,
      imports: [TenancyModule.forContext({ context: 'authz', schema: 'authz' })],
      providers: [{ provide: AUTHZ_EVENT_STORE, useValue: eventStore }],
      exports: [AUTHZ_EVENT_STORE],
    };
  }
}
