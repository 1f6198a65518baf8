export { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint';
export { type Ed25519Key, type NoteSigner, noteKeyId, type TrustedKey } from './ed25519-keys';
export { type NoteSignature, parseSignedNote, type SignedNote, signNote } from './signed-note';
export {
  type CheckpointErrorCode,
  type CheckpointSigner,
  type CheckpointVerification,
  parseSignedCheckpoint,
  signCheckpoint,
  type SignedCheckpoint,
  verifyCheckpoint,
} from './signed-checkpoint';
