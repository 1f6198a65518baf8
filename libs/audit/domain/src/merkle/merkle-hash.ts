import { hash } from 'node:crypto';

/** Every hash in the audit log is a SHA-256 digest. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** The root of the tree with no leaves: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT_HASH: Uint8Array = hash('sha256', new Uint8Array(0), 'buffer');

// Hashing is synchronous, so one reusable input buffer per kind spares an allocation per hash.
let leafInput = new Uint8Array(1024);
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/**
 * The hash of one log entry, `SHA-256(0x00 ‖ entry)`. The prefix differs from the one of interior nodes,
 * so the two children of a node can never be passed off as a single leaf (a second preimage).
 */
export const leafHash = (entry: Uint8Array): Uint8Array => {
  if (leafInput.length < entry.length + 1) leafInput = new Uint8Array(2 * (entry.length + 1));
  leafInput[0] = LEAF_PREFIX;
  leafInput.set(entry, 1);
  return hash('sha256', leafInput.subarray(0, entry.length + 1), 'buffer');
};

/** The hash of an interior node, `SHA-256(0x01 ‖ left ‖ right)`. */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    throw new RangeError('a child hash is not 32 bytes');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
};

export const sameHash = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
