export interface GroupCommitOptions {
  /** Most requests one group takes (64 by default). */
  readonly maxGroupSize?: number;
  /** Most groups in flight at once, each on its own connection (4 by default). */
  readonly maxConcurrentGroups?: number;
}

/** A queued request and how to settle it; a group settles each of its members exactly once. */
export interface Pending<T, R> {
  readonly request: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Queues concurrent requests and hands them to at most `maxConcurrentGroups` committers, each
 * taking up to `maxGroupSize` of them at a time. A request never waits for a timer: when a
 * committer is free it starts at once, so at low load a group has one member; under load requests
 * pile up behind the busy committers and the next group takes them together.
 *
 * Requests with the same key (stream) run one at a time, in arrival order: a group holds at most
 * one request per key, and a request whose key is in a group still in flight waits for it — the
 * committer of that group takes it next. Two appends to one stream so run one after the other.
 */
export class GroupCommitter<T, R> {
  private queue: Pending<T, R>[] = [];
  private readonly busyKeys = new Set<string>();
  private readonly committers = new Set<Promise<void>>();
  private readonly maxGroupSize: number;
  private readonly maxConcurrentGroups: number;

  constructor(
    private readonly commit: (group: Pending<T, R>[]) => Promise<void>,
    private readonly keyOf: (request: T) => string,
    { maxGroupSize = 64, maxConcurrentGroups = 4 }: GroupCommitOptions = {},
  ) {
    if (!(maxGroupSize >= 1 && maxConcurrentGroups >= 1)) throw new Error('Group commit limits must be ≥ 1');
    this.maxGroupSize = maxGroupSize;
    this.maxConcurrentGroups = maxConcurrentGroups;
  }

  submit(request: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.committers.size < this.maxConcurrentGroups) {
        const committer = this.drain().finally(() => this.committers.delete(committer));
        this.committers.add(committer);
      }
    });
  }

  /** Resolves once every request submitted so far has been settled. */
  async idle(): Promise<void> {
    while (this.committers.size > 0) await Promise.all(this.committers);
  }

  private async drain(): Promise<void> {
    for (let group = this.take(); group.length > 0; group = this.take()) {
      // `commit` settles each member; should it throw, nobody is left waiting forever.
      await this.commit(group).catch((error: unknown) => group.forEach((pending) => pending.reject(error)));
      for (const pending of group) this.busyKeys.delete(this.keyOf(pending.request));
    }
  }

  /** The oldest requests whose keys are free, one per key. */
  private take(): Pending<T, R>[] {
    const group: Pending<T, R>[] = [];
    this.queue = this.queue.filter((pending) => {
      const key = this.keyOf(pending.request);
      if (group.length === this.maxGroupSize || this.busyKeys.has(key)) return true;
      this.busyKeys.add(key);
      group.push(pending);
      return false;
    });
    return group;
  }
}
