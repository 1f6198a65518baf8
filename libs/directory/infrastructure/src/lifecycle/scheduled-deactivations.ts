import { uuidv7 } from '@mandate/eventstore';
import { DomainError } from '@mandate/kernel';
import { type DataSource } from 'typeorm';
import { type UsersService } from '../resources/users.service';

interface Logger {
  error(message: unknown): void;
}

/**
 * Applies terminations dated in the future once they are due: every `intervalMs`, each user whose
 * scheduled deactivation has come is deactivated (the command does nothing if it was cancelled).
 */
export class ScheduledDeactivations {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly clock: () => Date,
    private readonly logger: Logger,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running
        .then(async () => void (await this.runDue()))
        .catch((error: unknown) => {
          this.logger.error({ msg: 'applying scheduled deactivations failed', err: error });
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Deactivates every user whose termination is due; returns how many were due. */
  async runDue(): Promise<number> {
    const due: { user_id: string; org_id: string }[] = await this.dataSource.query(
      'select user_id, org_id from directory.scheduled_deactivations where effective_at <= $1 order by effective_at limit 500',
      [this.clock()],
    );
    for (const { user_id, org_id } of due) {
      const correlationId = uuidv7();
      try {
        await this.users.applyScheduledDeactivation(org_id, user_id, {
          cause: { actor: { type: 'system', id: 'directory-scheduler' }, correlationId, causationId: null },
        });
      } catch (error) {
        if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
      }
    }
    return due.length;
  }
}
