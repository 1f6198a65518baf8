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

// `hash(…, 'buffer')` gives every digest a backing store of its own, which costs more than hashing a
// record; a 'binary' (latin1) digest string maps byte for byte onto a small buffer from Node's pool.
const digest = (input: Uint8Array): string => hash('sha256', input, 'binary');

const leafInputOf = (entry: Uint8Array): Uint8Array => {
  if (leafInput.length < entry.length + 1) leafInput = new Uint8Array(2 * (entry.length + 1));
  leafInput[0] = LEAF_PREFIX;
  leafInput.set(entry, 1);
  return leafInput.subarray(0, entry.length + 1);
};

/**
 * The hash of one log entry, `SHA-256(0x00 ‖ entry)`. The prefix differs from the one of interior nodes,
 * so the two children of a node can never be passed off as a single leaf (a second preimage).
 */
export const leafHash = (entry: Uint8Array): Uint8Array => Buffer.from(digest(leafInputOf(entry)), 'latin1');

/** `leafHash(entry)` written into `target` at `offset`: hashing many entries without a buffer each. */
export const writeLeafHash = (entry: Uint8Array, target: Buffer, offset: number): void => {
  if (offset < 0 || offset + HASH_SIZE > target.length) throw new RangeError('no room for the leaf hash');
  target.write(digest(leafInputOf(entry)), offset, HASH_SIZE, 'latin1');
};

/** The hash of an interior node, `SHA-256(0x01 ‖ left ‖ right)`. */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    throw new RangeError('a child hash is not 32 bytes');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return Buffer.from(digest(nodeInput), 'latin1');
};

export const sameHash = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
