/**
 * Revoked grants, as a resource server holds them: in memory, fed by a follower of Mandate's
 * revocation feed (Kafka or HTTP). A token whose `grant_id` is revoked is refused.
 *
 * Guarantee: a token is refused at most one feed delay after its revocation is committed. Limit:
 * while the feed is out (`connected: false`) revocations made meanwhile are not known yet; a caller
 * that prefers to refuse everything then can check `connected` and fail closed.
 */
export interface RevocationList {
  isRevoked(grantId: string): boolean;
  /** Resolves once the revocations committed before the start are known (the initial catch-up). */
  ready(): Promise<void>;
  close(): Promise<void>;
  /** Whether the follower is receiving the feed now. */
  readonly connected: boolean;
}

/** A list fed by one of Mandate's revocation feeds. */
export interface RevocationFollower extends RevocationList {
  /** How many revoked grants are held now. */
  readonly size: number;
}

/** One revocation, as the feed carries it (the `authn.grant.revoked` data). */
export interface GrantRevocation {
  readonly grantId: string;
  readonly orgId: string;
  readonly subject: string;
  readonly clientId: string;
  readonly actor: string | null;
  readonly reason: string;
  readonly revokedAt: string;
  readonly expiresAt: string;
}

export interface RevokedGrantsOptions {
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /**
   * How long after `expiresAt` a grant is still remembered: verifiers accept `exp` up to their clock
   * tolerance late, so this must exceed it (5 min by default).
   */
  readonly retentionMs?: number;
  /** How often expired grants are forgotten (1 min by default). */
  readonly pruneEveryMs?: number;
}

/**
 * The grant ids, each forgotten once its tokens have expired (`expiresAt` + retention): memory is
 * bounded by the revocations whose tokens could still be presented.
 */
export class RevokedGrants {
  private readonly forgetAt = new Map<string, number>();
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly pruneEveryMs: number;
  private lastPrunedAt: number;

  constructor(options: RevokedGrantsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.retentionMs = options.retentionMs ?? 5 * 60_000;
    this.pruneEveryMs = options.pruneEveryMs ?? 60_000;
    this.lastPrunedAt = this.now();
  }

  /** Records a revocation; false when it was already expired (nothing to remember) or known. */
  add(revocation: Pick<GrantRevocation, 'grantId' | 'expiresAt'>): boolean {
    const expiresAt = Date.parse(revocation.expiresAt);
    const forgetAt = (Number.isNaN(expiresAt) ? Number.POSITIVE_INFINITY : expiresAt) + this.retentionMs;
    this.pruneIfDue();
    if (forgetAt <= this.now()) return false;
    const known = this.forgetAt.get(revocation.grantId);
    if (known !== undefined && known >= forgetAt) return false;
    this.forgetAt.set(revocation.grantId, forgetAt);
    return known === undefined;
  }

  has(grantId: string): boolean {
    const forgetAt = this.forgetAt.get(grantId);
    if (forgetAt === undefined) return false;
    if (forgetAt > this.now()) return true;
    this.forgetAt.delete(grantId);
    return false;
  }

  get size(): number {
    return this.forgetAt.size;
  }

  /** Forgets every grant whose tokens have all expired. */
  prune(): void {
    const now = this.now();
    this.lastPrunedAt = now;
    for (const [grantId, forgetAt] of this.forgetAt) if (forgetAt <= now) this.forgetAt.delete(grantId);
  }

  private pruneIfDue(): void {
    if (this.now() - this.lastPrunedAt >= this.pruneEveryMs) this.prune();
  }
}

/** A list for tests and for services that accept revocation only at `exp`: the given grants, or none. */
export const staticRevocations = (
  grantIds: Iterable<string> = [],
): RevocationList & { revoke(grantId: string): void } => {
  const revoked = new Set(grantIds);
  return {
    isRevoked: (grantId) => revoked.has(grantId),
    revoke: (grantId) => void revoked.add(grantId),
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
    connected: true,
  };
};
