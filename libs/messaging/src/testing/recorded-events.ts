import { uuidv7 } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { randomBytes } from 'node:crypto';

/** A recorded event as a store would return it, for tests; every field can be overridden. */
export const recordedEvent = (overrides: Partial<RecordedEvent> = {}): RecordedEvent => ({
  id: uuidv7(),
  type: 'directory.sample.recorded',
  schemaVersion: 1,
  orgId: 'org_1',
  stream: 'directory.user-u1',
  streamRevision: 0,
  position: { commit: 1n, prepare: 1n },
  occurredAt: new Date('2026-03-01T10:00:00.000Z'),
  actor: { type: 'user', id: 'user_admin' },
  causationId: null,
  correlationId: 'corr_1',
  data: { userId: 'u1' },
  ...overrides,
});

/** A lower-case name no other test run uses: for schemas, topics and consumer groups. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;
