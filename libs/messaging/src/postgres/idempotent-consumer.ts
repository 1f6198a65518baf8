import { type RecordedEvent } from '@mandate/kernel';
import { type DataSource, type EntityManager } from 'typeorm';
import { type EventHandler } from '../event-transport';
import { ensureCreated, quoteSchema } from './ddl';

export type IdempotentOutcome = 'applied' | 'duplicate';

/**
 * Makes an at-least-once delivery take effect once: the consumed event id is recorded in the
 * same transaction as the read-model change, so a redelivered event finds its id and changes
 * nothing, and a failed change leaves no record behind. Runs on PostgreSQL and on embedded PGlite
 * alike: it needs neither advisory locks nor LISTEN/NOTIFY, only a primary key.
 */
export class IdempotentConsumer {
  private readonly table: string;

  private constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.processed_events`;
  }

  /** Creates `<schema>.processed_events` when it does not exist yet. */
  static async create(dataSource: DataSource, { schema }: { schema: string }): Promise<IdempotentConsumer> {
    const consumer = new IdempotentConsumer(dataSource, schema);
    await ensureCreated(
      dataSource,
      `create schema if not exists ${quoteSchema(schema)};
       create table if not exists ${consumer.table} (
         consumer text not null,
         event_id uuid not null,
         processed_at timestamptz not null default now(),
         primary key (consumer, event_id)
       );`,
    );
    return consumer;
  }

  /**
   * Runs `apply` in one transaction with the record that `consumer` processed `event`, unless it
   * already did. Concurrent deliveries of one event serialise on the primary key: the second
   * waits for the first to commit and then finds it a duplicate.
   */
  async handle(
    consumer: string,
    event: Pick<RecordedEvent, 'id'>,
    apply: (manager: EntityManager) => Promise<void>,
  ): Promise<IdempotentOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `insert into ${this.table} (consumer, event_id) values ($1, $2)
         on conflict (consumer, event_id) do nothing returning event_id`,
        [consumer, event.id],
      );
      if (inserted.length === 0) return 'duplicate';
      await apply(manager);
      return 'applied';
    });
  }

  /** An EventHandler for a transport whose effects happen once per event. */
  handler(
    consumer: string,
    apply: (event: RecordedEvent, manager: EntityManager) => Promise<void>,
  ): EventHandler {
    return async (event) => {
      await this.handle(consumer, event, (manager) => apply(event, manager));
    };
  }

  async hasProcessed(consumer: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `select 1 from ${this.table} where consumer = $1 and event_id = $2`,
      [consumer, eventId],
    );
    return rows.length > 0;
  }
}
