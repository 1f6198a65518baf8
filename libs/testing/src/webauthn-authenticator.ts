import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';

/** The subset of CBOR (RFC 8949) that attestation objects and COSE keys need. */
export type CborValue = number | string | Uint8Array | readonly CborValue[] | CborMap;
export type CborMap = ReadonlyMap<CborValue, CborValue>;

const head = (major: number, length: number): Buffer => {
  const type = major << 5;
  if (length < 24) return Buffer.from([type | length]);
  if (length < 0x100) return Buffer.from([type | 24, length]);
  if (length < 0x10000) return Buffer.from([type | 25, length >> 8, length & 0xff]);
  const value = Buffer.alloc(5);
  value[0] = type | 26;
  value.writeUInt32BE(length, 1);
  return value;
};

/** Definite-length encoding of integers (up to 32 bits), byte and text strings, arrays and maps. */
export const encodeCbor = (value: CborValue): Buffer => {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > 0xffffffff)
      throw new Error(`CBOR: ${value} is not a 32-bit integer`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const entries = [...(value as CborMap).entries()];
    return Buffer.concat([
      head(5, entries.length),
      ...entries.flatMap(([key, item]) => [encodeCbor(key), encodeCbor(item)]),
    ]);
  }
  const items = value as readonly CborValue[];
  return Buffer.concat([head(4, items.length), ...items.map(encodeCbor)]);
};

/** What a relying party's `navigator.credentials.create()` options carry, as JSON. */
export interface CreationOptionsJSON {
  readonly challenge: string;
  readonly rp: { readonly id?: string; readonly name: string };
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string };
}

/** What `navigator.credentials.get()` options carry, as JSON. */
export interface RequestOptionsJSON {
  readonly challenge: string;
  readonly rpId?: string;
  readonly allowCredentials?: readonly { readonly id: string }[];
}

export interface RegistrationResponse {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: {
    readonly clientDataJSON: string;
    readonly attestationObject: string;
    readonly transports: string[];
  };
  readonly clientExtensionResults: Record<string, never>;
  readonly authenticatorAttachment: 'cross-platform' | 'platform';
}

export interface AuthenticationResponse {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: {
    readonly clientDataJSON: string;
    readonly authenticatorData: string;
    readonly signature: string;
    readonly userHandle?: string;
  };
  readonly clientExtensionResults: Record<string, never>;
  readonly authenticatorAttachment: 'cross-platform' | 'platform';
}

/** Where the browser says the ceremony runs: the page's origin, and the RP ID the authenticator scopes to. */
export interface Ceremony {
  readonly origin: string;
  /** Defaults to the options' RP ID, else the origin's host (as a browser does). */
  readonly rpId?: string;
}

export interface SoftwareAuthenticatorOptions {
  /** Verifies the user (the UV flag), as a PIN or biometric would. Default true. */
  readonly userVerification?: boolean;
  /** `counter`: the signature counter goes up by one per assertion; `none`: always 0, like many passkeys. */
  readonly signCount?: 'counter' | 'none';
  /** A synced passkey: sets the backup-eligible and backed-up flags. Default false (a security key). */
  readonly synced?: boolean;
  readonly transports?: readonly string[];
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
/** COSE (RFC 9053) labels of an EC2 P-256 key for ES256. */
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, EC2: 2, ES256: -7, P256: 1 } as const;

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
const b64url = (data: Buffer): string => data.toString('base64url');

/**
 * A WebAuthn authenticator in software: one ES256 credential, `none` attestation, assertions with
 * a signature counter. It builds exactly the bytes a browser and a security key would send, so the
 * relying party's real verification runs against it. `clone()` copies the key and the counter, as an
 * attacker who extracted the key would.
 */
export class SoftwareWebauthnAuthenticator {
  private readonly aaguid = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  private userHandle: string | undefined;

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    readonly credentialId: Buffer,
    private counter: number,
    private readonly options: Required<SoftwareAuthenticatorOptions>,
  ) {}

  static create(options: SoftwareAuthenticatorOptions = {}): SoftwareWebauthnAuthenticator {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new SoftwareWebauthnAuthenticator(privateKey, publicKey, randomBytes(32), 0, {
      userVerification: options.userVerification ?? true,
      signCount: options.signCount ?? 'counter',
      synced: options.synced ?? false,
      transports: options.transports ?? ['usb'],
    });
  }

  /** The credential id, base64url, as relying parties store it. */
  get id(): string {
    return b64url(this.credentialId);
  }

  get signCount(): number {
    return this.counter;
  }

  /** Another authenticator holding the same key and counter. */
  clone(): SoftwareWebauthnAuthenticator {
    const copy = new SoftwareWebauthnAuthenticator(
      this.privateKey,
      this.publicKey,
      this.credentialId,
      this.counter,
      this.options,
    );
    copy.userHandle = this.userHandle;
    return copy;
  }

  /** `navigator.credentials.create()`: a new credential with a `none` attestation. */
  register(options: CreationOptionsJSON, ceremony: Ceremony): RegistrationResponse {
    const rpId = ceremony.rpId ?? options.rp.id ?? new URL(ceremony.origin).hostname;
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, ceremony.origin);
    const attestedCredentialData = Buffer.concat([
      this.aaguid,
      Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 0xff]),
      this.credentialId,
      encodeCbor(this.coseKey()),
    ]);
    const authData = Buffer.concat([this.authenticatorData(rpId, FLAG_AT), attestedCredentialData]);
    const attestationObject = encodeCbor(
      new Map<CborValue, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: [...this.options.transports],
      },
      clientExtensionResults: {},
      authenticatorAttachment: this.options.synced ? 'platform' : 'cross-platform',
    };
  }

  /** `navigator.credentials.get()`: an assertion signed over the authenticator data and the client data hash. */
  authenticate(options: RequestOptionsJSON, ceremony: Ceremony): AuthenticationResponse {
    if (options.allowCredentials && !options.allowCredentials.some((allowed) => allowed.id === this.id))
      throw new Error('The authenticator holds none of the allowed credentials');
    const rpId = ceremony.rpId ?? options.rpId ?? new URL(ceremony.origin).hostname;
    if (this.options.signCount === 'counter') this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, ceremony.origin);
    const authenticatorData = this.authenticatorData(rpId, 0);
    // ES256 signatures in WebAuthn are DER-encoded, which is what node:crypto produces by default.
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      this.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(signature),
        ...(this.userHandle && { userHandle: this.userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: this.options.synced ? 'platform' : 'cross-platform',
    };
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  private authenticatorData(rpId: string, extraFlags: number): Buffer {
    const flags =
      FLAG_UP |
      (this.options.userVerification ? FLAG_UV : 0) |
      (this.options.synced ? FLAG_BE | FLAG_BS : 0) |
      extraFlags;
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), signCount]);
  }

  private coseKey(): CborMap {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return new Map<CborValue, CborValue>([
      [COSE.kty, COSE.EC2],
      [COSE.alg, COSE.ES256],
      [COSE.crv, COSE.P256],
      [COSE.x, Buffer.from(jwk.x!, 'base64url')],
      [COSE.y, Buffer.from(jwk.y!, 'base64url')],
    ]);
  }
}
