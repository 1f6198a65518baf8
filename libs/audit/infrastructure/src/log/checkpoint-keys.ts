import { INSTANCE_ORG_ID } from '@mandate/contracts';
import { type EventStore, uuidv7, WrongExpectedRevisionError } from '@mandate/eventstore';
import { type SecretBox } from '@mandate/platform';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

const STREAM = 'audit-checkpoint-keys';
const KEY_EVENT = 'audit.checkpoint_key.generated';
const sealingContext = (name: string) => `audit-checkpoint-key:${name}`;

/** The Ed25519 key checkpoints are signed with, under its C2SP key name. */
export interface CheckpointKey {
  readonly name: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly createdAt: Date;
}

interface KeyGenerated {
  type: typeof KEY_EVENT;
  data: { name: string; publicKeyPem: string; sealedPrivateKey: string; createdAt: string };
}

/**
 * The instance's checkpoint-signing keys, kept as events with the private half sealed under the
 * instance key; the newest signs. Rotating adds a key; old checkpoints keep verifying with the old one,
 * whose public key stays listed.
 */
export class CheckpointKeys {
  private keys: CheckpointKey[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly secrets: SecretBox,
    private readonly keyName: string,
    private readonly clock: () => Date,
  ) {}

  get current(): CheckpointKey {
    const key = this.keys.at(-1);
    if (!key) throw new Error('checkpoint keys are not loaded');
    return key;
  }

  get all(): readonly CheckpointKey[] {
    return this.keys;
  }

  /** Loads the keys, making the first one on a fresh installation. */
  async load(): Promise<void> {
    const { events, currentRevision } = await this.store.readStream(STREAM);
    this.keys = events
      .filter((event) => event.type === KEY_EVENT)
      .map((event) => {
        const { name, sealedPrivateKey, createdAt } = (event as unknown as KeyGenerated).data;
        const privateKey = createPrivateKey(this.secrets.open(sealedPrivateKey, sealingContext(name)));
        return { name, privateKey, publicKey: createPublicKey(privateKey), createdAt: new Date(createdAt) };
      });
    if (this.keys.length === 0) await this.rotate(currentRevision);
  }

  /** Adds a new signing key; an expected revision guards against two replicas making the first at once. */
  async rotate(expectedRevision?: number | null): Promise<CheckpointKey> {
    const { privateKey } = generateKeyPairSync('ed25519');
    const name = this.keyName;
    const event: KeyGenerated = {
      type: KEY_EVENT,
      data: {
        name,
        publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
        sealedPrivateKey: this.secrets.seal(
          privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          sealingContext(name),
        ),
        createdAt: this.clock().toISOString(),
      },
    };
    try {
      await this.store.append(STREAM, [event], {
        expectedRevision: expectedRevision === undefined ? 'any' : (expectedRevision ?? 'no_stream'),
        metadata: {
          orgId: INSTANCE_ORG_ID,
          actor: { type: 'system', id: 'audit-checkpoints' },
          correlationId: uuidv7(),
        },
      });
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    await this.load();
    return this.current;
  }
}
