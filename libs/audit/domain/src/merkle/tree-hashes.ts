import { EMPTY_ROOT_HASH, nodeHash } from './merkle-hash';
import { MerkleTree } from './merkle-tree';
import { isPowerOfTwo, isTreeSize, largestPowerOfTwoBelow } from './tree-sizes';

/**
 * The hash of the perfect subtree over the leaves [start, end): `end - start` is a power of two and
 * `start` a multiple of it. Infrastructure that stores the tree's interior nodes answers this with one
 * lookup, so proofs cost O(log n) instead of rehashing the leaves.
 */
export type PerfectSubtreeHash = (start: number, end: number) => Uint8Array;

/**
 * Where a tree's hashes come from: every leaf hash in order (a proof then rehashes the leaves under its
 * siblings, O(n)), or a lookup of its perfect subtrees (O(log n) lookups, e.g. `InMemoryTreeNodes`).
 */
export type TreeHashes = readonly Uint8Array[] | PerfectSubtreeHash;

/** The RFC 9162 root hash of a list of leaf hashes, of any size (the empty list has `EMPTY_ROOT_HASH`). */
export const rootHash = (leafHashes: readonly Uint8Array[]): Uint8Array =>
  rootHashAt(leafHashes.length, leafHashes);

/** The root hash of the tree made of the first `treeSize` leaves: the root of an earlier size of the log. */
export const rootHashAt = (treeSize: number, hashes: TreeHashes): Uint8Array => {
  if (!isTreeSize(treeSize)) throw new RangeError(`tree size ${treeSize} is not a non-negative integer`);
  return treeSize === 0 ? EMPTY_ROOT_HASH : subtreeHash(hashes, 0, treeSize);
};

/**
 * MTH(D[start:end]) for a subtree as RFC 9162 splits trees: `start` is a multiple of the smallest power of
 * two not below the subtree's size, which holds for the whole tree and, recursively, for both children.
 */
export const subtreeHash = (hashes: TreeHashes, start: number, end: number): Uint8Array => {
  if (typeof hashes === 'function') return fromPerfectSubtrees(hashes, start, end);
  if (end > hashes.length)
    throw new RangeError(`leaf ${end - 1} is beyond the ${hashes.length} leaf hashes given`);
  const tree = new MerkleTree();
  for (let i = start; i < end; i++) tree.append(hashes[i] as Uint8Array);
  return tree.root();
};

// A ragged subtree is a run of perfect subtrees, each the largest that fits, hashed together from the right.
const fromPerfectSubtrees = (perfect: PerfectSubtreeHash, start: number, end: number): Uint8Array => {
  const leftPieces: Uint8Array[] = [];
  let pieceStart = start;
  while (!isPowerOfTwo(end - pieceStart)) {
    const pieceSize = largestPowerOfTwoBelow(end - pieceStart);
    leftPieces.push(perfect(pieceStart, pieceStart + pieceSize));
    pieceStart += pieceSize;
  }
  let hash = perfect(pieceStart, end);
  for (let i = leftPieces.length - 1; i >= 0; i--) hash = nodeHash(leftPieces[i] as Uint8Array, hash);
  return hash;
};
