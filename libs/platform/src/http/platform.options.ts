import { type InjectionToken } from '@nestjs/common';
import { type Clock } from '../persistence/platform-data-source';

export interface PlatformModuleOptions {
  /** The bootstrap admin key (MANDATE_ADMIN_KEY); without it only organization API keys are accepted. */
  readonly adminKey?: string | undefined;
  /**
   * The SHA-256 (hex) of the admin key, for a key kept hashed at rest (standalone mode stores a
   * generated key this way); accepted alongside `adminKey`.
   */
  readonly adminKeySha256?: string | undefined;
  /**
   * Where the DataSource of the service's schema is bound: by default the `DataSource` class, which is
   * what `TypeOrmModule.forRoot` registers for its default connection.
   */
  readonly dataSource?: InjectionToken;
  /** Time source for key revocation and idempotency expiry; the system clock by default. */
  readonly clock?: Clock;
  /** How long `/ready` waits for an indicator before counting it down (ms, default 2000). */
  readonly readinessTimeoutMs?: number;
}

export const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');
