import { type ExportVerification, noteKeyId, type TrustedKey, verifyExport } from '@mandate/audit-domain';
import { type ExportHeader } from '../log/export-format';

export interface ExportFileVerification {
  readonly origin: string;
  readonly verification: ExportVerification;
}

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

/**
 * A record line is hashed as it stands: the export writes each record's canonical JSON, the very bytes
 * its leaf hash covers, so nothing is re-serialized (any change to the line, even whitespace, is an edit;
 * a CR before the line end is a line end, never content: canonical JSON escapes every CR).
 */
const entryOf = (value: Record<string, unknown>, line: string) => {
  const index = value['sequence'];
  return {
    index: typeof index === 'number' ? index : -1,
    bytes: Buffer.from(line.endsWith('\r') ? line.slice(0, -1) : line, 'utf8'),
    redacted: value['redacted'] === true,
  };
};

/**
 * Verifies a JSON Lines export offline: its header (origin and the keys it claims), one record per line
 * in log order, and the line of signed checkpoints. Only `trustedKeys` vouch for checkpoints: the keys
 * the export itself lists are used when the caller chooses to trust them, never silently.
 */
export const verifyExportFile = (
  text: string,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): ExportFileVerification => verifyExportLines(text.split('\n'), trustedKeys);

/** `verifyExportFile` over the export's lines, e.g. read one by one from a file too large for one string. */
export const verifyExportLines = (
  allLines: Iterable<string>,
  trustedKeys: readonly TrustedKey[] | 'from-export',
): ExportFileVerification => {
  const parse = (line: string, number: number): Record<string, unknown> => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw malformed(number, 'not JSON');
    }
  };
  let header: ExportHeader | undefined;
  let last: { value: Record<string, unknown>; line: string } | undefined;
  const entries: { index: number; bytes: Uint8Array; redacted: boolean }[] = [];
  let number = 0;
  for (const line of allLines) {
    number += 1;
    if (line.trim() === '') continue;
    const value = parse(line, number);
    if (header === undefined) {
      header = value as unknown as ExportHeader;
      if (header.format !== 'mandate-audit-export')
        throw malformed(number, 'not a Mandate audit export header');
      continue;
    }
    if (last !== undefined) entries.push(entryOf(last.value, last.line));
    last = { value, line };
  }
  if (header === undefined || last === undefined || !Array.isArray(last.value['checkpoints']))
    throw malformed(number, 'an export has a header, records and a last line listing the checkpoints');
  const { checkpoints, leafHashes } = last.value as { checkpoints: string[]; leafHashes?: unknown };
  const keys =
    trustedKeys === 'from-export'
      ? header.keys.map((key) => ({ name: key.name, publicKey: Buffer.from(key.publicKey, 'base64') }))
      : trustedKeys;
  return {
    origin: header.origin,
    verification: verifyExport({
      entries,
      checkpoints,
      trustedKeys: keys,
      origin: header.origin,
      ...(typeof leafHashes === 'string' && { leafHashes: Buffer.from(leafHashes, 'base64') }),
    }),
  };
};
