import { type Checkpoint, type CheckpointSigner, type TrustedKey, verifyCheckpoint } from '../checkpoint';
import { MerkleTree } from '../merkle';
import { HASH_SIZE, sameHash, writeLeafHash } from '../merkle/merkle-hash';

/** One record of an export: its position in the log and the bytes its leaf hash is computed from. */
export interface AuditExportEntry {
  readonly index: number;
  /** The record's canonical bytes (`canonicalBytes(record)`); ignored for a redacted entry. */
  readonly bytes: Uint8Array;
  /**
   * Removed by the organization's retention policy: only its leaf hash remains (from `leafHashes`).
   * Redaction takes the oldest records first, so redacted entries form a prefix of the log.
   */
  readonly redacted?: boolean;
}

export interface AuditExport {
  /** The entries in log order, from index 0. */
  readonly entries: readonly AuditExportEntry[];
  /** Signed checkpoints (C2SP signed notes) of this log, in any order. */
  readonly checkpoints: readonly string[];
  readonly trustedKeys: readonly TrustedKey[];
  /** The log the export claims to be; when given, every checkpoint must name it. */
  readonly origin?: string;
  /**
   * The leaf hash of every entry as the log stored it, concatenated (32 bytes each). Not trusted by
   * itself: it stands in for redacted entries, and when an edit breaks a checkpoint it pinpoints the
   * edited entry — but only after the declared hashes are shown to rebuild that signed root.
   */
  readonly leafHashes?: Uint8Array;
}

export type ExportTampering =
  | 'edited'
  | 'deleted'
  | 'reordered'
  | 'truncated'
  | 'bad_signature'
  | 'inconsistent_checkpoints'
  | 'split_view'
  | 'redaction_invalid';

export interface VerifiedCheckpoint extends Checkpoint {
  readonly signedBy: readonly CheckpointSigner[];
}

export type ExportVerification =
  | {
      readonly ok: true;
      /** The number of entries. */
      readonly size: number;
      /** The size of the largest checkpoint: entries from there on are not vouched for by any signature. */
      readonly verifiedSize: number;
      /** Entries 0…redacted-1 were removed by retention; their hashes still take part in every root. */
      readonly redacted: number;
      readonly checkpoints: readonly VerifiedCheckpoint[];
    }
  | {
      readonly ok: false;
      /**
       * The first entry that cannot be vouched for; `null` when the fault is in the checkpoints alone.
       * Exact when the export's declared leaf hashes rebuild the checkpoint the edit breaks (or when
       * checkpoints are signed at every size); otherwise a checkpoint only tells whether a whole prefix
       * is intact, so the edit is placed at the end of the largest checkpoint still matching and the
       * edited entry lies between this index and the next checkpoint's size (said in `detail`).
       */
      readonly firstBadIndex: number | null;
      readonly reason: ExportTampering;
      readonly detail: string;
    };

/** What closes an export: its signed checkpoints and declared leaf hashes, and who is trusted to sign. */
export type ExportSeal = Omit<AuditExport, 'entries'>;

/**
 * Verifies an export offline, with nothing but the trusted keys: every checkpoint is signed by a trusted
 * key; no two checkpoints of one size differ (a split view); the entries are numbered 0…n-1 in order; the
 * root of every export prefix a checkpoint covers equals that checkpoint's root; and the export reaches
 * the largest checkpoint.
 *
 * Consecutive checkpoints need no consistency proof here: the export itself is the witness. When both
 * match their prefixes, they are consistent by construction; when a later one matches and an earlier one
 * does not, no consistency proof between them can exist (the earlier root would have to be the root of
 * the later tree's prefix, which the export just recomputed).
 *
 * The entries all in memory; `ExportVerifier` takes them one at a time.
 */
export const verifyExport = ({ entries, ...seal }: AuditExport): ExportVerification => {
  const verifier = new ExportVerifier();
  for (const entry of entries) verifier.add(entry);
  return verifier.finish(seal);
};

const INITIAL_CAPACITY = 1024;

/**
 * `verifyExport` for an export read one entry at a time (a file streamed line by line): each entry is
 * hashed as it arrives and only its 32-byte leaf hash is kept, plus a few positions for the numbering and
 * redaction checks. The checkpoints come last in an export, so the tree is built from the kept hashes
 * once they are known: one leaf hash and on average one node hash per entry, 32 bytes per entry.
 */
export class ExportVerifier {
  /** The leaf hash of every entry so far (zeros for redacted ones until the declared hashes arrive). */
  private leaves = Buffer.alloc(INITIAL_CAPACITY * HASH_SIZE);
  private count = 0;
  private redactedPrefix = 0;
  private firstLateRedaction: number | undefined;
  /** The first position whose entry carries another index; nothing from there on is hashed. */
  private misnumbered: { readonly position: number; readonly found: number } | undefined;
  /** Where the entry that belongs at the misnumbered position turned up later, if it did. */
  private misplacedAt: number | undefined;
  private finished = false;

  /** The number of entries added so far. */
  get size(): number {
    return this.count;
  }

  /** The next entry in log order. Its bytes are hashed at once and not kept. */
  add(entry: AuditExportEntry): void {
    if (this.finished) throw new Error('the export was already verified');
    const position = this.count++;
    if (entry.redacted === true) {
      if (position === this.redactedPrefix) this.redactedPrefix++;
      else this.firstLateRedaction ??= position;
    }
    if (this.misnumbered !== undefined) {
      if (this.misplacedAt === undefined && entry.index === this.misnumbered.position)
        this.misplacedAt = position;
      return;
    }
    if (entry.index !== position) {
      this.misnumbered = { position, found: entry.index };
      return;
    }
    if (this.leaves.length < this.count * HASH_SIZE) {
      const grown = Buffer.alloc(this.leaves.length * 2);
      grown.set(this.leaves);
      this.leaves = grown;
    }
    if (entry.redacted === true) return;
    writeLeafHash(entry.bytes, this.leaves, position * HASH_SIZE);
  }

  /** The verdict, once every entry was added; the verifier is spent afterwards. */
  finish({ checkpoints, trustedKeys, origin, leafHashes }: ExportSeal): ExportVerification {
    if (this.finished) throw new Error('the export was already verified');
    this.finished = true;
    const verified = verifySignatures(checkpoints, trustedKeys);
    if (!Array.isArray(verified)) return verified;
    const ordered = orderBySize(verified, origin);
    if (!Array.isArray(ordered)) return ordered;
    const declared = declaredHashes(leafHashes, this.count);
    const redaction = this.redactionFailure(declared);
    if (redaction !== undefined) return redaction;

    const hashed = this.misnumbered?.position ?? this.count;
    const computed = this.leaves.subarray(0, hashed * HASH_SIZE);
    // Redaction takes a prefix, so the redacted entries sit before the first misnumbered one or not at all.
    if (declared !== undefined) {
      const standIns = Math.min(this.redactedPrefix, hashed) * HASH_SIZE;
      computed.set(declared.subarray(0, standIns));
    }
    const matches: boolean[] = [];
    const tree = new MerkleTree();
    const compareCheckpointsAtCurrentSize = () => {
      for (let next = ordered[matches.length]; next?.treeSize === tree.size; next = ordered[matches.length]) {
        matches.push(sameHash(next.rootHash, tree.root()));
      }
    };
    compareCheckpointsAtCurrentSize();
    for (let position = 0; position < hashed; position++) {
      tree.append(computed.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE));
      compareCheckpointsAtCurrentSize();
    }

    const firstMismatch = matches.indexOf(false);
    if (firstMismatch >= 0) {
      const failure = mismatch(ordered, matches, firstMismatch);
      return failure.reason === 'edited' && declared
        ? pinpointEdit(failure, ordered[firstMismatch]!, declared, computed)
        : failure;
    }
    if (this.misnumbered !== undefined) return this.misnumberedFailure(this.misnumbered);
    const largest = ordered[ordered.length - 1] as VerifiedCheckpoint;
    if (largest.treeSize > this.count) {
      return {
        ok: false,
        firstBadIndex: this.count,
        reason: 'truncated',
        detail: `the export ends at ${this.count} entries, but a checkpoint vouches for ${largest.treeSize}`,
      };
    }
    return {
      ok: true,
      size: this.count,
      verifiedSize: largest.treeSize,
      redacted: this.redactedPrefix,
      checkpoints: ordered,
    };
  }

  /** Redaction anywhere but the oldest entries, or without hashes to stand in, is refused. */
  private redactionFailure(declared: Uint8Array | undefined): Failure | undefined {
    if (this.firstLateRedaction !== undefined)
      return {
        ok: false,
        firstBadIndex: this.firstLateRedaction,
        reason: 'redaction_invalid',
        detail: `entry ${this.firstLateRedaction} is redacted although entry ${this.redactedPrefix} before it is not: retention removes the oldest records first`,
      };
    if (this.redactedPrefix > 0 && declared === undefined)
      return {
        ok: false,
        firstBadIndex: 0,
        reason: 'redaction_invalid',
        detail: 'the export has redacted entries but no leaf hashes to stand in for them',
      };
    return undefined;
  }

  private misnumberedFailure({ position, found }: { position: number; found: number }): Failure {
    return this.misplacedAt !== undefined
      ? {
          ok: false,
          firstBadIndex: position,
          reason: 'reordered',
          detail: `entry ${position} is at position ${this.misplacedAt}; position ${position} holds entry ${found}`,
        }
      : {
          ok: false,
          firstBadIndex: position,
          reason: 'deleted',
          detail: `entry ${position} is missing; position ${position} holds entry ${found}`,
        };
  }
}

type Failure = Extract<ExportVerification, { ok: false }>;

/** Declared hashes that do not cover the entries one for one (an entry deleted or added) are no help: ignored. */
const declaredHashes = (hashes: Uint8Array | undefined, count: number): Uint8Array | undefined =>
  hashes?.length === count * HASH_SIZE ? hashes : undefined;

/**
 * When the declared leaf hashes rebuild the root the edit breaks, they are the log's true leaves (a
 * second preimage of a signed root is out of reach), so the first entry whose own hash differs from its
 * declared one is exactly the edited entry.
 */
const pinpointEdit = (
  failure: Failure,
  broken: VerifiedCheckpoint,
  declared: Uint8Array,
  computed: Uint8Array,
): Failure => {
  const leaf = (hashes: Uint8Array, i: number) => hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  const tree = new MerkleTree();
  for (let i = 0; i < broken.treeSize; i++) tree.append(leaf(declared, i));
  if (!sameHash(tree.root(), broken.rootHash)) return failure;
  for (let i = failure.firstBadIndex ?? 0; i < broken.treeSize; i++) {
    if (!sameHash(leaf(declared, i), leaf(computed, i)))
      return {
        ...failure,
        firstBadIndex: i,
        detail: `entry ${i} was changed: its bytes no longer hash to the leaf the checkpoint of size ${broken.treeSize} covers`,
      };
  }
  return failure;
};

const verifySignatures = (
  checkpoints: readonly string[],
  trustedKeys: readonly TrustedKey[],
): VerifiedCheckpoint[] | Failure => {
  if (checkpoints.length === 0) {
    return {
      ok: false,
      firstBadIndex: null,
      reason: 'bad_signature',
      detail: 'the export has no signed checkpoint',
    };
  }
  const verified: VerifiedCheckpoint[] = [];
  for (const [i, note] of checkpoints.entries()) {
    const verification = verifyCheckpoint(note, trustedKeys);
    if (!verification.ok) {
      return {
        ok: false,
        firstBadIndex: null,
        reason: 'bad_signature',
        detail: `checkpoint ${i}: ${verification.code}: ${verification.detail}`,
      };
    }
    verified.push({ ...verification.checkpoint, signedBy: verification.signedBy });
  }
  return verified;
};

/** The checkpoints by size, one per size (their signers merged); two roots for one size are a split view. */
const orderBySize = (
  checkpoints: readonly VerifiedCheckpoint[],
  origin: string | undefined,
): VerifiedCheckpoint[] | Failure => {
  const expectedOrigin = origin ?? (checkpoints[0] as VerifiedCheckpoint).origin;
  const foreign = checkpoints.find((checkpoint) => checkpoint.origin !== expectedOrigin);
  if (foreign !== undefined) {
    return {
      ok: false,
      firstBadIndex: null,
      reason: 'inconsistent_checkpoints',
      detail: `a checkpoint is for the log ${foreign.origin}, not ${expectedOrigin}`,
    };
  }
  const bySize = new Map<number, VerifiedCheckpoint>();
  for (const checkpoint of checkpoints) {
    const seen = bySize.get(checkpoint.treeSize);
    if (seen === undefined) {
      bySize.set(checkpoint.treeSize, checkpoint);
    } else if (!sameHash(seen.rootHash, checkpoint.rootHash)) {
      return {
        ok: false,
        firstBadIndex: null,
        reason: 'split_view',
        detail:
          `two signed checkpoints of size ${checkpoint.treeSize} have different roots: ` +
          `${describeCheckpoint(seen)} and ${describeCheckpoint(checkpoint)}`,
      };
    } else {
      bySize.set(checkpoint.treeSize, {
        ...seen,
        signedBy: mergeSigners(seen.signedBy, checkpoint.signedBy),
      });
    }
  }
  return [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize);
};

const mergeSigners = (
  first: readonly CheckpointSigner[],
  second: readonly CheckpointSigner[],
): CheckpointSigner[] => [
  ...first,
  ...second.filter(
    ({ name, keyId }) => !first.some((signer) => signer.name === name && signer.keyId === keyId),
  ),
];

const mismatch = (
  ordered: readonly VerifiedCheckpoint[],
  matches: readonly boolean[],
  first: number,
): Failure => {
  const intactUpTo = first === 0 ? 0 : (ordered[first - 1] as VerifiedCheckpoint).treeSize;
  const wrong = ordered[first] as VerifiedCheckpoint;
  const laterMatch = matches.indexOf(true, first + 1);
  if (laterMatch >= 0) {
    const later = ordered[laterMatch] as VerifiedCheckpoint;
    return {
      ok: false,
      firstBadIndex: intactUpTo,
      reason: 'inconsistent_checkpoints',
      detail:
        `the export matches ${describeCheckpoint(later)} but not the earlier ${describeCheckpoint(wrong)}: ` +
        `no consistency proof can join them, history was rewritten from entry ${intactUpTo} to ${wrong.treeSize - 1}`,
    };
  }
  const where =
    wrong.treeSize - intactUpTo === 1
      ? `entry ${intactUpTo} was changed`
      : `an entry from ${intactUpTo} to ${wrong.treeSize - 1} was changed`;
  return {
    ok: false,
    firstBadIndex: intactUpTo,
    reason: 'edited',
    detail: `${where}: the first ${wrong.treeSize} entries do not hash to ${describeCheckpoint(wrong)}`,
  };
};

const describeCheckpoint = (checkpoint: VerifiedCheckpoint): string =>
  `the checkpoint of size ${checkpoint.treeSize} (root ${Buffer.from(checkpoint.rootHash).toString('base64')}, ` +
  `signed by ${checkpoint.signedBy.map(({ name, keyId }) => `${name}+${keyId}`).join(', ')})`;
