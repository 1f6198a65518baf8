export { EMPTY_ROOT_HASH, HASH_SIZE, leafHash, nodeHash, sameHash, writeLeafHash } from './merkle-hash';
export { MerkleTree } from './merkle-tree';
export { InMemoryTreeNodes } from './in-memory-tree-nodes';
export { type PerfectSubtreeHash, rootHash, rootHashAt, subtreeHash, type TreeHashes } from './tree-hashes';
export { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from './merkle-proofs';
