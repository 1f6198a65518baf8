import { fromHex, seededRandom, toHex } from '../testing/seeded-random';
import { InMemoryTreeNodes } from './in-memory-tree-nodes';
import { leafHash, nodeHash } from './merkle-hash';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './merkle-proofs';
import { MerkleTree } from './merkle-tree';
import { rootHash } from './tree-hashes';
import { largestPowerOfTwoBelow } from './tree-sizes';

const MAX_SIZE = 300;
const leafHashes = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const nodes = new InMemoryTreeNodes();
const roots: Uint8Array[] = [rootHash([])];
{
  const tree = new MerkleTree();
  for (const hash of leafHashes) {
    nodes.append(hash);
    tree.append(hash);
    roots.push(tree.root());
  }
}
const rootOf = (size: number): Uint8Array => roots[size]!;

// RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as the RFC writes them, to check the iterative versions.
const definitionRoot = (d: Uint8Array[]): Uint8Array => {
  if (d.length === 1) return d[0]!;
  const k = largestPowerOfTwoBelow(d.length);
  return nodeHash(definitionRoot(d.slice(0, k)), definitionRoot(d.slice(k)));
};
const definitionPath = (m: number, d: Uint8Array[]): Uint8Array[] => {
  if (d.length === 1) return [];
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...definitionPath(m, d.slice(0, k)), definitionRoot(d.slice(k))]
    : [...definitionPath(m - k, d.slice(k)), definitionRoot(d.slice(0, k))];
};
const definitionSubproof = (m: number, d: Uint8Array[], b: boolean): Uint8Array[] => {
  if (m === d.length) return b ? [] : [definitionRoot(d)];
  const k = largestPowerOfTwoBelow(d.length);
  return m <= k
    ? [...definitionSubproof(m, d.slice(0, k), b), definitionRoot(d.slice(k))]
    : [...definitionSubproof(m - k, d.slice(k), false), definitionRoot(d.slice(0, k))];
};

const flipByte = (proof: Uint8Array[], which: number, at: number): Uint8Array[] =>
  proof.map((hash, i) => {
    if (i !== which) return hash;
    const flipped = Uint8Array.from(hash);
    flipped[at] = flipped[at]! ^ 0x01;
    return flipped;
  });

describe('Merkle proofs over every size up to 300', () => {
  it('agree with the RFC definitions, from leaf hashes and from stored subtrees alike', () => {
    for (let size = 1; size <= 64; size++) {
      const d = leafHashes.slice(0, size);
      expect(toHex(definitionRoot(d))).toBe(toHex(rootOf(size)));
      for (let index = 0; index < size; index++) {
        const expected = definitionPath(index, d).map(toHex);
        expect(inclusionProof(index, size, leafHashes).map(toHex)).toEqual(expected);
        expect(inclusionProof(index, size, nodes.subtreeHash).map(toHex)).toEqual(expected);
      }
      for (let oldSize = 1; oldSize <= size; oldSize++) {
        const expected = definitionSubproof(oldSize, d, true).map(toHex);
        expect(consistencyProof(oldSize, size, leafHashes).map(toHex)).toEqual(expected);
        expect(consistencyProof(oldSize, size, nodes.subtreeHash).map(toHex)).toEqual(expected);
      }
    }
  });

  it('verifies every inclusion proof of every leaf', () => {
    for (let size = 1; size <= MAX_SIZE; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(index, size, nodes.subtreeHash);
        if (!verifyInclusion(leafHashes[index]!, index, size, proof, rootOf(size))) {
          throw new Error(`inclusion of ${index} in ${size} did not verify`);
        }
      }
    }
  });

  it('verifies every consistency proof between every two sizes', () => {
    for (let newSize = 1; newSize <= MAX_SIZE; newSize++) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const proof = consistencyProof(oldSize, newSize, nodes.subtreeHash);
        if (!verifyConsistency(oldSize, newSize, rootOf(oldSize), rootOf(newSize), proof)) {
          throw new Error(`consistency from ${oldSize} to ${newSize} did not verify`);
        }
      }
    }
  });

  it('refuses an inclusion proof with a flipped byte, a wrong index, a wrong size or a wrong leaf', () => {
    const random = seededRandom(9162);
    for (let trial = 0; trial < 3000; trial++) {
      const size = 1 + random(MAX_SIZE);
      const index = random(size);
      const proof = inclusionProof(index, size, nodes.subtreeHash);
      const leaf = leafHashes[index]!;
      const root = rootOf(size);
      const rejected = (p: Uint8Array[], i: number, s: number, l = leaf, r = root) =>
        expect([trial, verifyInclusion(l, i, s, p, r)]).toEqual([trial, false]);

      if (proof.length > 0) rejected(flipByte(proof, random(proof.length), random(32)), index, size);
      if (size > 1) rejected(proof, (index + 1 + random(size - 1)) % size, size);
      const otherSize = 1 + random(MAX_SIZE);
      // A size is only wrong together with its root (a checkpoint signs both): trees of sizes whose paths
      // take the same turns share proofs, so a size alone, with the old root, proves nothing either way.
      if (otherSize !== size && index < otherSize) rejected(proof, index, otherSize, leaf, rootOf(otherSize));
      rejected(proof, index, size, leafHashes[(index + 1) % MAX_SIZE]);
      rejected([...proof, root], index, size);
      if (proof.length > 0) rejected(proof.slice(0, -1), index, size);
      rejected(proof, index, size, leaf, flipByte([root], 0, random(32))[0]);
    }
  });

  it('refuses a consistency proof with a flipped byte, wrong sizes or wrong roots', () => {
    const random = seededRandom(6962);
    for (let trial = 0; trial < 3000; trial++) {
      const newSize = 2 + random(MAX_SIZE - 1);
      const oldSize = 1 + random(newSize - 1);
      const proof = consistencyProof(oldSize, newSize, nodes.subtreeHash);
      const rejected = (
        p: Uint8Array[],
        m: number,
        n: number,
        oldRoot = rootOf(oldSize),
        newRoot = rootOf(newSize),
      ) => expect([trial, verifyConsistency(m, n, oldRoot, newRoot, p)]).toEqual([trial, false]);

      rejected(flipByte(proof, random(proof.length), random(32)), oldSize, newSize);
      const otherOld = 1 + random(newSize - 1);
      if (otherOld !== oldSize) rejected(proof, otherOld, newSize, rootOf(otherOld));
      const otherNew = oldSize + 1 + random(MAX_SIZE - oldSize);
      if (otherNew !== newSize) rejected(proof, oldSize, otherNew, rootOf(oldSize), rootOf(otherNew));
      rejected(proof, oldSize, newSize, rootOf(newSize), rootOf(oldSize));
      rejected(proof.slice(0, -1), oldSize, newSize);
      rejected([...proof, rootOf(oldSize)], oldSize, newSize);
      rejected([rootOf(oldSize), ...proof], oldSize, newSize);
      rejected(proof, oldSize, newSize, flipByte([rootOf(oldSize)], 0, random(32))[0]);
    }
  });

  it('takes hashes of any length only if they are 32 bytes', () => {
    const proof = inclusionProof(3, 10, leafHashes);
    const short = [...proof.slice(0, -1), fromHex('00')];
    expect(verifyInclusion(leafHashes[3]!, 3, 10, short, rootOf(10))).toBe(false);
    expect(verifyInclusion(leafHashes[3]!.subarray(1), 3, 10, proof, rootOf(10))).toBe(false);
  });
});
