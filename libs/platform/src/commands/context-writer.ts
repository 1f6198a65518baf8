import {
  type AppendMetadata,
  type CommandResult,
  commandHandler,
  type DecisionAppender,
  type EventStore,
  type ExpectedRevision,
  uuidv7,
} from '@mandate/eventstore';
import {
  type Actor,
  type Decider,
  type Event,
  type GlobalPosition,
  type RecordedEvent,
} from '@mandate/kernel';
import { principalActor } from '../auth/principal';
import { ApiProblem } from '../errors/problem';
import { currentRequestContext } from '../request-context/request-context';

export const READ_YOUR_WRITES_TIMEOUT_MS = 15_000;

/** Who and what caused a write, when it is not the HTTP request being handled (a reaction, a scheduler). */
export interface WriteCause {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
}

/** The cause of a context's reaction to an event: the context itself acts, in the event's story. */
export const causedBy = (event: RecordedEvent, context: string): WriteCause => ({
  actor: { type: 'system', id: context },
  correlationId: event.correlationId,
  causationId: event.id,
});

export interface WriteOptions {
  /** The revision the caller saw (an `If-Match` ETag): a different one is a conflict, never retried. */
  readonly expectedRevision?: number;
  readonly cause?: WriteCause;
}

/** What a write waits for before it answers: the read model reaching the write's position. */
export interface ReadModelProgress {
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void>;
}

interface TypedCommand {
  readonly type: string;
  readonly data: unknown;
  readonly now: Date;
}

/**
 * Runs a context's commands: load → decide → append → wait until the read model reflects the write,
 * so the caller's next read sees it. Actor, correlation and causation come from the request being
 * handled, or from the event a reaction handles (`cause`).
 */
export class ContextWriter {
  constructor(
    private readonly store: EventStore,
    private readonly readModel: ReadModelProgress,
    readonly clock: () => Date,
    private readonly context: string,
  ) {}

  handlerFor<State, Command extends TypedCommand, E extends Event>(
    decider: Decider<State, Command, E>,
    append?: DecisionAppender<State, E>,
  ) {
    const handle = commandHandler(this.store, decider, { ...(append && { append }) });
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
      if (result.position && !result.readModelsUpdated) await this.readYourWrite(result.position);
      return result;
    };
  }

  /** Appends events that need no decision (facts already validated), then waits for the read model. */
  async append(
    stream: string,
    orgId: string,
    events: readonly Event[],
    cause?: WriteCause,
  ): Promise<GlobalPosition> {
    return this.appendExpecting(stream, orgId, events, 'any', cause);
  }

  /** `append` at an expected revision: a `WrongExpectedRevisionError` says someone else wrote first. */
  async appendExpecting(
    stream: string,
    orgId: string,
    events: readonly Event[],
    expectedRevision: ExpectedRevision,
    cause?: WriteCause,
  ): Promise<GlobalPosition> {
    const { position } = await this.store.append(stream, events, {
      expectedRevision,
      metadata: this.metadata(orgId, cause),
    });
    await this.readYourWrite(position);
    return position;
  }

  /** The write is durable; if the read models lag that far behind, say so rather than fail it. */
  private async readYourWrite(position: GlobalPosition): Promise<void> {
    try {
      await this.readModel.waitFor(position, READ_YOUR_WRITES_TIMEOUT_MS);
    } catch {
      throw new ApiProblem(
        'PLATFORM_SERVICE_UNAVAILABLE',
        'The change is stored, but the read models have not caught up with it yet; read it again shortly.',
        { headers: { 'Retry-After': '1' } },
      );
    }
  }

  metadata(orgId: string, cause: WriteCause | undefined): AppendMetadata {
    if (cause) return { orgId, ...cause };
    const context = currentRequestContext();
    return {
      orgId,
      actor: context?.principal ? principalActor(context.principal) : { type: 'system', id: this.context },
      correlationId: context?.correlationId ?? uuidv7(),
      causationId: context?.requestId ?? null,
    };
  }
}
