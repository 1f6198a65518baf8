import { type RecordedEvent } from '@mandate/kernel';
import { z } from 'zod';
import { IntegrationEventRegistry } from './integration-events';
import { decodeWireEvent, encodeWireEvent, fromWireEnvelope, toWireEnvelope } from './wire-envelope';

const recordedEvent = (overrides: Partial<RecordedEvent> = {}): RecordedEvent => ({
  id: '0190f1c2-3b4a-7c5d-8e6f-0a1b2c3d4e5f',
  type: 'directory.user.provisioned',
  schemaVersion: 1,
  orgId: 'org_1',
  stream: 'directory.user-u1',
  streamRevision: 3,
  position: { commit: 18446744073709551615n, prepare: 7n },
  occurredAt: new Date('2026-01-02T03:04:05.678Z'),
  actor: { type: 'agent', id: 'agent_1', onBehalfOf: 'user_9', via: 'client_3' },
  causationId: null,
  correlationId: 'corr_1',
  data: { userId: 'u1', email: 'ada@example.com' },
  ...overrides,
});

describe('wire envelope', () => {
  const registry = new IntegrationEventRegistry();
  registry.define('directory.user.provisioned', 1, z.object({ userId: z.string(), email: z.email() }));

  it('round-trips a recorded event through JSON, positions beyond 2^53 included', () => {
    const event = recordedEvent();
    const decoded = decodeWireEvent(encodeWireEvent(event), registry);
    expect(decoded).toEqual({ ok: true, value: event });
    expect(decoded.ok && decoded.value.position.commit).toBe(18446744073709551615n);
  });

  it('writes the position as a token and the time as an ISO string', () => {
    const wire = toWireEnvelope(recordedEvent({ causationId: '0190f1c2-0000-7000-8000-000000000001' }));
    expect(wire).toMatchObject({
      position: '18446744073709551615-7',
      occurredAt: '2026-01-02T03:04:05.678Z',
      causationId: '0190f1c2-0000-7000-8000-000000000001',
    });
  });

  it('leaves absent optional actor fields absent', () => {
    const event = recordedEvent({ actor: { type: 'user', id: 'user_1' } });
    const decoded = decodeWireEvent(encodeWireEvent(event), registry);
    expect(decoded.ok && decoded.value.actor).toStrictEqual({ type: 'user', id: 'user_1' });
  });

  it('passes the data of an unknown (type, version) through unvalidated', () => {
    const event = recordedEvent({ type: 'directory.user.renamed', data: { anything: [1, 'two'] } });
    expect(fromWireEnvelope(toWireEnvelope(event), registry)).toEqual({ ok: true, value: event });
    const newerVersion = recordedEvent({ schemaVersion: 2, data: { shape: 'not v1' } });
    expect(fromWireEnvelope(toWireEnvelope(newerVersion), registry)).toEqual({
      ok: true,
      value: newerVersion,
    });
  });

  it('rejects data that breaks the schema of a known (type, version)', () => {
    const decoded = fromWireEnvelope(toWireEnvelope(recordedEvent({ data: { userId: 'u1' } })), registry);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.error.code).toBe('CONTRACTS_INVALID_DATA');
    expect(!decoded.ok && decoded.error.issues).toEqual([expect.stringMatching(/^data\.email: /)]);
  });

  it.each([
    ['a non-UUID id', { id: 'evt-1' }, 'id'],
    ['a type of no context', { type: 'billing.invoice.paid' }, 'type'],
    ['a version of 0', { schemaVersion: 0 }, 'schemaVersion'],
    ['a fractional revision', { streamRevision: 1.5 }, 'streamRevision'],
    ['a numeric position', { position: 12 }, 'position'],
    ['a position that is no token', { position: '12' }, 'position'],
    ['a time that is not ISO 8601', { occurredAt: 'yesterday' }, 'occurredAt'],
    ['an unknown actor type', { actor: { type: 'robot', id: 'r1' } }, 'actor.type'],
    ['an empty org id', { orgId: '' }, 'orgId'],
    ['a missing correlation id', { correlationId: undefined }, 'correlationId'],
    ['missing data', { data: undefined }, 'data'],
  ])('rejects an envelope with %s', (_name, change, path) => {
    const decoded = fromWireEnvelope({ ...toWireEnvelope(recordedEvent()), ...change }, registry);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.error.code).toBe('CONTRACTS_INVALID_ENVELOPE');
    expect(!decoded.ok && decoded.error.issues).toEqual([expect.stringMatching(new RegExp(`^${path}: `))]);
  });

  it('rejects a value that is not JSON, or not UTF-8', () => {
    for (const value of ['{"id":', new Uint8Array([0x7b, 0xff, 0x7d])]) {
      const decoded = decodeWireEvent(value, registry);
      expect(!decoded.ok && decoded.error.code).toBe('CONTRACTS_MALFORMED_JSON');
    }
    const notAnObject = decodeWireEvent('42', registry);
    expect(!notAnObject.ok && notAnObject.error.code).toBe('CONTRACTS_INVALID_ENVELOPE');
  });
});
