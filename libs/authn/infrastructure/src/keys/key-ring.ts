import {
  INSTANCE_ORG_ID,
  type SigningKeyGenerated,
  SigningKeyGeneratedV1,
  type SigningKeyRetired,
  SigningKeyRetiredV1,
  signingKeysStream,
} from '@mandate/contracts';
import { type EventStore, uuidv7, WrongExpectedRevisionError } from '@mandate/eventstore';
import { type SecretBox } from '@mandate/platform';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';

export type SigningAlgorithm = 'EdDSA' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly activeFrom: Date;
  readonly retiredAt: Date | null;
  readonly publishedUntil: Date | null;
}

export interface RotationPolicy {
  /** A signing key is replaced after this long (30 days by default). */
  readonly rotateAfterMs: number;
  /** A replaced key stays published this long, so every token it signed can still be verified (a day). */
  readonly publishForMs: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { rotateAfterMs: 30 * 86_400_000, publishForMs: 86_400_000 };

const sealingContext = (kid: string) => `signing-key:${kid}`;

/**
 * The authorization server's signing keys, one current key per algorithm, rotated on schedule. The
 * event stream is their source of truth (private halves sealed under the instance key); a retired
 * key stays published at the JWKS endpoint until the tokens it signed have expired.
 */
export class KeyRing {
  private keys = new Map<string, SigningKey>();
  private revision: number | null = null;
  private verificationKeys: { version: string; keys: ReturnType<typeof createLocalJWKSet> } | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly secrets: SecretBox,
    private readonly clock: () => Date,
    private readonly policy: RotationPolicy = DEFAULT_ROTATION,
  ) {}

  /** Loads the ring, then generates or rotates keys as the policy says; true when the keys changed. */
  async refresh(): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const before = this.revision;
      await this.load();
      const events = await this.rotation();
      if (events.length === 0) return this.revision !== before;
      try {
        await this.store.append(signingKeysStream, events, {
          expectedRevision: this.revision ?? 'no_stream',
          metadata: {
            orgId: INSTANCE_ORG_ID,
            actor: { type: 'system', id: 'authn-key-rotation' },
            correlationId: uuidv7(),
            occurredAt: this.clock(),
          },
        });
        await this.load();
        return true;
      } catch (error) {
        // Another replica rotated first: take its keys.
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  }

  /** Keys to sign with, current first for each algorithm, then the retired ones still published. */
  published(): SigningKey[] {
    const now = this.clock().getTime();
    const live = [...this.keys.values()].filter(
      (key) => key.publishedUntil === null || key.publishedUntil.getTime() > now,
    );
    const current = (key: SigningKey) => key.retiredAt === null && key.activeFrom.getTime() <= now;
    return live.sort(
      (a, b) => Number(current(b)) - Number(current(a)) || b.activeFrom.getTime() - a.activeFrom.getTime(),
    );
  }

  /** Changes whenever the published keys change. */
  get version(): string {
    return this.published()
      .map((key) => `${key.kid}:${key.retiredAt === null ? 'current' : 'retired'}`)
      .join(',');
  }

  /**
   * Verifies an access token this authorization server signed (`typ: at+jwt`, EdDSA or ES256, exact
   * issuer, no clock tolerance): what introspection and token exchange ask. jose's errors pass through.
   */
  async verifyAccessToken(token: string, issuer: string): Promise<JWTPayload> {
    const version = this.version;
    if (this.verificationKeys?.version !== version) {
      const keys = createLocalJWKSet({ keys: this.published().map((key) => key.publicJwk) });
      this.verificationKeys = { version, keys };
    }
    const { payload } = await jwtVerify(token, this.verificationKeys.keys, {
      issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGORITHMS],
      // Our own tokens on our own clock: no tolerance.
      clockTolerance: 0,
      currentDate: this.clock(),
    });
    return payload;
  }

  private async load(): Promise<void> {
    const { events, currentRevision } = await this.store.readStream(signingKeysStream);
    const keys = new Map<string, SigningKey>();
    for (const event of events) {
      if (SigningKeyGeneratedV1.is(event)) {
        const { kid, alg, publicJwk, sealedPrivateJwk, activeFrom } = event.data;
        keys.set(kid, {
          kid,
          alg,
          publicJwk,
          privateJwk: JSON.parse(this.secrets.open(sealedPrivateJwk, sealingContext(kid))) as JWK,
          activeFrom: new Date(activeFrom),
          retiredAt: null,
          publishedUntil: null,
        });
      } else if (SigningKeyRetiredV1.is(event)) {
        const key = keys.get(event.data.kid);
        if (key) {
          keys.set(key.kid, {
            ...key,
            retiredAt: new Date(event.data.retiredAt),
            publishedUntil: new Date(event.data.publishedUntil),
          });
        }
      }
    }
    this.keys = keys;
    this.revision = currentRevision;
  }

  /** For each algorithm without a current key younger than the rotation period: a new key, the old one retired. */
  private async rotation(): Promise<(SigningKeyGenerated | SigningKeyRetired)[]> {
    const now = this.clock();
    const events: (SigningKeyGenerated | SigningKeyRetired)[] = [];
    for (const alg of SIGNING_ALGORITHMS) {
      const current = [...this.keys.values()].filter((key) => key.alg === alg && key.retiredAt === null);
      const fresh = current.some(
        (key) => now.getTime() - key.activeFrom.getTime() < this.policy.rotateAfterMs,
      );
      if (fresh) continue;
      events.push(await this.generate(alg, now));
      for (const key of current) {
        events.push({
          type: 'authn.signing_key.retired',
          data: {
            kid: key.kid,
            retiredAt: now.toISOString(),
            publishedUntil: new Date(now.getTime() + this.policy.publishForMs).toISOString(),
          },
        });
      }
    }
    return events;
  }

  private async generate(alg: SigningAlgorithm, now: Date): Promise<SigningKeyGenerated> {
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      crv: alg === 'EdDSA' ? 'Ed25519' : 'P-256',
    });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
    return {
      type: 'authn.signing_key.generated',
      data: {
        kid,
        alg,
        publicJwk,
        sealedPrivateJwk: this.secrets.seal(JSON.stringify(privateJwk), sealingContext(kid)),
        generatedAt: now.toISOString(),
        activeFrom: now.toISOString(),
      },
    };
  }
}
