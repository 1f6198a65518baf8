import { DomainError } from '@mandate/kernel';
import { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint';
import { type NoteSigner, type TrustedKey } from './ed25519-keys';
import { type NoteSignature, parseSignedNote, signNote, verifiedSignatures } from './signed-note';

export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The exact text the signatures cover. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Who vouched for a checkpoint: a key name and the key id of the key that signed. */
export interface CheckpointSigner {
  readonly name: string;
  readonly keyId: string;
}

export type CheckpointErrorCode =
  'AUDIT_CHECKPOINT_MALFORMED' | 'AUDIT_CHECKPOINT_UNKNOWN_KEY' | 'AUDIT_CHECKPOINT_BAD_SIGNATURE';

export type CheckpointVerification =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly signedBy: readonly CheckpointSigner[] }
  | { readonly ok: false; readonly code: CheckpointErrorCode; readonly detail: string };

/**
 * The checkpoint as a C2SP signed note, signed by each signer in turn: during a key rotation, by the
 * outgoing and the incoming key, so verifiers that know either accept it.
 */
export const signCheckpoint = (checkpoint: Checkpoint, signers: NoteSigner | readonly NoteSigner[]): string =>
  signNote(formatCheckpoint(checkpoint), isSignerList(signers) ? signers : [signers]);

const isSignerList = (signers: NoteSigner | readonly NoteSigner[]): signers is readonly NoteSigner[] =>
  Array.isArray(signers);

/** Parses without verifying; throws a DomainError AUDIT_CHECKPOINT_MALFORMED. */
export const parseSignedCheckpoint = (note: string): SignedCheckpoint => {
  const { text, signatures } = parseSignedNote(note);
  return { checkpoint: parseCheckpoint(text), text, signatures };
};

/**
 * Accepts the checkpoint when at least one trusted key signed it and none of the trusted keys' signatures
 * fails. Each trusted key is a name and a public key; the signature's key id must match the one computed
 * from them, so an old checkpoint verifies with the old key for as long as that key is trusted.
 */
export const verifyCheckpoint = (
  note: string,
  trustedKeys: readonly TrustedKey[],
): CheckpointVerification => {
  let signed: SignedCheckpoint;
  try {
    signed = parseSignedCheckpoint(note);
  } catch (error) {
    if (error instanceof DomainError)
      return { ok: false, code: 'AUDIT_CHECKPOINT_MALFORMED', detail: error.message };
    throw error;
  }
  const { verified, failed } = verifiedSignatures(signed, trustedKeys);
  const signers = (signatures: readonly NoteSignature[]) =>
    signatures.map(({ name, keyId }) => `${name}+${keyId}`).join(', ');
  if (failed.length > 0) {
    return {
      ok: false,
      code: 'AUDIT_CHECKPOINT_BAD_SIGNATURE',
      detail: `the signature of trusted key ${signers(failed)} does not verify`,
    };
  }
  if (verified.length === 0) {
    return {
      ok: false,
      code: 'AUDIT_CHECKPOINT_UNKNOWN_KEY',
      detail: `signed only by ${signers(signed.signatures)}, none of them a trusted key`,
    };
  }
  return {
    ok: true,
    checkpoint: signed.checkpoint,
    signedBy: verified.map(({ name, keyId }) => ({ name, keyId })),
  };
};
