import {
  type ExportVerification,
  ExportVerifier,
  noteKeyId,
  readRecordLine,
  type RecordLineFields,
  type TrustedKey,
} from '@mandate/audit-domain';
import { type ExportHeader } from '../log/export-format';

export interface ExportFileVerification {
  readonly origin: string;
  readonly verification: ExportVerification;
}

/** One line of an export, without its `\n`: text, or the UTF-8 bytes as they stand in the file. */
export type ExportLine = string | Uint8Array;

/** A C2SP verifier key: `<name>+<key id hex>+<base64 of 0x01 ‖ the 32-byte Ed25519 public key>`. */
export const parseVerifierKey = (text: string): TrustedKey => {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text.trim());
  const bytes = Buffer.from(match?.[3] ?? '', 'base64');
  if (!match || bytes.length !== 33 || bytes[0] !== 0x01)
    throw new Error(`"${text}" is not a verifier key (<name>+<key id>+<base64 key>)`);
  const key = { name: match[1]!, publicKey: bytes.subarray(1) };
  if (noteKeyId(key.name, key.publicKey) !== match[2])
    throw new Error(`"${text}": the key id does not belong to this name and key`);
  return key;
};

const malformed = (line: number, why: string) => new Error(`line ${line}: ${why}`);

const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;
const OPEN_OBJECT = 0x7b;

/** The line as text, decoded in place (a `Buffer.from(bytes)` would copy it first). */
const textOf = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

const parseLine = (text: string, number: number): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(number, 'not JSON');
  }
};

const member = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** The slow path, for a line `readRecordLine` cannot read with certainty. */
const parsedFields = (bytes: Uint8Array, number: number): RecordLineFields => {
  const value = parseLine(textOf(bytes), number);
  const index = member(value, 'sequence');
  return { index: typeof index === 'number' ? index : -1, redacted: member(value, 'redacted') === true };
};

/**
 * Verifies a JSON Lines export fed one line at a time: its header (origin and the keys it claims), one
 * record per line in log order, and last the line of signed checkpoints and leaf hashes. A record line is
 * hashed as it stands: the export writes each record's canonical JSON, the very bytes its leaf hash
 * covers, so nothing is re-serialized (any change to the line, even whitespace, is an edit; a CR before
 * the line end is a line end, never content: canonical JSON escapes every CR).
 *
 * Memory stays bounded by the entry count, not the file: 32 bytes per record plus the line in hand.
 * Which line is the last is only known at the end, so each line is taken as a record when the next one
 * arrives: the bytes of a line given as `Uint8Array` must stay unchanged until then.
 */
export class ExportLinesVerifier {
  private header: ExportHeader | undefined;
  private pending: { readonly bytes: Uint8Array; readonly number: number } | undefined;
  private number = 0;
  private readonly verifier = new ExportVerifier();

  /** Only `trustedKeys` vouch for checkpoints: the keys the export lists only when the caller says so. */
  constructor(private readonly trustedKeys: readonly TrustedKey[] | 'from-export') {}

  push(line: ExportLine): void {
    this.number += 1;
    let bytes: Uint8Array;
    if (typeof line === 'string') {
      if (line.trim() === '') return;
      bytes = Buffer.from(line.endsWith('\r') ? line.slice(0, -1) : line, 'utf8');
    } else {
      // A line starting with `{` is not blank; any other one is judged as text, exactly as a string would be.
      if (line[0] !== OPEN_OBJECT && textOf(line).trim() === '') return;
      bytes = line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, -1) : line;
    }
    if (this.header === undefined) {
      this.header = this.readHeader(bytes);
      return;
    }
    if (this.pending !== undefined) {
      const { bytes: record, number } = this.pending;
      const { index, redacted } = readRecordLine(record) ?? parsedFields(record, number);
      this.verifier.add({ index, bytes: record, redacted });
    }
    this.pending = { bytes, number: this.number };
  }

  finish(): ExportFileVerification {
    const header = this.header;
    const last = this.pending && parseLine(textOf(this.pending.bytes), this.pending.number);
    const checkpoints = member(last, 'checkpoints');
    if (header === undefined || !Array.isArray(checkpoints))
      throw malformed(this.number, 'an export has a header, records and a last line listing the checkpoints');
    const leafHashes = member(last, 'leafHashes');
    const keys =
      this.trustedKeys === 'from-export'
        ? header.keys.map((key) => ({ name: key.name, publicKey: Buffer.from(key.publicKey, 'base64') }))
        : this.trustedKeys;
    return {
      origin: header.origin,
      verification: this.verifier.finish({
        checkpoints: checkpoints as string[],
        trustedKeys: keys,
        origin: header.origin,
        ...(typeof leafHashes === 'string' && { leafHashes: Buffer.from(leafHashes, 'base64') }),
      }),
    };
  }

  private readHeader(bytes: Uint8Array): ExportHeader {
    const header = parseLine(textOf(bytes), this.number);
    if (member(header, 'format') !== 'mandate-audit-export')
      throw malformed(this.number, 'not a Mandate audit export header');
    return header as ExportHeader;
  }
}

/** Verifies a JSON Lines export held in one string (small exports: a string has at most 2^29 − 24 characters). */
export const verifyExportFile = (
  text: string,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): ExportFileVerification => verifyExportLines(text.split('\n'), trustedKeys);

/** `verifyExportFile` over the export's lines, taken one at a time and not kept. */
export const verifyExportLines = (
  lines: Iterable<ExportLine>,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): ExportFileVerification => {
  const verifier = new ExportLinesVerifier(trustedKeys);
  for (const line of lines) verifier.push(line);
  return verifier.finish();
};

/** `verifyExportLines` over lines that arrive asynchronously (e.g. `readline` over a file). */
export const verifyExportLinesAsync = async (
  lines: AsyncIterable<ExportLine>,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): Promise<ExportFileVerification> => {
  const verifier = new ExportLinesVerifier(trustedKeys);
  for await (const line of lines) verifier.push(line);
  return verifier.finish();
};

/**
 * Verifies an export read as raw bytes (e.g. `createReadStream(file)` without an encoding): lines are cut
 * at `\n` and hashed without being decoded, a line within one chunk as a view of it, one spanning chunks
 * copied once. Chunks must not be reused once handed over (Node's streams never do).
 */
export const verifyExportStream = async (
  chunks: AsyncIterable<Uint8Array>,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): Promise<ExportFileVerification> => {
  const verifier = new ExportLinesVerifier(trustedKeys);
  let carried: Uint8Array[] = [];
  for await (const chunk of chunks as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string')
      throw new TypeError('an export stream yields bytes, not text: open it without an encoding');
    let start = 0;
    for (let end = chunk.indexOf(LINE_FEED); end >= 0; end = chunk.indexOf(LINE_FEED, start)) {
      const piece = chunk.subarray(start, end);
      if (carried.length === 0) verifier.push(piece);
      else {
        carried.push(piece);
        verifier.push(Buffer.concat(carried));
        carried = [];
      }
      start = end + 1;
    }
    if (start < chunk.length) carried.push(chunk.subarray(start));
  }
  if (carried.length > 0) verifier.push(Buffer.concat(carried));
  return verifier.finish();
};
