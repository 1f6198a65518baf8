import { type EventStore } from '@mandate/eventstore';
import { type Clock, ContextWriter, PLATFORM_CLOCK, SecretBox } from '@mandate/platform';
import { Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MfaController } from './mfa.controller';
import { CreateAuthnMfa1768262400000 } from './mfa.migration';
import { MfaProjection } from './mfa.projection';
import { MfaService, type MfaServiceOptions } from './mfa.service';

@Injectable()
class MfaShutdown implements OnApplicationShutdown {
  constructor(private readonly projection: MfaProjection) {}

  onApplicationShutdown(): Promise<void> {
    return this.projection.stop();
  }
}

/**
 * The MFA engine for the authn module: its projection, and a service whose writes wait for that
 * projection (not the clients and grants one), so a factor listed right after enrolment is there.
 */
export const mfaProviders = ({
  eventStore,
  secretKey,
  options,
}: {
  eventStore: EventStore;
  secretKey: Buffer;
  options?: MfaServiceOptions;
}): Provider[] => [
  {
    provide: MfaProjection,
    inject: [DataSource],
    useFactory: (dataSource: DataSource) => MfaProjection.start(eventStore, dataSource),
  },
  {
    provide: MfaService,
    inject: [DataSource, MfaProjection, PLATFORM_CLOCK],
    useFactory: (dataSource: DataSource, projection: MfaProjection, clock: Clock) =>
      new MfaService(
        dataSource,
        eventStore,
        new ContextWriter(eventStore, projection, clock, 'authn'),
        new SecretBox(secretKey),
        options,
      ),
  },
  MfaShutdown,
];

export const mfaControllers = [MfaController];
export const mfaMigrations = [CreateAuthnMfa1768262400000];
