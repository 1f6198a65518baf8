import { randomBytes, randomUUID } from 'node:crypto';
import { encodeCloudEvent } from '@mandate/contracts';

/** An event as Mandate's store records it (the shape `encodeCloudEvent` takes), for tests. */
export type TestRecordedEvent = Parameters<typeof encodeCloudEvent>[0];

/** A lower-case name no other test run uses: for topics and consumer groups. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

const base32 = (length: number) =>
  Array.from(randomBytes(length), (byte) => '0123456789abcdefghjkmnpqrstvwxyz'[byte % 32]).join('');

/** A Mandate id: `<prefix>_` + 26 lower-case base32 characters. */
export const mandateId = (prefix: string): string => `${prefix}_${base32(26)}`;

let position = 1n;

export const recordedEvent = (
  overrides: Partial<TestRecordedEvent> & Pick<TestRecordedEvent, 'type' | 'data' | 'orgId'>,
) =>
  ({
    id: randomUUID(),
    schemaVersion: 1,
    stream: 'test-stream',
    streamRevision: 0,
    position: { commit: (position += 1n), prepare: 0n },
    occurredAt: new Date(),
    actor: { type: 'system', id: 'test' },
    causationId: null,
    correlationId: randomUUID(),
    ...overrides,
  }) satisfies TestRecordedEvent;

/** `authn.grant.revoked` for a grant, expiring in an hour unless told otherwise. */
export const grantRevoked = (grantId: string, overrides: { expiresAt?: string; orgId?: string } = {}) => {
  const orgId = overrides.orgId ?? mandateId('org');
  return recordedEvent({
    type: 'authn.grant.revoked',
    orgId,
    stream: `grant-${grantId}`,
    data: {
      orgId,
      grantId,
      subject: mandateId('usr'),
      clientId: 'cli_test',
      actor: null,
      reason: 'admin',
      revokedAt: new Date().toISOString(),
      expiresAt: overrides.expiresAt ?? new Date(Date.now() + 3_600_000).toISOString(),
    },
  });
};

/** An event as a Kafka message, encoded as Mandate's relay encodes it (CloudEvents binary mode, keyed by org). */
export const toKafkaMessage = (event: TestRecordedEvent) => {
  const { headers, value } = encodeCloudEvent(event);
  return { key: event.orgId, value, headers };
};
