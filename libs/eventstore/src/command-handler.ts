import { type Decider, type Event, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import {
  type AppendMetadata,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  WrongExpectedRevisionError,
} from './event-store';

/** Appends a decision's events; given both states, so it can write what the transition implies with them. */
export type DecisionAppender<State, E extends Event> = (
  stream: string,
  events: readonly E[],
  options: AppendOptions,
  transition: { readonly before: State; readonly after: State },
) => Promise<AppendResult & { readonly readModelsUpdated?: boolean }>;

export interface CommandHandlerOptions<State, E extends Event> {
  /** Attempts before a conflict is returned to the caller (each reloads the stream and decides again). */
  readonly maxAttempts?: number;
  /** Turns a stored event of an older schema version into the current shape, once, at the read boundary. */
  readonly upcast?: (event: RecordedEvent) => E;
  /**
   * Replaces the plain `store.append`, e.g. to write uniqueness reservations in the same transaction.
   * It must throw `WrongExpectedRevisionError` on a conflict, so the decision is retried.
   */
  readonly append?: DecisionAppender<State, E>;
}

export interface CommandResult<State, E extends Event> {
  readonly newEvents: E[];
  readonly newState: State;
  /** Revision of the stream's last event, null when the stream still does not exist. */
  readonly nextExpectedRevision: number | null;
  /** True when the appender already brought the read models up to this write (in its transaction). */
  readonly readModelsUpdated?: boolean;
  /** Position of the last appended event (a consistency token), null when nothing was appended. */
  readonly position: GlobalPosition | null;
}

const asDomainEvent = <E extends Event>(event: RecordedEvent): E =>
  ({ type: event.type, data: event.data }) as E;

/**
 * Load stream → decide → append with the expected revision → on a conflict, reload and decide again.
 * A decision that yields no events appends nothing.
 */
export const commandHandler =
  <State, Command, E extends Event>(
    store: EventStore,
    decider: Decider<State, Command, E>,
    options: CommandHandlerOptions<State, E> = {},
  ) =>
  async (
    stream: string,
    command: Command,
    metadata: AppendMetadata,
    expected?: { expectedRevision: number | 'no_stream' },
  ): Promise<CommandResult<State, E>> => {
    const maxAttempts = expected ? 1 : (options.maxAttempts ?? 5);
    const upcast = options.upcast ?? asDomainEvent<E>;
    for (let attempt = 1; ; attempt++) {
      const { events, currentRevision } = await store.readStream(stream);
      if (expected && expected.expectedRevision !== (currentRevision ?? 'no_stream')) {
        throw new WrongExpectedRevisionError(stream, expected.expectedRevision, currentRevision);
      }
      const state = events.map(upcast).reduce(decider.evolve, decider.initialState());
      const newEvents = decider.decide(command, state);
      if (newEvents.length === 0) {
        return { newEvents, newState: state, nextExpectedRevision: currentRevision, position: null };
      }
      const newState = newEvents.reduce(decider.evolve, state);
      const appendOptions = { expectedRevision: currentRevision ?? 'no_stream', metadata } as const;
      try {
        const result: AppendResult & { readonly readModelsUpdated?: boolean } = options.append
          ? await options.append(stream, newEvents, appendOptions, { before: state, after: newState })
          : await store.append(stream, newEvents, appendOptions);
        return {
          newEvents,
          newState,
          nextExpectedRevision: result.nextExpectedRevision,
          position: result.position,
          ...(result.readModelsUpdated && { readModelsUpdated: true }),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= maxAttempts) throw error;
      }
    }
  };
