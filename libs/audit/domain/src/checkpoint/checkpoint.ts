import { HASH_SIZE } from '../merkle';
import { hasControlCharacter, malformedNote, strictBase64 } from './signed-note';

/** The head of a log at one size (C2SP tlog-checkpoint): which log, how many leaves, their root hash. */
export interface Checkpoint {
  /** The log's identity, e.g. `mandate.example/audit/org_…`. */
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** Opaque, optional lines after the root hash; C2SP discourages them as monitors cannot audit them. */
  readonly extensions: readonly string[];
}

/** The checkpoint's note text: origin, decimal size, base64 root hash, extension lines, each ending in a newline. */
export const formatCheckpoint = ({ origin, treeSize, rootHash, extensions }: Checkpoint): string => {
  const isLine = (line: string) => line.length > 0 && !hasControlCharacter(line, { newlines: false });
  if (!isLine(origin)) throw new TypeError('an origin is one non-empty line');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) {
    throw new TypeError(`tree size ${treeSize} is not a size`);
  }
  if (rootHash.length !== HASH_SIZE) throw new TypeError('a root hash is 32 bytes');
  if (!extensions.every(isLine)) {
    throw new TypeError('an extension line is one non-empty line');
  }
  const lines = [origin, String(treeSize), Buffer.from(rootHash).toString('base64'), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
};

export const parseCheckpoint = (text: string): Checkpoint => {
  if (!text.endsWith('\n')) throw malformedNote('a checkpoint ends in a newline');
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || size === undefined || root === undefined) {
    throw malformedNote('a checkpoint has an origin, a tree size and a root hash');
  }
  if (origin.length === 0) throw malformedNote('a checkpoint origin is not empty');
  if (!/^(?:0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw malformedNote(`"${size}" is not a tree size`);
  }
  const rootHash = strictBase64(root);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw malformedNote(`"${root}" is not a root hash`);
  }
  if (extensions.some((line) => line.length === 0)) throw malformedNote('a checkpoint has no empty line');
  return { origin, treeSize: Number(size), rootHash, extensions };
};
