import {
  type AppendOptions,
  type AppendResult,
  type DecisionAppender,
  type EventStore,
  PostgresEventStore,
  uuidv7,
} from '@mandate/eventstore';
import { DomainError, type Event, type RecordedEvent } from '@mandate/kernel';
import { type DataSource } from 'typeorm';
import { DIRECTORY_SCHEMA } from '../organizations/organization.entity';

/**
 * A claim on a unique value: (scope, key) belongs to at most one owner. Scopes name what is unique
 * where — `dir:<directoryId>:userName`, `domain` — and keys are compared as given, so callers
 * normalise them (lower case for case-insensitive uniqueness).
 */
export interface Reservation {
  readonly scope: string;
  readonly key: string;
}

/** Brings read models up to one event, inside the transaction that appends it. */
export type InlineProjection = (
  db: { query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> },
  event: RecordedEvent,
) => Promise<void>;

export interface ReservationChanges {
  readonly claim: readonly Reservation[];
  readonly release: readonly Reservation[];
}

/** The value is taken: someone else holds the reservation. */
export class ReservationTakenError extends DomainError {
  constructor(readonly reservation: Reservation) {
    super('conflict', 'DIRECTORY_VALUE_TAKEN', `"${reservation.key}" is already in use`, {
      scope: reservation.scope,
    });
  }
}

const TABLE = `${DIRECTORY_SCHEMA}.reservations`;

const sameReservation = (a: Reservation, b: Reservation) => a.scope === b.scope && a.key === b.key;

/** What moving from the reservations of `before` to those of `after` claims and releases. */
export const reservationChanges = (
  before: readonly Reservation[],
  after: readonly Reservation[],
): ReservationChanges => ({
  claim: after.filter((r) => !before.some((b) => sameReservation(b, r))),
  release: before.filter((r) => !after.some((a) => sameReservation(a, r))),
});

/**
 * Appends events together with the uniqueness reservations they imply, the way Zitadel keeps
 * usernames and verified domains unique: on PostgreSQL (and PGlite) in one transaction with the
 * events, so a value is never taken without its event nor an event stored without its claim.
 *
 * Any other event store (KurrentDB) cannot join a PostgreSQL transaction: there the claim is
 * written first and released again if the append fails. A crash between the two leaves a claim
 * without its event, which blocks the value until `mandate replay directory` rebuilds the table.
 */
export class ReservationStore {
  /**
   * @param inline applied in the append's transaction (PostgreSQL and PGlite): the read models
   *   reflect the write the moment it commits, so the writer need not wait for the subscription.
   */
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly inline?: InlineProjection,
  ) {}

  /** A `DecisionAppender` for `commandHandler`: the reservations follow from the states before and after. */
  appender<State, E extends Event>(
    reservationsOf: (state: State) => readonly Reservation[],
  ): DecisionAppender<State, E> {
    return (stream, events, options, { before, after }) =>
      this.append(stream, events, options, reservationChanges(reservationsOf(before), reservationsOf(after)));
  }

  async append(
    stream: string,
    events: readonly Event[],
    options: AppendOptions,
    changes: ReservationChanges,
  ): Promise<AppendResult & { readModelsUpdated?: boolean }> {
    if (this.store instanceof PostgresEventStore) {
      return this.appendInOneTransaction(this.store, stream, events, options, changes);
    }
    if (changes.claim.length === 0 && changes.release.length === 0) {
      return this.store.append(stream, events, options);
    }
    return this.appendThenCompensate(stream, events, options, changes);
  }

  private async appendInOneTransaction(
    store: PostgresEventStore,
    stream: string,
    events: readonly Event[],
    options: AppendOptions,
    changes: ReservationChanges,
  ): Promise<AppendResult & { readModelsUpdated?: boolean }> {
    // Ids and time chosen here, so the events the inline projection sees are the stored ones.
    const stamped = events.map((event) => ({ ...event, id: (event as { id?: string }).id ?? uuidv7() }));
    const occurredAt = options.metadata.occurredAt ?? new Date();
    const appendOptions = { ...options, metadata: { ...options.metadata, occurredAt } };
    const client = await store.connectionPool.connect();
    try {
      await client.query('begin');
      const result = await store.appendInTransaction(client, stream, stamped, appendOptions);
      await release(client, changes.release, stream);
      await claim(client, changes.claim, stream);
      if (this.inline) {
        const first = result.nextExpectedRevision - stamped.length + 1;
        const recorded = stamped.map((event, i): RecordedEvent => ({
          id: event.id,
          type: event.type,
          schemaVersion: 1,
          orgId: options.metadata.orgId,
          stream,
          streamRevision: first + i,
          position: result.position,
          occurredAt,
          actor: options.metadata.actor,
          causationId: options.metadata.causationId ?? null,
          correlationId: options.metadata.correlationId,
          data: event.data,
        }));
        const db = {
          query: async <T>(sql: string, parameters?: unknown[]): Promise<T> =>
            (await client.query(sql, parameters)).rows as T,
        };
        for (const event of recorded) await this.inline(db, event);
      }
      await client.query('commit');
      store.notifyAppended();
      return this.inline ? { ...result, readModelsUpdated: true } : result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async appendThenCompensate(
    stream: string,
    events: readonly Event[],
    options: AppendOptions,
    changes: ReservationChanges,
  ): Promise<AppendResult> {
    const runner = { query: (sql: string, params: unknown[]) => this.dataSource.query(sql, params) };
    await claim(runner, changes.claim, stream);
    try {
      const result = await this.store.append(stream, events, options);
      await release(runner, changes.release, stream);
      return result;
    } catch (error) {
      await release(runner, changes.claim, stream);
      throw error;
    }
  }

  /** Who holds (scope, key), if anyone. */
  async ownerOf(reservation: Reservation): Promise<string | null> {
    const rows: { owner: string }[] = await this.dataSource.query(
      `select owner from ${TABLE} where scope = $1 and key = $2`,
      [reservation.scope, reservation.key],
    );
    return rows[0]?.owner ?? null;
  }
}

interface Queryable {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

const rowsOf = (result: unknown): unknown[] =>
  Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);

/** Claims each reservation for `owner`; one it already holds is kept, one held by another refuses all. */
const claim = async (db: Queryable, reservations: readonly Reservation[], owner: string) => {
  for (const reservation of reservations) {
    const result = await db.query(
      `insert into ${TABLE} (scope, key, owner) values ($1, $2, $3)
       on conflict (scope, key) do update set owner = excluded.owner where ${TABLE}.owner = excluded.owner
       returning owner`,
      [reservation.scope, reservation.key, owner],
    );
    if (rowsOf(result).length === 0) throw new ReservationTakenError(reservation);
  }
};

const release = async (db: Queryable, reservations: readonly Reservation[], owner: string) => {
  for (const reservation of reservations) {
    await db.query(`delete from ${TABLE} where scope = $1 and key = $2 and owner = $3`, [
      reservation.scope,
      reservation.key,
      owner,
    ]);
  }
};
