import {
  type AppendOptions,
  type AppendResult,
  type DecisionAppender,
  type EventStore,
  PostgresEventStore,
} from '@mandate/eventstore';
import { DomainError, type Event } from '@mandate/kernel';
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
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
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
  ): Promise<AppendResult> {
    if (changes.claim.length === 0 && changes.release.length === 0) {
      return this.store.append(stream, events, options);
    }
    return this.store instanceof PostgresEventStore
      ? this.appendInOneTransaction(this.store, stream, events, options, changes)
      : this.appendThenCompensate(stream, events, options, changes);
  }

  private async appendInOneTransaction(
    store: PostgresEventStore,
    stream: string,
    events: readonly Event[],
    options: AppendOptions,
    changes: ReservationChanges,
  ): Promise<AppendResult> {
    const client = await store.connectionPool.connect();
    try {
      await client.query('begin');
      const result = await store.appendInTransaction(client, stream, events, options);
      await release(client, changes.release, stream);
      await claim(client, changes.claim, stream);
      await client.query('commit');
      store.notifyAppended();
      return result;
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
