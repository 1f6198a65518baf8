import { parseVerifierKey, verifyExportStream } from '@mandate/audit-infrastructure/export-verification';
import { createReadStream } from 'node:fs';

export const USAGE = `usage: mandate audit verify <export.jsonl> (--key <name+keyid+base64> ... | --trust-export-keys)

Verifies a JSON Lines export of an organization's audit log offline: every checkpoint signed by a
trusted key, the records numbered 0…n-1 in order, each checkpoint's root equal to the root of the
records it covers. Exit 0 when intact, 1 when tampered (the first bad index is printed), 2 on misuse.
Trusted keys: GET /api/v1/audit/keys on the Mandate that produced the export.`;

/** Large reads: a million-record export is read in a few hundred chunks, each line hashed where it lies. */
const READ_CHUNK_BYTES = 1 << 20;

export interface Output {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** `mandate <args>`: the exit code, 0 intact, 1 tampered, 2 misuse or an unreadable export. */
export const runCli = async (args: readonly string[], io: Output): Promise<number> => {
  const [group, command, file, ...options] = args;
  if (group !== 'audit' || command !== 'verify' || !file) {
    io.error(USAGE);
    return 2;
  }
  try {
    const keys: ReturnType<typeof parseVerifierKey>[] = [];
    let trustExport = false;
    for (let i = 0; i < options.length; i++) {
      if (options[i] === '--key' && options[i + 1]) keys.push(parseVerifierKey(options[++i]!));
      else if (options[i] === '--trust-export-keys') trustExport = true;
      else {
        io.error(USAGE);
        return 2;
      }
    }
    if (keys.length === 0 && !trustExport) {
      io.error(USAGE);
      return 2;
    }
    // Streamed as bytes: memory grows with 32 bytes per record, not with the file.
    const { origin, verification } = await verifyExportStream(
      createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
      trustExport ? 'from-export' : keys,
    );
    if (verification.ok) {
      io.log(
        `intact: ${origin}, ${verification.size} records, ${verification.checkpoints.length} checkpoints, ` +
          `signed up to ${verification.verifiedSize}` +
          (verification.redacted > 0 ? `, the first ${verification.redacted} redacted by retention` : ''),
      );
      return 0;
    }
    io.log(
      `TAMPERED: ${origin}: ${verification.reason}` +
        (verification.firstBadIndex === null ? '' : ` at index ${verification.firstBadIndex}`) +
        ` — ${verification.detail}`,
    );
    return 1;
  } catch (error: unknown) {
    io.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
};
