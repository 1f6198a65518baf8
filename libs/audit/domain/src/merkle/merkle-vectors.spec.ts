import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../testing/seeded-random';
import { EMPTY_ROOT_HASH, leafHash, nodeHash, writeLeafHash } from './merkle-hash';
import { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './merkle-proofs';
import { MerkleTree } from './merkle-tree';
import { rootHash, rootHashAt } from './tree-hashes';

// The eight-leaf reference tree of the RFC 6962 reference implementation, as published in
// transparency-dev/merkle (testonly/constants.go, proof/verify_test.go).
const entries = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(fromHex);
const leafHashes = entries.map(leafHash);

const rootsBySize = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const leafHashesHex = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];

const inclusionVectors: { leafIndex: number; treeSize: number; proof: string[] }[] = [
  { leafIndex: 0, treeSize: 1, proof: [] },
  {
    leafIndex: 0,
    treeSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leafIndex: 5,
    treeSize: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leafIndex: 2, treeSize: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leafIndex: 1,
    treeSize: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  { leafIndex: 0, treeSize: 2, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'] },
  { leafIndex: 1, treeSize: 2, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'] },
];

const consistencyVectors: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const root = (size: number): Uint8Array => fromHex(rootsBySize[size]!);

describe('RFC 6962 / RFC 9162 reference vectors', () => {
  it('hashes leaves with the 0x00 prefix and the empty tree as SHA-256 of nothing', () => {
    expect(leafHashes.map(toHex)).toEqual(leafHashesHex);
    expect(toHex(EMPTY_ROOT_HASH)).toBe(rootsBySize[0]);
  });

  it('writes the same leaf hashes in place, one after another', () => {
    const target = Buffer.alloc(entries.length * 32);
    entries.forEach((entry, i) => writeLeafHash(entry, target, i * 32));
    expect(toHex(target)).toBe(leafHashesHex.join(''));
    expect(() => writeLeafHash(fromHex('00'), target, target.length - 31)).toThrow(RangeError);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('computes the root of size %i', (size) => {
    expect(toHex(rootHash(leafHashes.slice(0, size)))).toBe(rootsBySize[size]);
    expect(toHex(rootHashAt(size, leafHashes))).toBe(rootsBySize[size]);
    expect(toHex(MerkleTree.fromLeafHashes(leafHashes.slice(0, size)).root())).toBe(rootsBySize[size]);
  });

  it('resumes a tree from its frontier', () => {
    const tree = MerkleTree.fromLeafHashes(leafHashes.slice(0, 5));
    const resumed = MerkleTree.fromFrontier(5, tree.frontier);
    for (const hash of leafHashes.slice(5)) resumed.append(hash);
    expect(toHex(resumed.root())).toBe(rootsBySize[8]);
    expect(() => MerkleTree.fromFrontier(7, tree.frontier)).toThrow(RangeError);
  });

  it.each(inclusionVectors)(
    'generates and verifies the inclusion proof of leaf $leafIndex in a tree of size $treeSize',
    ({ leafIndex, treeSize, proof }) => {
      const generated = inclusionProof(leafIndex, treeSize, leafHashes);
      expect(generated.map(toHex)).toEqual(proof);
      expect(verifyInclusion(leafHashes[leafIndex]!, leafIndex, treeSize, generated, root(treeSize))).toBe(
        true,
      );
    },
  );

  it.each(consistencyVectors)(
    'generates and verifies the consistency proof from size $oldSize to size $newSize',
    ({ oldSize, newSize, proof }) => {
      const generated = consistencyProof(oldSize, newSize, leafHashes);
      expect(generated.map(toHex)).toEqual(proof);
      expect(verifyConsistency(oldSize, newSize, root(oldSize), root(newSize), generated)).toBe(true);
    },
  );

  it('handles the sizes the RFC leaves out', () => {
    expect(verifyConsistency(0, 0, EMPTY_ROOT_HASH, EMPTY_ROOT_HASH, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_ROOT_HASH, root(5), [])).toBe(true);
    expect(verifyConsistency(0, 5, root(1), root(5), [])).toBe(false);
    expect(verifyConsistency(3, 3, root(3), root(3), [])).toBe(true);
    expect(verifyConsistency(3, 3, root(3), root(4), [])).toBe(false);
    expect(verifyConsistency(3, 3, root(3), root(3), [root(3)])).toBe(false);
    expect(verifyConsistency(4, 3, root(4), root(3), [])).toBe(false);
    expect(verifyConsistency(1, 2, root(1), root(2), [])).toBe(false);
    expect(verifyInclusion(leafHashes[0]!, 0, 0, [], EMPTY_ROOT_HASH)).toBe(false);
    expect(verifyInclusion(leafHashes[1]!, 1, 1, [], root(1))).toBe(false);
    expect(() => inclusionProof(8, 8, leafHashes)).toThrow(RangeError);
    expect(() => consistencyProof(5, 4, leafHashes)).toThrow(RangeError);
    expect(() => rootHashAt(9, leafHashes)).toThrow(RangeError);
  });
});

describe('second preimages (AUD-5)', () => {
  const sha256 = (...parts: Uint8Array[]): Uint8Array => {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    return hash.digest();
  };
  const [left, right] = [leafHashes[0]!, leafHashes[1]!];
  const interiorNodeAsEntry = Buffer.concat([left, right]);

  it('refuses an interior node presented as a leaf', () => {
    // The tree of size 4 has children (leaves 0..1) and (leaves 2..3); claim the left child is one leaf.
    const siblingOfLeftChild = nodeHash(leafHashes[2]!, leafHashes[3]!);
    expect(verifyInclusion(leafHash(interiorNodeAsEntry), 0, 2, [siblingOfLeftChild], root(4))).toBe(false);
  });

  it('would be fooled without the 0x00 / 0x01 domain separation', () => {
    const naiveNode = (l: Uint8Array, r: Uint8Array) => sha256(l, r);
    const naiveRoot = naiveNode(naiveNode(left, right), naiveNode(leafHashes[2]!, leafHashes[3]!));
    const forgedLeaf = sha256(interiorNodeAsEntry);
    expect(toHex(naiveNode(forgedLeaf, naiveNode(leafHashes[2]!, leafHashes[3]!)))).toBe(toHex(naiveRoot));
  });
});
