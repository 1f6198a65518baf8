import {
  type AllStreamResolvedEvent,
  ANY,
  type EventData,
  NO_STREAM,
  type Position,
  STREAM_EXISTS,
  UnavailableError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { comparePositions, type RecordedEvent } from '@mandate/kernel';
import { type AppendMetadata, WrongExpectedRevisionError } from '../event-store';
import {
  CHECKPOINT_EVENT_TYPE,
  fromAppendError,
  fromCheckpointData,
  fromResolvedEvent,
  isAfter,
  isSystemEvent,
  KurrentDbUnreadableEventError,
  readEnvelope,
  toActualRevision,
  toCheckpointData,
  toClientPosition,
  toEventData,
  toGlobalPosition,
  toRevision,
  toServerFilter,
  toStreamState,
} from './kurrentdb-mapping';

const occurredAt = new Date('2026-03-04T05:06:07.089Z');
const metadata = (overrides: Partial<AppendMetadata> = {}): AppendMetadata => ({
  orgId: 'org_1',
  actor: { type: 'agent', id: 'agent-7', onBehalfOf: 'user-3', via: 'mcp' },
  correlationId: 'corr-1',
  causationId: 'cause-1',
  ...overrides,
});
const position = (commit: bigint, prepare = commit): Position => ({ commit, prepare });

/** What the client hands back when it reads an event that `toEventData` wrote. */
const stored = (
  data: EventData,
  overrides: Partial<{
    streamId: string;
    revision: bigint;
    position: Position | undefined;
    isJson: boolean;
  }> = {},
): AllStreamResolvedEvent => ({
  event: {
    streamId: overrides.streamId ?? 'directory-user-1',
    id: data.id,
    isJson: true,
    revision: overrides.revision ?? 3n,
    type: data.type,
    created: new Date('2030-01-01T00:00:00.000Z'),
    data: data.data as Record<string, unknown>,
    metadata: JSON.parse(JSON.stringify(data.metadata)) as Record<string, unknown>,
    position: overrides.position ?? position(4200n),
    ...(overrides.isJson === false ? { isJson: false, data: new Uint8Array([1]) } : {}),
  } as AllStreamResolvedEvent['event'],
  commitPosition: 4200n,
});

describe('KurrentDB mapping', () => {
  describe('expected revisions', () => {
    it('maps the four expectations onto the client stream states', () => {
      expect(toStreamState('any')).toBe(ANY);
      expect(toStreamState('no_stream')).toBe(NO_STREAM);
      expect(toStreamState('stream_exists')).toBe(STREAM_EXISTS);
      expect(toStreamState(0)).toBe(0n);
      expect(toStreamState(41)).toBe(41n);
    });

    it('refuses revisions that are not non-negative integers', () => {
      expect(() => toStreamState(-1)).toThrow(RangeError);
      expect(() => toStreamState(1.5)).toThrow(RangeError);
      expect(() => toStreamState(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
    });

    it('turns bigint revisions into numbers only while they stay exact', () => {
      expect(toRevision(0n)).toBe(0);
      expect(toRevision(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
      expect(() => toRevision(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toThrow(RangeError);
      expect(() => toRevision(-1n)).toThrow(RangeError);
    });
  });

  describe('append errors', () => {
    const conflict = (expected: bigint | 'no_stream' | 'stream_exists', current: bigint | 'no_stream') =>
      new WrongExpectedVersionError(undefined, { streamName: 's-1', expected, current });

    it("maps the client's conflict to the port's, keeping the revision the caller expected", () => {
      const error = fromAppendError('s-1', 0, conflict(0n, 1n));
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({
        code: 'EVENTSTORE_WRONG_EXPECTED_REVISION',
        stream: 's-1',
        expected: 0,
        actual: 1,
      });
    });

    it('reports a missing stream as no actual revision', () => {
      expect(fromAppendError('s-1', 'stream_exists', conflict('stream_exists', 'no_stream'))).toMatchObject({
        expected: 'stream_exists',
        actual: null,
      });
      expect(fromAppendError('s-1', 3, conflict(3n, -1n))).toMatchObject({ expected: 3, actual: null });
    });

    it('reports an existing stream appended to as new with its revision', () => {
      expect(fromAppendError('s-1', 'no_stream', conflict('no_stream', 7n))).toMatchObject({
        expected: 'no_stream',
        actual: 7,
      });
    });

    it('passes every other error through untouched', () => {
      const unavailable = new UnavailableError();
      expect(fromAppendError('s-1', 0, unavailable)).toBe(unavailable);
      const plain = new Error('boom');
      expect(fromAppendError('s-1', 0, plain)).toBe(plain);
    });

    it('reads the negative markers of raw gRPC errors as no revision', () => {
      expect(toActualRevision(NO_STREAM)).toBeNull();
      expect(toActualRevision(-1n)).toBeNull();
      expect(toActualRevision(-6n)).toBeNull();
      expect(toActualRevision(12n)).toBe(12);
    });
  });

  describe('positions', () => {
    it('keeps commit and prepare as they are, in both directions', () => {
      const global = toGlobalPosition(position(18_446_744_073_709_551_000n, 17n));
      expect(global).toEqual({ commit: 18_446_744_073_709_551_000n, prepare: 17n });
      expect(toClientPosition(global)).toEqual(position(18_446_744_073_709_551_000n, 17n));
    });

    it('orders KurrentDB positions by commit, then prepare', () => {
      expect(comparePositions(position(100n, 150n), position(200n, 120n))).toBeLessThan(0);
      expect(comparePositions(position(200n, 120n), position(200n, 140n))).toBeLessThan(0);
      expect(comparePositions(position(200n), position(200n))).toBe(0);
    });

    it('reads after a position exclusively, and from the start when there is none', () => {
      expect(isAfter(position(10n), null)).toBe(true);
      expect(isAfter(position(10n), undefined)).toBe(true);
      expect(isAfter(position(10n), position(10n))).toBe(false);
      expect(isAfter(position(11n), position(10n))).toBe(true);
      expect(isAfter(position(9n), position(10n))).toBe(false);
    });
  });

  describe('envelope', () => {
    it('writes a JSON event whose metadata carries every envelope field', () => {
      const data = toEventData(
        { type: 'directory.user.provisioned', data: { userId: 'u1' }, id: 'given-id', schemaVersion: 3 },
        metadata(),
        occurredAt,
        () => 'generated-id',
      );
      expect(data).toMatchObject({
        id: 'given-id',
        contentType: 'application/json',
        type: 'directory.user.provisioned',
        data: { userId: 'u1' },
      });
      expect(data.metadata).toEqual({
        orgId: 'org_1',
        actor: { type: 'agent', id: 'agent-7', onBehalfOf: 'user-3', via: 'mcp' },
        causationId: 'cause-1',
        correlationId: 'corr-1',
        schemaVersion: 3,
        occurredAt: '2026-03-04T05:06:07.089Z',
        $correlationId: 'corr-1',
        $causationId: 'cause-1',
      });
    });

    it('generates the id and defaults the schema version and causation', () => {
      const data = toEventData(
        { type: 'directory.user.deactivated', data: {} },
        metadata({ causationId: undefined }),
        occurredAt,
        () => 'generated-id',
      );
      expect(data.id).toBe('generated-id');
      expect(data.metadata).toMatchObject({ schemaVersion: 1, causationId: null });
      expect(data.metadata).not.toHaveProperty('$causationId');
    });

    it('reads back exactly the envelope it wrote, with the store-assigned stream, revision and position', () => {
      const data = toEventData(
        { type: 'directory.user.provisioned', data: { userId: 'u1' }, schemaVersion: 2 },
        metadata(),
        occurredAt,
        () => '01890a5d-ac96-774b-bcce-b302099a8057',
      );
      const event = fromResolvedEvent(stored(data, { revision: 5n, position: position(900n, 880n) }));
      expect(event).toEqual<RecordedEvent>({
        id: '01890a5d-ac96-774b-bcce-b302099a8057',
        type: 'directory.user.provisioned',
        schemaVersion: 2,
        orgId: 'org_1',
        stream: 'directory-user-1',
        streamRevision: 5,
        position: { commit: 900n, prepare: 880n },
        occurredAt,
        actor: { type: 'agent', id: 'agent-7', onBehalfOf: 'user-3', via: 'mcp' },
        causationId: 'cause-1',
        correlationId: 'corr-1',
        data: { userId: 'u1' },
      });
    });

    it('keeps an actor without optional fields free of undefined keys', () => {
      const data = toEventData(
        { type: 'x.y.z', data: {} },
        metadata({ actor: { type: 'system', id: 'boot' } }),
        occurredAt,
        () => 'id',
      );
      expect(fromResolvedEvent(stored(data))?.actor).toStrictEqual({ type: 'system', id: 'boot' });
    });

    it('says why a metadata document is not an envelope', () => {
      const good = toEventData({ type: 'x.y.z', data: {} }, metadata(), occurredAt, () => 'id').metadata;
      const envelope = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      expect(typeof readEnvelope(envelope)).toBe('object');
      expect(readEnvelope(undefined)).toBe('its metadata is not a JSON object');
      expect(readEnvelope({ ...envelope, orgId: 1 })).toBe('orgId is not a string');
      expect(readEnvelope({ ...envelope, causationId: 5 })).toBe('causationId is neither a string nor null');
      expect(readEnvelope({ ...envelope, correlationId: null })).toBe('correlationId is not a string');
      expect(readEnvelope({ ...envelope, schemaVersion: 0 })).toBe('schemaVersion is not a positive integer');
      expect(readEnvelope({ ...envelope, occurredAt: 'yesterday' })).toBe(
        'occurredAt is not an ISO-8601 date',
      );
      expect(readEnvelope({ ...envelope, actor: { type: 'robot', id: 'r' } })).toBe(
        'actor.type is not a known actor type',
      );
      expect(readEnvelope({ ...envelope, actor: { type: 'user' } })).toBe('actor.id is not a string');
    });
  });

  describe('events the port does not show', () => {
    const data = toEventData({ type: 'x.y.z', data: {} }, metadata(), occurredAt, () => 'id');

    it('skips system events: $-types, $-streams, links and empty slots', () => {
      expect(fromResolvedEvent(stored({ ...data, type: '$metadata' }))).toBeNull();
      expect(fromResolvedEvent(stored({ ...data, type: CHECKPOINT_EVENT_TYPE }))).toBeNull();
      expect(fromResolvedEvent(stored(data, { streamId: '$$directory-user-1' }))).toBeNull();
      expect(fromResolvedEvent(stored({ ...data, type: '$>' }, { streamId: '$ce-directory' }))).toBeNull();
      expect(fromResolvedEvent({ commitPosition: 1n })).toBeNull();
      expect(isSystemEvent({ type: 'directory.user.provisioned', streamId: 'directory-user-1' })).toBe(false);
    });

    it('refuses, with a coded error, an event that was not written through the port', () => {
      const foreign = stored({ ...data, metadata: { source: 'legacy' } });
      expect(() => fromResolvedEvent(foreign)).toThrow(KurrentDbUnreadableEventError);
      expect(() => fromResolvedEvent(foreign)).toThrow(/orgId is not a string/);
      expect(() => fromResolvedEvent(stored(data, { isJson: false }))).toThrow(/not JSON/);
      const unpositioned = stored(data);
      delete (unpositioned.event as { position?: Position }).position;
      expect(() => fromResolvedEvent(unpositioned)).toThrow(
        expect.objectContaining({ code: 'EVENTSTORE_UNREADABLE_EVENT', stream: 'directory-user-1' }) as Error,
      );
    });
  });

  describe('server-side filters', () => {
    const regexOf = (filter: Parameters<typeof toServerFilter>[0]) => {
      const serverFilter = toServerFilter(filter);
      expect(serverFilter.filterOn).toBe('eventType');
      if (!('regex' in serverFilter)) throw new Error('expected a regex filter');
      return new RegExp(serverFilter.regex);
    };

    it('excludes system events when the caller does not filter', () => {
      const regex = regexOf(undefined);
      expect(regex.test('directory.user.provisioned')).toBe(true);
      expect(regex.test('$metadata')).toBe(false);
      expect(regex.test(CHECKPOINT_EVENT_TYPE)).toBe(false);
    });

    it('matches exactly the named types, dots taken literally', () => {
      const regex = regexOf({ types: ['test.thing.happened', 'a+b'] });
      expect(regex.test('test.thing.happened')).toBe(true);
      expect(regex.test('a+b')).toBe(true);
      expect(regex.test('testXthing.happened')).toBe(false);
      expect(regex.test('test.thing.happened.later')).toBe(false);
      expect(regex.test('aab')).toBe(false);
    });

    it('matches the named prefixes and never a system event', () => {
      const regex = regexOf({ typePrefixes: ['directory.', 'authz.mandate.'] });
      expect(regex.test('directory.user.provisioned')).toBe(true);
      expect(regex.test('authz.mandate.revoked')).toBe(true);
      expect(regex.test('authz.grant.revoked')).toBe(false);
      expect(regex.test('directoryXuser')).toBe(false);
      expect(regexOf({ typePrefixes: [''] }).test('$metadata')).toBe(false);
    });

    it('lets the types narrow first when both are given; the client applies the rest', () => {
      const regex = regexOf({ types: ['directory.user.provisioned'], typePrefixes: ['authz.'] });
      expect(regex.test('directory.user.provisioned')).toBe(true);
      expect(regex.test('authz.mandate.revoked')).toBe(false);
    });
  });

  describe('checkpoints', () => {
    it('round-trips a position through JSON as decimal strings', () => {
      const checkpoint = { commit: 18_446_744_073_709_551_615n, prepare: 42n };
      const data = JSON.parse(JSON.stringify(toCheckpointData(checkpoint))) as unknown;
      expect(data).toEqual({ commit: '18446744073709551615', prepare: '42' });
      expect(fromCheckpointData(data)).toEqual(checkpoint);
    });

    it('reads nothing that is not a checkpoint', () => {
      expect(fromCheckpointData(undefined)).toBeNull();
      expect(fromCheckpointData({ commit: 1, prepare: 2 })).toBeNull();
      expect(fromCheckpointData({ commit: '-1', prepare: '2' })).toBeNull();
      expect(fromCheckpointData({ commit: '1' })).toBeNull();
    });
  });
});
