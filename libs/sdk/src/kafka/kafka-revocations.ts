import { randomUUID } from 'node:crypto';
import { decodeCloudEvent, GrantRevokedV1, topicFor } from '@mandate/contracts';
import { type Consumer, type Kafka } from 'kafkajs';
import { consoleLogger, describeError, type SdkLogger } from '../logger';
import { type GrantRevocation, type RevocationFollower, RevokedGrants } from '../revocations/revocation-list';
import { backoffDelay, deferred, sleep } from '../timing';
import { type KafkaConnectionOptions, kafkaFrom } from './kafka-client';

export interface KafkaRevocationsOptions extends KafkaConnectionOptions {
  /**
   * The consumer group: **unique per process** (every instance must see every revocation). A random
   * one by default. The follower never commits offsets, so it reads the topic from the earliest
   * retained offset at every start, whatever the group.
   */
  readonly groupId?: string;
  /** How long after `expiresAt` a grant is remembered (5 min by default). */
  readonly retentionMs?: number;
  /** `connected` turns false after this long without a successful fetch (30 s by default). */
  readonly staleAfterMs?: number;
  readonly onRevocation?: (revocation: GrantRevocation) => void;
  /** Milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

class KafkaFollower implements RevocationFollower {
  private readonly grants: RevokedGrants;
  private readonly caughtUp = deferred();
  private readonly stopping = new AbortController();
  private readonly logger: SdkLogger;
  private readonly kafka: Kafka;
  private readonly topic: string;
  private readonly groupId: string;
  private readonly now: () => number;
  private readonly pruneTimer: ReturnType<typeof setInterval>;
  /** Per partition, the offset to reach for the initial catch-up. */
  private readonly targets = new Map<number, bigint>();
  private consumer: Consumer | null = null;
  private joined = false;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: KafkaRevocationsOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.kafka = kafkaFrom(options, this.logger, 'mandate-sdk-revocations');
    this.topic = `${options.topicPrefix ?? ''}${topicFor('authn')}`;
    this.groupId = options.groupId ?? `${options.topicPrefix ?? ''}mandate-sdk-revocations-${randomUUID()}`;
    this.now = options.now ?? Date.now;
    this.grants = new RevokedGrants({
      now: this.now,
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    });
    this.pruneTimer = setInterval(() => this.grants.prune(), 60_000);
    this.pruneTimer.unref();
  }

  start(): this {
    this.running = this.run();
    return this;
  }

  get connected(): boolean {
    return this.joined && Date.now() - this.lastFetchAt < (this.options.staleAfterMs ?? 30_000);
  }

  get size(): number {
    return this.grants.size;
  }

  isRevoked(grantId: string): boolean {
    return this.grants.has(grantId);
  }

  ready(): Promise<void> {
    return this.caughtUp.promise;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.pruneTimer);
    if (!this.caughtUp.settled) this.caughtUp.reject(new Error('The revocation follower was closed'));
    await this.running;
    await this.consumer?.disconnect();
    this.joined = false;
  }

  /** Connects, retrying with backoff until it works or the follower is closed. */
  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopping.signal.aborted; attempt += 1) {
      try {
        await this.connect();
        return;
      } catch (error) {
        this.logger.warn(`Revocation follower cannot start on ${this.topic}: ${describeError(error)}`);
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
        await sleep(backoffDelay(attempt, {}), this.stopping.signal);
      }
    }
  }

  private async connect(): Promise<void> {
    await this.readTargets();
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: () => Promise.resolve(true) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetchAt = Date.now();
    });
    for (const event of [consumer.events.DISCONNECT, consumer.events.STOP, consumer.events.CRASH])
      consumer.on(event, () => {
        this.joined = false;
      });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    if (this.stopping.signal.aborted) return;
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        this.receive(partition, message.offset, message.headers ?? {}, message.value);
        return Promise.resolve();
      },
    });
  }

  /** The end of every partition now: the initial catch-up is over when the follower reaches them all. */
  private async readTargets(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      this.targets.clear();
      for (const { partition, high, low } of offsets)
        if (BigInt(high) > BigInt(low)) this.targets.set(partition, BigInt(high));
    } finally {
      await admin.disconnect();
    }
    this.checkCaughtUp();
  }

  private receive(
    partition: number,
    offset: string,
    headers: Parameters<typeof decodeCloudEvent>[0],
    value: Buffer | null,
  ): void {
    const decoded = decodeCloudEvent(headers, value);
    if (!decoded.ok) {
      this.logger.warn(
        `Skipped a malformed message at ${this.topic}/${partition}@${offset}: ${decoded.error.message}`,
      );
    } else if (GrantRevokedV1.is(decoded.value)) {
      const revocation = decoded.value.data;
      if (this.grants.add(revocation)) this.options.onRevocation?.(revocation);
    } else if (decoded.value.type === GrantRevokedV1.type) {
      this.logger.warn(
        `Skipped ${GrantRevokedV1.type} v${decoded.value.schemaVersion} at ${this.topic}/${partition}@${offset}: this SDK knows v${GrantRevokedV1.version}`,
      );
    }
    const target = this.targets.get(partition);
    if (target !== undefined && BigInt(offset) + 1n >= target) {
      this.targets.delete(partition);
      this.checkCaughtUp();
    }
  }

  private checkCaughtUp(): void {
    if (this.targets.size === 0 && !this.caughtUp.settled) this.caughtUp.resolve();
  }
}

/**
 * Follows `authn.grant.revoked` on Mandate's authn topic with kafkajs, from the earliest retained
 * offset at every start (the topic must retain revocations at least as long as tokens live). Messages
 * are decoded and validated with the contracts; malformed ones are skipped with a warning.
 */
export const followRevocationsOnKafka = (options: KafkaRevocationsOptions): RevocationFollower =>
  new KafkaFollower(options).start();
