import { noteKeyId } from '@mandate/audit-domain';
import { type CheckpointKey } from './checkpoint-keys';

/** The first line of a JSON Lines export: which log, and the keys its checkpoints verify with. */
export interface ExportHeader {
  readonly format: 'mandate-audit-export';
  readonly version: 1;
  readonly origin: string;
  readonly keys: readonly { readonly name: string; readonly keyId: string; readonly publicKey: string }[];
}

/** The raw 32-byte Ed25519 public key, base64 (what a C2SP verifier key carries). */
export const rawPublicKeyBase64 = (key: CheckpointKey): string =>
  Buffer.from(key.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');

export const exportHeader = (origin: string, keys: readonly CheckpointKey[]): ExportHeader => ({
  format: 'mandate-audit-export',
  version: 1,
  origin,
  keys: keys.map((key) => ({
    name: key.name,
    keyId: noteKeyId(key.name, key.publicKey),
    publicKey: rawPublicKeyBase64(key),
  })),
});

/** The key as a C2SP verifier key: `<name>+<key id>+<base64 of 0x01 ‖ public key>`. */
export const verifierKey = (key: CheckpointKey): string =>
  `${key.name}+${noteKeyId(key.name, key.publicKey)}+${Buffer.concat([
    Buffer.from([0x01]),
    Buffer.from(rawPublicKeyBase64(key), 'base64'),
  ]).toString('base64')}`;
