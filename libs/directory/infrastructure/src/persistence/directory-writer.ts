import { type EventStore } from '@mandate/eventstore';
import { type Decider, type Event } from '@mandate/kernel';
import { ContextWriter, type ReadModelProgress } from '@mandate/platform';
import { type Reservation, type ReservationStore } from './reservations';

export { READ_YOUR_WRITES_TIMEOUT_MS, type WriteCause, type WriteOptions } from '@mandate/platform';

interface TypedCommand {
  readonly type: string;
  readonly data: unknown;
  readonly now: Date;
}

/** The directory's command runner: the shared one, with uniqueness reservations written with the events. */
export class DirectoryWriter {
  private readonly writer: ContextWriter;

  constructor(
    store: EventStore,
    readModel: ReadModelProgress,
    private readonly reservations: ReservationStore,
    readonly clock: () => Date,
  ) {
    this.writer = new ContextWriter(store, readModel, clock, 'directory');
  }

  handlerFor<State, Command extends TypedCommand, E extends Event>(
    decider: Decider<State, Command, E>,
    reservationsOf?: (state: State) => readonly Reservation[],
  ) {
    return this.writer.handlerFor(
      decider,
      this.reservations.appender<State, E>(reservationsOf ?? (() => [])),
    );
  }
}
