import { createPublicKey, sign, verify } from 'node:crypto';
import { DomainError } from '@mandate/kernel';
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  noteKeyId,
  type NoteSigner,
  type TrustedKey,
} from './ed25519-keys';

/** One signature line of a note: who signed (key name and key id) and the signature bytes. */
export interface NoteSignature {
  readonly name: string;
  /** The 4-byte key id, as 8 lowercase hex digits. */
  readonly keyId: string;
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

const SIGNATURE_LINE_PREFIX = '\u2014 ';
const ED25519_SIGNATURE_SIZE = 64;
const KEY_ID_SIZE = 4;
/** C2SP asks verifiers to accept at least 16 signatures; more is a note built to waste our time. */
const MAX_SIGNATURES = 100;

export const malformedNote = (message: string): DomainError =>
  new DomainError('invalid', 'AUDIT_CHECKPOINT_MALFORMED', message);

/** Whether `text` holds an ASCII control character (below U+0020) other than newline, unless `newlines` is false. */
export const hasControlCharacter = (text: string, { newlines = true } = {}): boolean => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && (code !== 0x0a || !newlines)) return true;
  }
  return false;
};

export const isKeyName = (name: string): boolean => name.length > 0 && !/[\s+]/u.test(name);

/** Signs `text` (which must end in a newline) with each signer, in order (C2SP signed-note). */
export const signNote = (text: string, signers: readonly NoteSigner[]): string => {
  checkNoteText(text);
  if (signers.length === 0) throw new TypeError('a note needs at least one signer');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map(({ name, privateKey }) => {
    if (!isKeyName(name))
      throw new TypeError(`"${name}" is not a key name: empty, or with a space or a plus`);
    const key = ed25519PrivateKey(privateKey);
    const keyId = Buffer.from(noteKeyId(name, createPublicKey(key)), 'hex');
    const signature = sign(null, message, key);
    return `${SIGNATURE_LINE_PREFIX}${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
};

/** Splits a note into its text and signature lines; throws AUDIT_CHECKPOINT_MALFORMED on any deviation. */
export const parseSignedNote = (note: string): SignedNote => {
  if (hasControlCharacter(note)) throw malformedNote('a note holds no control character but newline');
  if (/[\ud800-\udfff]/u.test(note)) throw malformedNote('a note is valid UTF-8: no lone surrogate');
  const separator = note.lastIndexOf('\n\n');
  if (separator < 0) throw malformedNote('a note separates its text from its signatures with a blank line');
  const text = note.slice(0, separator + 1);
  const signatureBlock = note.slice(separator + 2);
  if (!signatureBlock.endsWith('\n')) throw malformedNote('a signature line ends in a newline');
  const lines = signatureBlock.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES)
    throw malformedNote(`a note carries at most ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
};

/**
 * The signatures of `note` made by trusted keys, verified. Signatures by keys we do not know are skipped, as
 * C2SP requires (a witness's cosignature, a key we retired); a known key's signature that fails rejects the
 * note.
 */
export const verifiedSignatures = (
  note: SignedNote,
  trustedKeys: readonly TrustedKey[],
): { verified: NoteSignature[]; failed: NoteSignature[] } => {
  const message = Buffer.from(note.text, 'utf8');
  const verified: NoteSignature[] = [];
  const failed: NoteSignature[] = [];
  for (const signature of note.signatures) {
    const key = trustedKeys.find(
      ({ name, publicKey }) => name === signature.name && noteKeyId(name, publicKey) === signature.keyId,
    );
    if (key === undefined) continue;
    const valid =
      signature.signature.length === ED25519_SIGNATURE_SIZE &&
      verify(null, message, ed25519PublicKey(key.publicKey), signature.signature);
    (valid ? verified : failed).push(signature);
  }
  return { verified, failed };
};

const checkNoteText = (text: string): void => {
  if (text.length === 0 || !text.endsWith('\n')) throw new TypeError('a note text ends in a newline');
  if (hasControlCharacter(text)) throw new TypeError('a note text holds no control character but newline');
};

const parseSignatureLine = (line: string): NoteSignature => {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) throw malformedNote(`"${line}" is not a signature line`);
  const [name, encoded, ...rest] = line.slice(SIGNATURE_LINE_PREFIX.length).split(' ');
  if (name === undefined || encoded === undefined || rest.length > 0 || !isKeyName(name)) {
    throw malformedNote(`"${line}" is not "— <key name> <signature>"`);
  }
  const bytes = strictBase64(encoded);
  if (bytes === undefined || bytes.length <= KEY_ID_SIZE)
    throw malformedNote(`"${line}" has no valid signature`);
  return {
    name,
    keyId: Buffer.from(bytes.subarray(0, KEY_ID_SIZE)).toString('hex'),
    signature: bytes.subarray(KEY_ID_SIZE),
  };
};

/** Standard padded base64 (RFC 4648 §4) and nothing else: Node's decoder would skip stray characters. */
export const strictBase64 = (encoded: string): Uint8Array | undefined => {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded ? Uint8Array.from(bytes) : undefined;
};
