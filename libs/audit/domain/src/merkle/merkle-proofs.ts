import { EMPTY_ROOT_HASH, HASH_SIZE, nodeHash, sameHash } from './merkle-hash';
import { subtreeHash, type TreeHashes } from './tree-hashes';
import { half, isOdd, isPowerOfTwo, isTreeSize, largestPowerOfTwoBelow } from './tree-sizes';

/**
 * The inclusion proof (audit path) of the leaf at `leafIndex` in the tree of the first `treeSize` leaves,
 * RFC 9162 §2.1.3.1: the sibling hashes from the leaf up to the root.
 */
export const inclusionProof = (leafIndex: number, treeSize: number, hashes: TreeHashes): Uint8Array[] => {
  if (!isTreeSize(treeSize) || !isTreeSize(leafIndex) || leafIndex >= treeSize) {
    throw new RangeError(`leaf ${leafIndex} is not in a tree of size ${treeSize}`);
  }
  // Walk down from the root, keeping the sibling of the side that holds the leaf; the proof lists them bottom up.
  const siblings: Uint8Array[] = [];
  let start = 0;
  let end = treeSize;
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (leafIndex < split) {
      siblings.push(subtreeHash(hashes, split, end));
      end = split;
    } else {
      siblings.push(subtreeHash(hashes, start, split));
      start = split;
    }
  }
  return siblings.reverse();
};

/**
 * The consistency proof between the tree of the first `oldSize` leaves and the tree of the first `newSize`,
 * RFC 9162 §2.1.4.1: the fewest subtree hashes from which both roots can be recomputed.
 */
export const consistencyProof = (oldSize: number, newSize: number, hashes: TreeHashes): Uint8Array[] => {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) {
    throw new RangeError(`no consistency proof from size ${oldSize} to size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const nodes: Uint8Array[] = [];
  let start = 0;
  let end = newSize;
  let oldSizeInSubtree = oldSize;
  // Whether the old tree's root is itself a node of the new tree (then the verifier already has it).
  let oldRootIsKnown = true;
  while (oldSizeInSubtree !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (oldSizeInSubtree <= k) {
      nodes.push(subtreeHash(hashes, start + k, end));
      end = start + k;
    } else {
      nodes.push(subtreeHash(hashes, start, start + k));
      start += k;
      oldSizeInSubtree -= k;
      oldRootIsKnown = false;
    }
  }
  if (!oldRootIsKnown) nodes.push(subtreeHash(hashes, start, end));
  return nodes.reverse();
};

/**
 * RFC 9162 §2.1.3.2, step for step. `leafHash` must be computed by the verifier from the entry itself
 * (`leafHash(entry)`), never taken from the party that supplies the proof.
 */
export const verifyInclusion = (
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean => {
  if (!isTreeSize(treeSize) || !isTreeSize(leafIndex) || leafIndex >= treeSize) return false;
  if (!allHashes(proof) || leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
};

/**
 * RFC 9162 §2.1.4.2, step for step, plus the cases the RFC leaves out: equal sizes are consistent when
 * the roots are equal and the proof empty; the empty tree is consistent with every tree.
 */
export const verifyConsistency = (
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean => {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) return false;
  if (!allHashes(proof) || oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE) return false;
  if (oldSize === 0) return proof.length === 0 && sameHash(oldRoot, EMPTY_ROOT_HASH);
  if (oldSize === newSize) return proof.length === 0 && sameHash(oldRoot, newRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, oldRoot) && sameHash(sr, newRoot);
};

const allHashes = (proof: readonly Uint8Array[]): boolean => proof.every((hash) => hash.length === HASH_SIZE);
