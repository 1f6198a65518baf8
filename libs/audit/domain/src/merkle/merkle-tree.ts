import { EMPTY_ROOT_HASH, HASH_SIZE, nodeHash } from './merkle-hash';
import { countOnes, half, isOdd, isTreeSize } from './tree-sizes';

/**
 * An append-only RFC 9162 Merkle tree that keeps only its frontier (a "compact range"): the roots of the
 * perfect subtrees the tree is made of, one per set bit of its size, the largest (leftmost) first. That is
 * O(log n) hashes; appending costs one node hash on average and the root O(log n).
 */
export class MerkleTree {
  private treeSize = 0;
  private readonly peaks: Uint8Array[] = [];

  /** Resumes a tree from a frontier stored earlier (see `frontier`). */
  static fromFrontier(size: number, frontier: readonly Uint8Array[]): MerkleTree {
    if (!isTreeSize(size)) throw new RangeError(`tree size ${size} is not a non-negative integer`);
    if (frontier.length !== countOnes(size)) {
      throw new RangeError(
        `a tree of size ${size} has ${countOnes(size)} frontier hashes, not ${frontier.length}`,
      );
    }
    if (frontier.some((peak) => peak.length !== HASH_SIZE))
      throw new RangeError('a frontier hash is not 32 bytes');
    const tree = new MerkleTree();
    tree.treeSize = size;
    tree.peaks.push(...frontier);
    return tree;
  }

  static fromLeafHashes(leafHashes: Iterable<Uint8Array>): MerkleTree {
    const tree = new MerkleTree();
    for (const hash of leafHashes) tree.append(hash);
    return tree;
  }

  get size(): number {
    return this.treeSize;
  }

  get frontier(): readonly Uint8Array[] {
    return [...this.peaks];
  }

  append(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) throw new RangeError('a leaf hash is 32 bytes');
    let hash = leafHash;
    // Each trailing one bit of the old size is a perfect subtree of the new leaf's size: merge them.
    for (let size = this.treeSize; isOdd(size); size = half(size)) {
      const left = this.peaks.pop();
      if (left === undefined) throw new Error('the frontier is shorter than its size says');
      hash = nodeHash(left, hash);
    }
    this.peaks.push(hash);
    this.treeSize++;
  }

  /** The root hash at the current size: the peaks folded from the right, as RFC 9162 splits a tree. */
  root(): Uint8Array {
    let root = this.peaks[this.peaks.length - 1];
    if (root === undefined) return EMPTY_ROOT_HASH;
    for (let i = this.peaks.length - 2; i >= 0; i--) root = nodeHash(this.peaks[i] as Uint8Array, root);
    return root;
  }
}
