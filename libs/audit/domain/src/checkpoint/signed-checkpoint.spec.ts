import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { leafHash, rootHash } from '../merkle';
import { noteKeyId, type NoteSigner, type TrustedKey } from './ed25519-keys';
import { parseSignedCheckpoint, signCheckpoint, verifyCheckpoint } from './signed-checkpoint';
import { parseSignedNote, signNote, verifiedSignatures } from './signed-note';
import { type Checkpoint } from './checkpoint';

const ORIGIN = 'mandate.example/audit/org_01HZX3';

const ed25519Key = (name: string): { signer: NoteSigner; trusted: TrustedKey } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { name, privateKey }, trusted: { name, publicKey } };
};

const checkpointOf = (treeSize: number, extensions: string[] = []): Checkpoint => ({
  origin: ORIGIN,
  treeSize,
  rootHash: rootHash(Array.from({ length: treeSize }, (_, i) => leafHash(Buffer.from(`record ${i}`)))),
  extensions,
});

describe('the C2SP signed-note reference example', () => {
  // From golang.org/x/mod/sumdb/note: the PeterNeumann key pair and the note it signs.
  const seed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
  const publicKey = Buffer.from('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'base64').subarray(1);
  const text =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const note = `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

  it('computes the key id from the key name and the raw public key', () => {
    expect(noteKeyId('PeterNeumann', publicKey)).toBe('c74f20a3');
  });

  it('signs byte for byte as the reference implementation does', () => {
    expect(signNote(text, [{ name: 'PeterNeumann', privateKey: seed }])).toBe(note);
  });

  it('verifies the reference note', () => {
    const parsed = parseSignedNote(note);
    expect(parsed.text).toBe(text);
    expect(verifiedSignatures(parsed, [{ name: 'PeterNeumann', publicKey }]).verified).toHaveLength(1);
  });
});

describe('signed checkpoints', () => {
  const log = ed25519Key(ORIGIN);

  it('formats the tlog-checkpoint body and verifies it', () => {
    const checkpoint = checkpointOf(3, ['extension line']);
    const note = signCheckpoint(checkpoint, log.signer);
    const [origin, size, root, extension, blank, signatureLine] = note.split('\n');
    expect([origin, size, root, extension, blank]).toEqual([
      ORIGIN,
      '3',
      Buffer.from(checkpoint.rootHash).toString('base64'),
      'extension line',
      '',
    ]);
    expect(signatureLine).toMatch(new RegExp(`^\u2014 ${ORIGIN} [A-Za-z0-9+/]{91}=$`));

    const verification = verifyCheckpoint(note, [log.trusted]);
    expect(verification).toEqual({
      ok: true,
      checkpoint,
      signedBy: [{ name: ORIGIN, keyId: noteKeyId(ORIGIN, log.trusted.publicKey) }],
    });
    expect(parseSignedCheckpoint(note).checkpoint).toEqual(checkpoint);
  });

  it('formats the empty tree as size 0', () => {
    const note = signCheckpoint(checkpointOf(0), log.signer);
    expect(note.split('\n').slice(0, 3)).toEqual([
      ORIGIN,
      '0',
      '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    ]);
  });

  it.each([
    ['the tree size', (note: string) => note.replace('\n5\n', '\n6\n')],
    [
      'the root hash',
      (note: string) => note.replace(/\n([A-Za-z])/, (_, c: string) => `\n${c === 'A' ? 'B' : 'A'}`),
    ],
    ['the origin', (note: string) => note.replace(ORIGIN, `${ORIGIN}x`)],
  ])('refuses a checkpoint whose %s was changed after signing', (_, tamper) => {
    const note = signCheckpoint(checkpointOf(5), log.signer);
    const tampered = tamper(note);
    expect(tampered).not.toBe(note);
    expect(verifyCheckpoint(tampered, [log.trusted])).toMatchObject({ ok: false });
  });

  it('refuses a changed tree size with a bad signature from the trusted key', () => {
    const note = signCheckpoint(checkpointOf(5), log.signer).replace('\n5\n', '\n6\n');
    expect(verifyCheckpoint(note, [log.trusted])).toMatchObject({
      ok: false,
      code: 'AUDIT_CHECKPOINT_BAD_SIGNATURE',
    });
  });

  it('refuses, and says so, a checkpoint signed by a key it does not trust', () => {
    const impostor = ed25519Key(ORIGIN);
    const note = signCheckpoint(checkpointOf(5), impostor.signer);
    const verification = verifyCheckpoint(note, [log.trusted]);
    expect(verification).toEqual({
      ok: false,
      code: 'AUDIT_CHECKPOINT_UNKNOWN_KEY',
      detail: `signed only by ${ORIGIN}+${noteKeyId(ORIGIN, impostor.trusted.publicKey)}, none of them a trusted key`,
    });
  });

  it('ignores cosignatures by keys it does not know, such as a witness', () => {
    const witness = ed25519Key('witness.example/w1');
    const note = signCheckpoint(checkpointOf(5), [log.signer, witness.signer]);
    expect(verifyCheckpoint(note, [log.trusted])).toMatchObject({ ok: true, signedBy: [{ name: ORIGIN }] });
    expect(verifyCheckpoint(note, [log.trusted, witness.trusted])).toMatchObject({
      ok: true,
      signedBy: [{ name: ORIGIN }, { name: 'witness.example/w1' }],
    });
  });

  it('takes raw 32-byte keys as well as KeyObjects', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    const raw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
    const note = signCheckpoint(checkpointOf(2), { name: ORIGIN, privateKey: seed });
    expect(verifyCheckpoint(note, [{ name: ORIGIN, publicKey }])).toMatchObject({ ok: true });
    expect(verifyCheckpoint(note, [{ name: ORIGIN, publicKey: raw }])).toMatchObject({ ok: true });
    expect(noteKeyId(ORIGIN, raw)).toBe(noteKeyId(ORIGIN, publicKey));
  });

  it('refuses keys that are not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => signCheckpoint(checkpointOf(1), { name: ORIGIN, privateKey })).toThrow(TypeError);
    expect(() => signCheckpoint(checkpointOf(1), { name: ORIGIN, privateKey: new Uint8Array(31) })).toThrow(
      TypeError,
    );
  });

  it('refuses to sign what would not parse', () => {
    expect(() => signCheckpoint({ ...checkpointOf(1), origin: 'two\nlines' }, log.signer)).toThrow(TypeError);
    expect(() => signCheckpoint({ ...checkpointOf(1), extensions: [''] }, log.signer)).toThrow(TypeError);
    expect(() => signCheckpoint({ ...checkpointOf(1), treeSize: -1 }, log.signer)).toThrow(TypeError);
    expect(() => signCheckpoint(checkpointOf(1), { ...log.signer, name: 'has space' })).toThrow(TypeError);
  });
});

describe('signing-key rotation (AUD-6)', () => {
  const oldKey = ed25519Key(ORIGIN);
  const newKey = ed25519Key(ORIGIN);
  const oldKeyId = noteKeyId(ORIGIN, oldKey.trusted.publicKey);
  const newKeyId = noteKeyId(ORIGIN, newKey.trusted.publicKey);
  const beforeRotation = signCheckpoint(checkpointOf(10), oldKey.signer);
  const duringRotation = signCheckpoint(checkpointOf(20), [oldKey.signer, newKey.signer]);
  const afterRotation = signCheckpoint(checkpointOf(30), newKey.signer);

  it('gives the two keys of one name different key ids', () => {
    expect(oldKeyId).not.toBe(newKeyId);
  });

  it('verifies old checkpoints with the old key and records which key signed each', () => {
    const trusted = [oldKey.trusted, newKey.trusted];
    expect(verifyCheckpoint(beforeRotation, trusted)).toMatchObject({
      ok: true,
      signedBy: [{ keyId: oldKeyId }],
    });
    expect(verifyCheckpoint(duringRotation, trusted)).toMatchObject({
      ok: true,
      signedBy: [{ keyId: oldKeyId }, { keyId: newKeyId }],
    });
    expect(verifyCheckpoint(afterRotation, trusted)).toMatchObject({
      ok: true,
      signedBy: [{ keyId: newKeyId }],
    });
  });

  it('stops accepting the old key once it is no longer trusted', () => {
    expect(verifyCheckpoint(beforeRotation, [newKey.trusted])).toMatchObject({
      ok: false,
      code: 'AUDIT_CHECKPOINT_UNKNOWN_KEY',
    });
    expect(verifyCheckpoint(duringRotation, [newKey.trusted])).toMatchObject({
      ok: true,
      signedBy: [{ keyId: newKeyId }],
    });
  });
});

describe('malformed notes', () => {
  const log = ed25519Key(ORIGIN);
  const note = signCheckpoint(checkpointOf(4), log.signer);

  it.each([
    ['a hyphen for the em dash', note.replace('\u2014', '-')],
    ['no blank line before the signatures', note.replace('\n\n', '\n')],
    ['no final newline', note.slice(0, -1)],
    ['two spaces after the key name', note.replace(`${ORIGIN} `, `${ORIGIN}  `)],
    ['base64 without padding', note.replace(/=\n$/, '\n')],
    ['a tree size with a leading zero', note.replace('\n4\n', '\n04\n')],
    ['a carriage return', note.replace(`${ORIGIN}\n`, `${ORIGIN}\r\n`)],
    ['no root hash', `${ORIGIN}\n4\n\n${note.split('\n\n')[1]}`],
    ['a short root hash', note.replace(/\n[^\n]{44}\n/, `\n${Buffer.alloc(31).toString('base64')}\n`)],
    ['no signature', note.split('\n\n')[0] + '\n\n'],
  ])('refuses %s', (_, malformed) => {
    expect(verifyCheckpoint(malformed, [log.trusted])).toMatchObject({
      ok: false,
      code: 'AUDIT_CHECKPOINT_MALFORMED',
    });
  });
});
