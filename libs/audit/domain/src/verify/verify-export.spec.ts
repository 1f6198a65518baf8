import { generateKeyPairSync } from 'node:crypto';
import { type NoteSigner, noteKeyId, signCheckpoint, type TrustedKey } from '../checkpoint';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  MerkleTree,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../merkle';
import { canonicalBytes } from './canonical-json';
import { type AuditExportEntry, verifyExport } from './verify-export';

const ORIGIN = 'mandate.example/audit/org_01HZX3';

const logKey = (): { signer: NoteSigner; trusted: TrustedKey } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { name: ORIGIN, privateKey }, trusted: { name: ORIGIN, publicKey } };
};

const record = (sequence: number, overrides: Record<string, unknown> = {}) => ({
  sequence,
  orgId: 'org_01HZX3',
  action: sequence % 3 === 0 ? 'directory.user.deactivated' : 'authn.session.started',
  actor: { userId: `usr_${sequence % 7}` },
  time: Date.UTC(2025, 0, 1) + sequence * 1000,
  ...overrides,
});

const exportOf = (size: number): AuditExportEntry[] =>
  Array.from({ length: size }, (_, index) => ({ index, bytes: canonicalBytes(record(index)) }));

const checkpointsOf = (
  entries: readonly AuditExportEntry[],
  sizes: readonly number[],
  signer: NoteSigner | readonly NoteSigner[],
) => {
  const leaves = entries.map(({ bytes }) => leafHash(bytes));
  return sizes.map((treeSize) =>
    signCheckpoint(
      { origin: ORIGIN, treeSize, rootHash: rootHash(leaves.slice(0, treeSize)), extensions: [] },
      signer,
    ),
  );
};

const declaredLeafHashes = (entries: readonly AuditExportEntry[]): Uint8Array =>
  Buffer.concat(entries.map(({ bytes }) => leafHash(bytes)));

const redact = (entries: readonly AuditExportEntry[], indexes: readonly number[]): AuditExportEntry[] =>
  entries.map((entry) =>
    indexes.includes(entry.index)
      ? {
          index: entry.index,
          bytes: canonicalBytes({ redacted: true, sequence: entry.index }),
          redacted: true,
        }
      : entry,
  );

const everySize = (size: number) => Array.from({ length: size }, (_, i) => i + 1);
const everyEighth = (size: number) => everySize(size).filter((s) => s % 8 === 0 || s === size);

const editByte = (entries: readonly AuditExportEntry[], index: number): AuditExportEntry[] =>
  entries.map((entry) => {
    if (entry.index !== index) return entry;
    const bytes = Uint8Array.from(entry.bytes);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01;
    return { index, bytes };
  });

describe('verifying an export offline', () => {
  const key = logKey();
  const entries = exportOf(40);
  const checkpoints = checkpointsOf(entries, [8, 16, 24, 32, 40], key.signer);

  it('accepts an intact export and reports who signed its checkpoints', () => {
    const verification = verifyExport({ entries, checkpoints, trustedKeys: [key.trusted], origin: ORIGIN });
    expect(verification).toMatchObject({ ok: true, size: 40, verifiedSize: 40 });
    if (!verification.ok) return;
    expect(verification.checkpoints.map((c) => c.treeSize)).toEqual([8, 16, 24, 32, 40]);
    expect(verification.checkpoints[0]?.signedBy).toEqual([
      { name: ORIGIN, keyId: noteKeyId(ORIGIN, key.trusted.publicKey) },
    ]);
  });

  it('accepts entries written after the last checkpoint, but says they are not vouched for yet', () => {
    const longer = exportOf(45);
    expect(verifyExport({ entries: longer, checkpoints, trustedKeys: [key.trusted] })).toMatchObject({
      ok: true,
      size: 45,
      verifiedSize: 40,
    });
  });

  it('orders by the log index, not by the clock (AUD-11)', () => {
    const skewed = Array.from({ length: 10 }, (_, index) => ({
      index,
      bytes: canonicalBytes(record(index, { time: Date.UTC(2025, 0, 1) - (index % 2) * 3_600_000 })),
    }));
    const signed = checkpointsOf(skewed, [10], key.signer);
    expect(verifyExport({ entries: skewed, checkpoints: signed, trustedKeys: [key.trusted] })).toMatchObject({
      ok: true,
    });
  });

  it('refuses an export without any checkpoint', () => {
    expect(verifyExport({ entries, checkpoints: [], trustedKeys: [key.trusted] })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
      firstBadIndex: null,
    });
  });

  it('refuses a checkpoint of another log', () => {
    expect(
      verifyExport({
        entries,
        checkpoints,
        trustedKeys: [key.trusted],
        origin: 'mandate.example/audit/org_B',
      }),
    ).toMatchObject({ ok: false, reason: 'inconsistent_checkpoints' });
  });
});

describe('tampering with an export', () => {
  const key = logKey();
  const trustedKeys = [key.trusted];
  const entries = exportOf(40);
  const denseCheckpoints = checkpointsOf(entries, everySize(40), key.signer);
  const sparseCheckpoints = checkpointsOf(entries, everyEighth(40), key.signer);

  describe('one byte of one record edited (AUD-1)', () => {
    it.each([0, 1, 13, 39])('reports entry %i when checkpoints cover every size', (index) => {
      const verification = verifyExport({
        entries: editByte(entries, index),
        checkpoints: denseCheckpoints,
        trustedKeys,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'edited', firstBadIndex: index });
    });

    it('narrows the edit to the span between two checkpoints when they are sparse', () => {
      const verification = verifyExport({
        entries: editByte(entries, 13),
        checkpoints: sparseCheckpoints,
        trustedKeys,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'edited', firstBadIndex: 8 });
      expect(verification.ok || verification.detail).toMatch(/^an entry from 8 to 15 was changed/);
    });

    it('pinpoints the edited entry between sparse checkpoints with the declared leaf hashes', () => {
      const verification = verifyExport({
        entries: editByte(entries, 13),
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: declaredLeafHashes(entries),
      });
      expect(verification).toMatchObject({ ok: false, reason: 'edited', firstBadIndex: 13 });
      expect(verification.ok || verification.detail).toMatch(/^entry 13 was changed/);
    });

    it('falls back to the span when the declared leaf hashes were forged along with the edit', () => {
      const edited = editByte(entries, 13);
      const verification = verifyExport({
        entries: edited,
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: declaredLeafHashes(edited),
      });
      expect(verification).toMatchObject({ ok: false, reason: 'edited', firstBadIndex: 8 });
      expect(verification.ok || verification.detail).toMatch(/^an entry from 8 to 15 was changed/);
    });

    it('makes the edited record fail its inclusion proof', () => {
      const leaves = entries.map(({ bytes }) => leafHash(bytes));
      const root = rootHash(leaves);
      const proof = inclusionProof(13, 40, leaves);
      expect(verifyInclusion(leaves[13]!, 13, 40, proof, root)).toBe(true);
      expect(verifyInclusion(leafHash(editByte(entries, 13)[13]!.bytes), 13, 40, proof, root)).toBe(false);
    });
  });

  describe('records redacted by retention', () => {
    it('verifies an export whose oldest entries are redacted, through their declared leaf hashes', () => {
      const verification = verifyExport({
        entries: redact(entries, [0, 1, 2, 3, 4]),
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: declaredLeafHashes(entries),
      });
      expect(verification).toMatchObject({ ok: true, size: 40, redacted: 5 });
    });

    it('refuses a redaction that is not the oldest entries (hiding a recent record)', () => {
      const verification = verifyExport({
        entries: redact(entries, [0, 1, 17]),
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: declaredLeafHashes(entries),
      });
      expect(verification).toMatchObject({ ok: false, reason: 'redaction_invalid', firstBadIndex: 17 });
    });

    it('refuses redacted entries without leaf hashes to stand in for them', () => {
      const verification = verifyExport({
        entries: redact(entries, [0]),
        checkpoints: sparseCheckpoints,
        trustedKeys,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'redaction_invalid', firstBadIndex: 0 });
    });

    it('finds a redacted entry whose declared hash was changed', () => {
      const hashes = declaredLeafHashes(entries);
      hashes[2 * 32] = hashes[2 * 32]! ^ 0xff;
      const verification = verifyExport({
        entries: redact(entries, [0, 1, 2]),
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: hashes,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'edited', firstBadIndex: 0 });
    });

    it('ignores leaf hashes that do not cover the entries one for one', () => {
      const verification = verifyExport({
        entries,
        checkpoints: sparseCheckpoints,
        trustedKeys,
        leafHashes: declaredLeafHashes(entries).subarray(0, 39 * 32),
      });
      expect(verification).toMatchObject({ ok: true, size: 40 });
      expect(
        verifyExport({
          entries: entries.filter(({ index }) => index !== 13),
          checkpoints: sparseCheckpoints,
          trustedKeys,
          leafHashes: declaredLeafHashes(entries),
        }),
      ).toMatchObject({ ok: false, reason: 'deleted', firstBadIndex: 13 });
    });
  });

  describe('records deleted (AUD-2)', () => {
    it('reports a record deleted in the middle', () => {
      const withoutOne = entries.filter(({ index }) => index !== 17);
      expect(verifyExport({ entries: withoutOne, checkpoints: sparseCheckpoints, trustedKeys })).toEqual({
        ok: false,
        reason: 'deleted',
        firstBadIndex: 17,
        detail: 'entry 17 is missing; position 17 holds entry 18',
      });
    });

    it('reports a deletion hidden by renumbering as an edit of the first renumbered record', () => {
      const renumbered = entries
        .filter(({ index }) => index !== 17)
        .map((entry, index) => ({ index, bytes: canonicalBytes(record(index < 17 ? index : index + 1)) }));
      expect(verifyExport({ entries: renumbered, checkpoints: denseCheckpoints, trustedKeys })).toMatchObject(
        {
          ok: false,
          reason: 'edited',
          firstBadIndex: 17,
        },
      );
    });

    it('reports the tail cut off against the last checkpoint', () => {
      const truncated = entries.slice(0, 37);
      expect(verifyExport({ entries: truncated, checkpoints: sparseCheckpoints, trustedKeys })).toEqual({
        ok: false,
        reason: 'truncated',
        firstBadIndex: 37,
        detail: 'the export ends at 37 entries, but a checkpoint vouches for 40',
      });
    });
  });

  describe('records reordered', () => {
    it('reports two records swapped with their indexes', () => {
      const swapped = [...entries];
      [swapped[5], swapped[9]] = [swapped[9]!, swapped[5]!];
      expect(verifyExport({ entries: swapped, checkpoints: sparseCheckpoints, trustedKeys })).toEqual({
        ok: false,
        reason: 'reordered',
        firstBadIndex: 5,
        detail: 'entry 5 is at position 9; position 5 holds entry 9',
      });
    });

    it('reports two records swapped under fixed indexes as an edit at the first of them', () => {
      const swapped = entries.map((entry) =>
        entry.index === 5
          ? { index: 5, bytes: entries[9]!.bytes }
          : entry.index === 9
            ? { index: 9, bytes: entries[5]!.bytes }
            : entry,
      );
      expect(verifyExport({ entries: swapped, checkpoints: denseCheckpoints, trustedKeys })).toMatchObject({
        ok: false,
        reason: 'edited',
        firstBadIndex: 5,
      });
    });
  });

  describe('history rewritten (AUD-3)', () => {
    // The operator, who holds the signing key, rewrites entry 5 and signs a fresh checkpoint of the same
    // size; an auditor still holds the checkpoint of size 16 published before.
    const rewritten = entries.map((entry) =>
      entry.index === 5
        ? { index: 5, bytes: canonicalBytes(record(5, { action: 'nothing.happened' })) }
        : entry,
    );
    const published = checkpointsOf(entries, [16], key.signer);
    const resigned = checkpointsOf(rewritten, [40], key.signer);

    it('finds the rewritten export inconsistent with the checkpoint published before', () => {
      const verification = verifyExport({
        entries: rewritten,
        checkpoints: [...published, ...resigned],
        trustedKeys,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'inconsistent_checkpoints', firstBadIndex: 0 });
    });

    it('cannot produce a consistency proof from the published checkpoint to the new one', () => {
      const oldRoot = rootHash(entries.slice(0, 16).map(({ bytes }) => leafHash(bytes)));
      const newLeaves = rewritten.map(({ bytes }) => leafHash(bytes));
      const newRoot = rootHash(newLeaves);
      expect(verifyConsistency(16, 40, oldRoot, newRoot, consistencyProof(16, 40, newLeaves))).toBe(false);
      const honestLeaves = entries.map(({ bytes }) => leafHash(bytes));
      expect(
        verifyConsistency(16, 40, oldRoot, rootHash(honestLeaves), consistencyProof(16, 40, honestLeaves)),
      ).toBe(true);
    });

    it('sees a split view when the published checkpoint has the same size as the new one', () => {
      const publishedAt40 = checkpointsOf(entries, [40], key.signer);
      expect(
        verifyExport({ entries: rewritten, checkpoints: [...publishedAt40, ...resigned], trustedKeys }),
      ).toMatchObject({ ok: false, reason: 'split_view', firstBadIndex: null });
    });
  });

  describe('split view (AUD-4)', () => {
    it('refuses two checkpoints of one size with different roots, whichever the export matches', () => {
      const other = exportOf(41)
        .slice(1)
        .map((entry, index) => ({ ...entry, index }));
      const forked = checkpointsOf(other, [24], key.signer);
      const verification = verifyExport({
        entries,
        checkpoints: [...sparseCheckpoints, ...forked],
        trustedKeys,
      });
      expect(verification).toMatchObject({ ok: false, reason: 'split_view', firstBadIndex: null });
      expect(verification.ok || verification.detail).toMatch(
        /^two signed checkpoints of size 24 have different roots/,
      );
    });

    it('merges the same checkpoint seen twice', () => {
      const twice = [...sparseCheckpoints, ...sparseCheckpoints];
      expect(verifyExport({ entries, checkpoints: twice, trustedKeys })).toMatchObject({ ok: true });
    });
  });

  describe('signatures', () => {
    it('refuses a checkpoint whose text was changed', () => {
      const forged = sparseCheckpoints.map((note, i) => (i === 2 ? note.replace('\n24\n', '\n25\n') : note));
      expect(verifyExport({ entries, checkpoints: forged, trustedKeys })).toMatchObject({
        ok: false,
        reason: 'bad_signature',
        firstBadIndex: null,
        detail: expect.stringMatching(/^checkpoint 2: AUDIT_CHECKPOINT_BAD_SIGNATURE/) as unknown,
      });
    });

    it('refuses a checkpoint signed by an unknown key', () => {
      const impostor = logKey();
      const forged = [...sparseCheckpoints, ...checkpointsOf(entries, [40], impostor.signer)];
      expect(verifyExport({ entries, checkpoints: forged, trustedKeys })).toMatchObject({
        ok: false,
        reason: 'bad_signature',
        detail: expect.stringContaining(noteKeyId(ORIGIN, impostor.trusted.publicKey)) as unknown,
      });
    });
  });

  describe('key rotation (AUD-6)', () => {
    const oldKey = key;
    const newKey = logKey();
    const rotated = [
      ...checkpointsOf(entries, [8, 16], oldKey.signer),
      ...checkpointsOf(entries, [24], [oldKey.signer, newKey.signer]),
      ...checkpointsOf(entries, [32, 40], newKey.signer),
    ];

    it('verifies checkpoints signed before and after the rotation, recording each key id', () => {
      const verification = verifyExport({
        entries,
        checkpoints: rotated,
        trustedKeys: [oldKey.trusted, newKey.trusted],
      });
      expect(verification.ok).toBe(true);
      if (!verification.ok) return;
      const oldId = noteKeyId(ORIGIN, oldKey.trusted.publicKey);
      const newId = noteKeyId(ORIGIN, newKey.trusted.publicKey);
      expect(verification.checkpoints.map((c) => c.signedBy.map(({ keyId }) => keyId))).toEqual([
        [oldId],
        [oldId],
        [oldId, newId],
        [newId],
        [newId],
      ]);
    });

    it('refuses the old checkpoints once the old key is no longer trusted', () => {
      expect(verifyExport({ entries, checkpoints: rotated, trustedKeys: [newKey.trusted] })).toMatchObject({
        ok: false,
        reason: 'bad_signature',
        detail: expect.stringContaining(noteKeyId(ORIGIN, oldKey.trusted.publicKey)) as unknown,
      });
    });
  });

  it('refuses an interior node passed off as one record (AUD-5)', () => {
    const leaves = entries.map(({ bytes }) => leafHash(bytes));
    const interiorNode = Buffer.concat([leaves[0]!, leaves[1]!]);
    const forged = [
      { index: 0, bytes: interiorNode },
      ...entries.slice(2).map((e, i) => ({ ...e, index: i + 1 })),
    ];
    const tree = MerkleTree.fromLeafHashes(forged.map(({ bytes }) => leafHash(bytes)));
    expect(Buffer.from(tree.root()).equals(Buffer.from(rootHash(leaves)))).toBe(false);
    expect(verifyExport({ entries: forged, checkpoints: denseCheckpoints, trustedKeys })).toMatchObject({
      ok: false,
      reason: 'edited',
      firstBadIndex: 0,
    });
  });
});
