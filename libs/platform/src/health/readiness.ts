import { Inject, Injectable, Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { PLATFORM_DATA_SOURCE } from '../persistence/platform-data-source';

export interface ReadinessCheck {
  readonly status: 'up' | 'down';
  /** Small, non-sensitive facts (a lag, a reason); the probe endpoint is not authenticated. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Something the app needs before it can serve: a database, a broker, a projection that caught up. */
export interface ReadinessIndicator {
  readonly name: string;
  check(): Promise<ReadinessCheck>;
}

export interface ReadinessReport {
  readonly status: 'up' | 'down';
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

class ReadinessTimeout extends Error {}

const withTimeout = async <T>(promise: Promise<T>, timeoutMs: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ReadinessTimeout()), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * The indicators `/ready` aggregates. Other modules register theirs at start-up
 * (`onModuleInit() { registry.register(indicator) }`); the app is ready when every one is up.
 */
@Injectable()
export class ReadinessRegistry {
  static readonly DEFAULT_TIMEOUT_MS = 2000;
  private readonly logger = new Logger('Readiness');
  private readonly indicators = new Map<string, ReadinessIndicator>();

  register(indicator: ReadinessIndicator): void {
    if (this.indicators.has(indicator.name)) {
      throw new Error(`A readiness indicator named "${indicator.name}" is already registered`);
    }
    this.indicators.set(indicator.name, indicator);
  }

  /** Runs every check in parallel; a check that throws or outlasts `timeoutMs` counts as down. */
  async check(timeoutMs = ReadinessRegistry.DEFAULT_TIMEOUT_MS): Promise<ReadinessReport> {
    const checks = await Promise.all(
      [...this.indicators.values()].map(async (indicator): Promise<[string, ReadinessCheck]> => {
        try {
          return [indicator.name, await withTimeout(indicator.check(), timeoutMs)];
        } catch (error) {
          const timedOut = error instanceof ReadinessTimeout;
          this.logger.warn({
            msg: 'readiness check failed',
            indicator: indicator.name,
            err: timedOut ? undefined : error,
          });
          return [
            indicator.name,
            { status: 'down', details: { error: timedOut ? 'timeout' : 'check failed' } },
          ];
        }
      }),
    );
    return {
      status: checks.every(([, check]) => check.status === 'up') ? 'up' : 'down',
      checks: Object.fromEntries(checks),
    };
  }
}

/** The service's database answers `select 1`. */
@Injectable()
export class DatabaseReadinessIndicator implements ReadinessIndicator {
  readonly name = 'database';

  constructor(@Inject(PLATFORM_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async check(): Promise<ReadinessCheck> {
    await this.dataSource.query('select 1');
    return { status: 'up' };
  }
}
