import {
  canonicalJson,
  type ExportVerification,
  leafHash,
  MerkleTree,
  signCheckpoint,
  verifyExport,
} from '@mandate/audit-domain';
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { exportHeader, verifierKey } from '../log/export-format';
import {
  type ExportFileVerification,
  parseVerifierKey,
  verifyExportFile,
  verifyExportLines,
  verifyExportLinesAsync,
  verifyExportStream,
} from './verify-export-file';

const ORIGIN = 'mandate.example/audit/org_01HZX3';
const SIZE = 30;

const newKey = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name: ORIGIN, privateKey, publicKey, createdAt: new Date('2026-03-02T09:00:00Z') };
};

/** Records whose strings and nested members try to pass for the record's own `sequence` and `redacted`. */
const recordLine = (sequence: number): string =>
  canonicalJson({
    action: 'invoice.approved',
    metadata: {
      note: `say "sequence":${sequence + 1000}, and \\"redacted\\":true`,
      nested: { sequence: sequence + 2000, redacted: true, list: [{ sequence: -1 }, '{"sequence":5}'] },
      path: 'C:\\audit\\',
    },
    sequence,
    targets: [{ id: `inv_${sequence}`, type: 'invoice', echo: ',"sequence":0}' }],
  });

const redactedLine = (sequence: number) => canonicalJson({ id: `rec_${sequence}`, redacted: true, sequence });

/** An export as Mandate writes it: header, record lines, then the signed checkpoints and leaf hashes. */
const exportLines = (
  key: ReturnType<typeof newKey>,
  records: readonly string[],
  sizes: readonly number[],
  leafHashesOf: readonly string[] = records,
): string[] => {
  const leaves = leafHashesOf.map((line) => leafHash(Buffer.from(line)));
  const checkpoints = sizes.map((treeSize) =>
    signCheckpoint(
      {
        origin: ORIGIN,
        treeSize,
        rootHash: MerkleTree.fromLeafHashes(leaves.slice(0, treeSize)).root(),
        extensions: [],
      },
      { name: key.name, privateKey: key.privateKey },
    ),
  );
  return [
    JSON.stringify(exportHeader(ORIGIN, [key])),
    ...records,
    JSON.stringify({ checkpoints, leafHashes: Buffer.concat(leaves).toString('base64') }),
  ];
};

/** How the verifier read an export before it streamed: every line through JSON.parse, then `verifyExport`. */
const referenceVerification = (lines: readonly string[], key: ReturnType<typeof newKey>) => {
  const [, ...rest] = lines.filter((line) => line.trim() !== '');
  const last = JSON.parse(rest.pop()!) as { checkpoints: string[]; leafHashes: string };
  return verifyExport({
    entries: rest.map((line) => {
      const value = JSON.parse(line) as Record<string, unknown>;
      return {
        index: typeof value['sequence'] === 'number' ? value['sequence'] : -1,
        bytes: Buffer.from(line.endsWith('\r') ? line.slice(0, -1) : line),
        redacted: value['redacted'] === true,
      };
    }),
    checkpoints: last.checkpoints,
    trustedKeys: [parseVerifierKey(verifierKey(key))],
    origin: ORIGIN,
    leafHashes: Buffer.from(last.leafHashes, 'base64'),
  });
};

/** The export's bytes cut into chunks of `size`, so that lines straddle chunks. */
const chunked = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
};

async function* asyncLines(lines: readonly string[]) {
  for (const line of lines) yield await Promise.resolve(line);
}

/** Every way to feed the streaming verifier, each expected to reach the same verdict. */
const everyWay = async (lines: readonly string[], key: ReturnType<typeof newKey>) => {
  const keys = [parseVerifierKey(verifierKey(key))];
  const text = `${lines.join('\n')}\n`;
  const results: [string, ExportFileVerification][] = [
    ['file text', verifyExportFile(text, keys)],
    ['string lines', verifyExportLines(lines, keys)],
    [
      'byte lines',
      verifyExportLines(
        lines.map((line) => Buffer.from(line)),
        keys,
      ),
    ],
    ['async lines', await verifyExportLinesAsync(asyncLines(lines), keys)],
    ['bytes in 7-byte chunks', await verifyExportStream(chunked(text, 7), keys)],
    ['bytes in 64 KiB chunks', await verifyExportStream(chunked(text, 65_536), keys)],
  ];
  return results.map(([way, { origin, verification }]) => ({ way, origin, verification }));
};

const expectSameEverywhere = async (
  lines: readonly string[],
  key: ReturnType<typeof newKey>,
): Promise<ExportVerification> => {
  const reference = referenceVerification(lines, key);
  for (const result of await everyWay(lines, key))
    expect(result).toEqual({ way: result.way, origin: ORIGIN, verification: reference });
  return reference;
};

describe('verifying an export line by line', () => {
  const key = newKey();
  const records = Array.from({ length: SIZE }, (_, i) => recordLine(i));
  const sparse = [8, 16, 24, SIZE];
  const intact = exportLines(key, records, sparse);
  /** The line of the record at `index`: the header comes first. */
  const at = (index: number) => 1 + index;

  it('accepts an intact export however it is fed, despite look-alike members', async () => {
    expect(await expectSameEverywhere(intact, key)).toMatchObject({
      ok: true,
      size: SIZE,
      verifiedSize: SIZE,
    });
  });

  it('accepts CRLF line ends and blank lines', async () => {
    const crlf = intact.map((line) => `${line}\r`);
    expect(await expectSameEverywhere(crlf, key)).toMatchObject({ ok: true, size: SIZE });
    const blanks = [intact[0]!, '', ...intact.slice(1, 5), '   ', ...intact.slice(5)];
    expect(await expectSameEverywhere(blanks, key)).toMatchObject({ ok: true, size: SIZE });
  });

  it('finds an edit inside an escaped string at its exact index', async () => {
    const edited = [...intact];
    edited[at(13)] = edited[at(13)]!.replace('C:\\\\audit', 'C:\\\\audiT');
    expect(await expectSameEverywhere(edited, key)).toMatchObject({
      ok: false,
      reason: 'edited',
      firstBadIndex: 13,
    });
  });

  it('finds a re-indented line as an edit, through the full parse', async () => {
    const reindented = [...intact];
    reindented[at(3)] = JSON.stringify(JSON.parse(records[3]!), null, 1).replaceAll('\n', '');
    expect(await expectSameEverywhere(reindented, key)).toMatchObject({
      ok: false,
      reason: 'edited',
      firstBadIndex: 3,
    });
  });

  it('finds a deletion, a reordering and a truncation at their index', async () => {
    const deleted = intact.filter((_, i) => i !== at(17));
    expect(await expectSameEverywhere(deleted, key)).toMatchObject({ reason: 'deleted', firstBadIndex: 17 });
    const swapped = [...intact];
    [swapped[at(5)], swapped[at(9)]] = [swapped[at(9)]!, swapped[at(5)]!];
    expect(await expectSameEverywhere(swapped, key)).toMatchObject({ reason: 'reordered', firstBadIndex: 5 });
    const truncated = [...intact.slice(0, at(27)), intact[intact.length - 1]!];
    expect(await expectSameEverywhere(truncated, key)).toMatchObject({
      reason: 'truncated',
      firstBadIndex: 27,
    });
  });

  it('reads a sequence that is not a number as no index', async () => {
    const renumbered = [...intact];
    renumbered[at(4)] = records[4]!.replace('"sequence":4,', '"sequence":"4",');
    expect(await expectSameEverywhere(renumbered, key)).toMatchObject({
      ok: false,
      reason: 'deleted',
      firstBadIndex: 4,
      detail: 'entry 4 is missing; position 4 holds entry -1',
    });
  });

  it('verifies a redacted prefix and refuses a redaction elsewhere', async () => {
    const redacted = records.map((line, i) => (i < 5 ? redactedLine(i) : line));
    const prefix = exportLines(key, redacted, sparse, records);
    expect(await expectSameEverywhere(prefix, key)).toMatchObject({ ok: true, redacted: 5 });
    const hidden = records.map((line, i) => (i < 2 || i === 11 ? redactedLine(i) : line));
    expect(await expectSameEverywhere(exportLines(key, hidden, sparse, records), key)).toMatchObject({
      reason: 'redaction_invalid',
      firstBadIndex: 11,
    });
  });

  it('refuses a split view, a rewritten history and an unknown signer', async () => {
    const rewritten = records.map((line, i) => (i === 5 ? line.replace('approved', 'rejected') : line));
    const resigned = exportLines(key, rewritten, [SIZE]);
    const published = JSON.parse(intact[intact.length - 1]!) as { checkpoints: string[] };
    const withLast = (lines: string[], checkpoints: string[]) => {
      const last = JSON.parse(lines[lines.length - 1]!) as { leafHashes: string };
      return [...lines.slice(0, -1), JSON.stringify({ checkpoints, leafHashes: last.leafHashes })];
    };
    const resignedCheckpoints = (JSON.parse(resigned[resigned.length - 1]!) as { checkpoints: string[] })
      .checkpoints;
    expect(
      await expectSameEverywhere(
        withLast(resigned, [...published.checkpoints.slice(0, 1), ...resignedCheckpoints]),
        key,
      ),
    ).toMatchObject({ reason: 'inconsistent_checkpoints', firstBadIndex: 0 });
    expect(
      await expectSameEverywhere(withLast(resigned, [...published.checkpoints, ...resignedCheckpoints]), key),
    ).toMatchObject({ reason: 'split_view', firstBadIndex: null });
    const impostor = exportLines(newKey(), records, sparse);
    expect(await expectSameEverywhere(impostor, key)).toMatchObject({ reason: 'bad_signature' });
  });

  it('refuses what is not an export, naming the line', async () => {
    const keys = [parseVerifierKey(verifierKey(key))];
    expect(() => verifyExportLines(['{"format":"something else"}'], keys)).toThrow(
      'line 1: not a Mandate audit export header',
    );
    expect(() =>
      verifyExportLines([intact[0]!, records[0]!, 'not json', intact[intact.length - 1]!], keys),
    ).toThrow('line 3: not JSON');
    expect(() => verifyExportLines([intact[0]!, records[0]!], keys)).toThrow(
      'line 2: an export has a header, records and a last line listing the checkpoints',
    );
    await expect(verifyExportStream(chunked('{"a":1}\n', 3), keys)).rejects.toThrow(
      'line 1: not a Mandate audit export header',
    );
    await expect(verifyExportStream(Readable.from(intact), keys)).rejects.toThrow(
      'an export stream yields bytes, not text',
    );
  });

  it('trusts the keys the export lists only when told to', async () => {
    const impostor = exportLines(newKey(), records, sparse);
    expect(verifyExportLines(impostor, 'from-export').verification).toMatchObject({ ok: true });
    expect(
      (await verifyExportStream(chunked(impostor.join('\n'), 100), 'from-export')).verification,
    ).toMatchObject({ ok: true });
  });
});
