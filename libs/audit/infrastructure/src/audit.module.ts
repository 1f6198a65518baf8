import { type EventStore } from '@mandate/eventstore';
import { TenancyModule } from '@mandate/tenancy';
import { type DynamicModule, Module } from '@nestjs/common';

export const AUDIT_EVENT_STORE = Symbol('AUDIT_EVENT_STORE');

/**
 * The audit context: will own the tamper-evident audit log of every organization. For now it keeps its own view of the organizations, learnt
 * from directory events, so every path can check its tenant.
 */
@Module({})
export class AuditModule {
  static forRoot({ eventStore }: { eventStore: EventStore }): DynamicModule {
    return {
      module: AuditModule,
      imports: [TenancyModule.forContext({ context: 'audit', schema: 'audit' })],
      providers: [{ provide: AUDIT_EVENT_STORE, useValue: eventStore }],
      exports: [AUDIT_EVENT_STORE],
    };
  }
}
