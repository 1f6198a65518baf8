import { createPrivateKey, createPublicKey, hash, type KeyObject } from 'node:crypto';

/**
 * An Ed25519 key: a `node:crypto` KeyObject, or its raw RFC 8032 encoding (the 32-byte seed of a private
 * key, the 32-byte public key). Raw keys are what a C2SP verifier key carries and what a KMS exports.
 */
export type Ed25519Key = KeyObject | Uint8Array;

/** The key a log signs its checkpoints with, under its key name (C2SP signed-note). */
export interface NoteSigner {
  readonly name: string;
  readonly privateKey: Ed25519Key;
}

/** A key a verifier trusts: the same name and public key, whose key id the notes' signatures carry. */
export interface TrustedKey {
  readonly name: string;
  readonly publicKey: Ed25519Key;
}

const ED25519_SIGNATURE_TYPE = 0x01;
const RAW_KEY_SIZE = 32;
// DER headers of PKCS #8 and SPKI for Ed25519 (RFC 8410): what a raw key is wrapped in to import it.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const ed25519PrivateKey = (key: Ed25519Key): KeyObject => {
  const keyObject =
    key instanceof Uint8Array
      ? createPrivateKey({ key: withPrefix(PKCS8_PREFIX, key), format: 'der', type: 'pkcs8' })
      : key;
  if (keyObject.type !== 'private' || keyObject.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('a checkpoint signing key must be an Ed25519 private key');
  }
  return keyObject;
};

export const ed25519PublicKey = (key: Ed25519Key): KeyObject => {
  const keyObject =
    key instanceof Uint8Array
      ? createPublicKey({ key: withPrefix(SPKI_PREFIX, key), format: 'der', type: 'spki' })
      : key;
  if (keyObject.type !== 'public' || keyObject.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('a trusted checkpoint key must be an Ed25519 public key');
  }
  return keyObject;
};

export const rawPublicKey = (publicKey: KeyObject): Uint8Array => {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return Uint8Array.from(der.subarray(SPKI_PREFIX.length));
};

/**
 * The C2SP signed-note key id of an Ed25519 key: the first four bytes of
 * SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key), as 8 lowercase hex digits.
 */
export const noteKeyId = (name: string, publicKey: Ed25519Key): string => {
  const raw = rawPublicKey(ed25519PublicKey(publicKey));
  const input = Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([ED25519_SIGNATURE_TYPE]), raw]);
  return hash('sha256', input, 'hex').slice(0, 8);
};

const withPrefix = (prefix: Buffer, raw: Uint8Array): Buffer => {
  if (raw.length !== RAW_KEY_SIZE) throw new TypeError(`a raw Ed25519 key is ${RAW_KEY_SIZE} bytes`);
  return Buffer.concat([prefix, raw]);
};
