import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PLATFORM_CLOCK, type Clock } from '../persistence/platform-data-source';
import { IdempotencyRepository } from './idempotency.repository';

/**
 * Deletes expired idempotency keys once an hour. Correctness does not depend on it (an expired key is
 * treated as unused anyway); it only keeps the table small.
 */
@Injectable()
export class IdempotencyCleanup implements OnApplicationBootstrap, OnApplicationShutdown {
  static readonly INTERVAL_MS = 60 * 60 * 1000;
  private readonly logger = new Logger('IdempotencyCleanup');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: IdempotencyRepository,
    @Inject(PLATFORM_CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), IdempotencyCleanup.INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<number> {
    try {
      const deleted = await this.store.deleteExpired(this.clock());
      if (deleted > 0) this.logger.log({ msg: 'expired idempotency keys deleted', deleted });
      return deleted;
    } catch (error) {
      this.logger.warn({ msg: 'could not delete expired idempotency keys', err: error });
      return 0;
    }
  }
}
