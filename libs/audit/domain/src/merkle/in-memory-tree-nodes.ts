import { HASH_SIZE, nodeHash } from './merkle-hash';
import { type PerfectSubtreeHash } from './tree-hashes';
import { isPowerOfTwo } from './tree-sizes';

/**
 * Every perfect subtree hash of a growing tree, level by level (about 2n hashes for n leaves), so that
 * proofs are O(log n) lookups. It is the in-memory counterpart of the interior nodes infrastructure stores.
 */
export class InMemoryTreeNodes {
  private readonly levels: Uint8Array[][] = [[]];

  get size(): number {
    return this.levels[0]?.length ?? 0;
  }

  append(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_SIZE) throw new RangeError('a leaf hash is 32 bytes');
    let level = 0;
    let hash = leafHash;
    for (;;) {
      const nodes = this.levels[level] ?? [];
      this.levels[level] = nodes;
      nodes.push(hash);
      const index = nodes.length - 1;
      if (index % 2 === 0) return;
      hash = nodeHash(nodes[index - 1] as Uint8Array, hash);
      level++;
    }
  }

  readonly subtreeHash: PerfectSubtreeHash = (start, end) => {
    const size = end - start;
    if (!isPowerOfTwo(size) || start % size !== 0) {
      throw new RangeError(`[${start}, ${end}) is not a perfect subtree`);
    }
    const node = this.levels[Math.log2(size)]?.[start / size];
    if (node === undefined) throw new RangeError(`the subtree [${start}, ${end}) is not complete yet`);
    return node;
  };
}
