import {
  type AppendMetadata,
  type CommandResult,
  commandHandler,
  type EventStore,
  uuidv7,
} from '@mandate/eventstore';
import { type Actor, type Decider, type Event, type GlobalPosition } from '@mandate/kernel';
import { currentRequestContext, principalActor } from '@mandate/platform';
import { type Reservation, type ReservationStore } from './reservations';

export const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/** Who and what caused a write, when it is not the HTTP request being handled (a reaction, a scheduler). */
export interface WriteCause {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
}

interface ReadModel {
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void>;
}

export interface WriteOptions {
  /** The revision the caller saw (an `If-Match` ETag): a different one is a conflict, never retried. */
  readonly expectedRevision?: number;
  readonly cause?: WriteCause;
}

interface TypedCommand {
  readonly type: string;
  readonly data: unknown;
  readonly now: Date;
}

/**
 * Runs a decider's commands for the directory: load → decide → append (with the uniqueness
 * reservations the transition implies) → wait until the read model reflects the write, so the
 * caller's next read sees it. Actor, correlation and causation come from the request, or from the
 * event a reaction handles.
 */
export class DirectoryWriter {
  constructor(
    private readonly store: EventStore,
    private readonly readModel: ReadModel,
    private readonly reservations: ReservationStore,
    readonly clock: () => Date,
  ) {}

  handlerFor<State, Command extends TypedCommand, E extends Event>(
    decider: Decider<State, Command, E>,
    reservationsOf?: (state: State) => readonly Reservation[],
  ) {
    const handle = commandHandler(this.store, decider, {
      ...(reservationsOf && { append: this.reservations.appender<State, E>(reservationsOf) }),
    });
    return async <C extends Command>(
      stream: string,
      orgId: string,
      type: C['type'],
      data: C['data'],
      options: WriteOptions = {},
    ): Promise<CommandResult<State, E>> => {
      const command = { type, data, now: this.clock() } as unknown as Command;
      const result = await handle(
        stream,
        command,
        this.metadata(orgId, options.cause),
        options.expectedRevision === undefined ? undefined : { expectedRevision: options.expectedRevision },
      );
      if (result.position) await this.readModel.waitFor(result.position, READ_YOUR_WRITES_TIMEOUT_MS);
      return result;
    };
  }

  private metadata(orgId: string, cause: WriteCause | undefined): AppendMetadata {
    if (cause) return { orgId, ...cause };
    const context = currentRequestContext();
    return {
      orgId,
      actor: context?.principal ? principalActor(context.principal) : { type: 'system', id: 'directory' },
      correlationId: context?.correlationId ?? uuidv7(),
      causationId: context?.requestId ?? null,
    };
  }
}
