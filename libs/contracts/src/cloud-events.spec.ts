import { type RecordedEvent } from '@mandate/kernel';
import {
  cloudEventHeaders,
  decodeCloudEvent,
  encodeCloudEvent,
  parseCloudEventHeaders,
} from './cloud-events';
import { IntegrationEventRegistry } from './integration-events';

const recordedEvent = (overrides: Partial<RecordedEvent> = {}): RecordedEvent => ({
  id: '0190f1c2-3b4a-7c5d-8e6f-0a1b2c3d4e5f',
  type: 'authz.mandate.revoked',
  schemaVersion: 2,
  orgId: 'org_1',
  stream: 'authz.mandate-m1',
  streamRevision: 0,
  position: { commit: 10n, prepare: 1n },
  occurredAt: new Date('2026-01-02T03:04:05.678Z'),
  actor: { type: 'system', id: 'leaver-cascade' },
  causationId: '0190f1c2-0000-7000-8000-000000000001',
  correlationId: 'corr_1',
  data: { mandateId: 'm1' },
  ...overrides,
});

const toBytes = (headers: Record<string, string>): Record<string, Buffer> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));

describe('CloudEvents binary mode', () => {
  const registry = new IntegrationEventRegistry();

  it('carries the context attributes as ce_* headers and the envelope as JSON', () => {
    expect(cloudEventHeaders(recordedEvent())).toEqual({
      ce_specversion: '1.0',
      ce_id: '0190f1c2-3b4a-7c5d-8e6f-0a1b2c3d4e5f',
      ce_type: 'authz.mandate.revoked',
      ce_source: '/mandate/authz',
      ce_subject: 'authz.mandate-m1',
      ce_time: '2026-01-02T03:04:05.678Z',
      ce_dataschema: 'urn:mandate:schema:authz.mandate.revoked:v2',
      ce_partitionkey: 'org_1',
      'content-type': 'application/json',
    });
  });

  it('refuses to describe an event that belongs to no context', () => {
    expect(() => cloudEventHeaders(recordedEvent({ type: 'billing.invoice.paid' }))).toThrow(/no context/);
  });

  it('decodes what it encodes, from text or from bytes', () => {
    const event = recordedEvent();
    const { headers, value } = encodeCloudEvent(event);
    expect(decodeCloudEvent(headers, value, registry)).toEqual({ ok: true, value: event });
    expect(decodeCloudEvent(toBytes(headers), Buffer.from(value), registry)).toEqual({
      ok: true,
      value: event,
    });
  });

  it('parses the attributes, taking the first of repeated headers', () => {
    const headers = { ...toBytes(cloudEventHeaders(recordedEvent())), ce_id: [Buffer.from('a'), 'b'] };
    const parsed = parseCloudEventHeaders(headers);
    expect(parsed.ok && parsed.value).toMatchObject({
      id: 'a',
      source: '/mandate/authz',
      specversion: '1.0',
    });
  });

  it('rejects missing attributes, another spec version and another content type', () => {
    const { ce_id: _id, ce_source: _source, ...rest } = cloudEventHeaders(recordedEvent());
    const parsed = parseCloudEventHeaders({ ...rest, ce_specversion: '0.3', 'content-type': 'text/plain' });
    expect(!parsed.ok && parsed.error.code).toBe('CONTRACTS_INVALID_HEADERS');
    expect(!parsed.ok && parsed.error.issues).toEqual([
      'ce_id: missing',
      'ce_source: missing',
      'ce_specversion: 0.3 is not 1.0',
      'content-type: text/plain is not application/json',
    ]);
  });

  it('rejects headers that describe another event than the value', () => {
    const { headers, value } = encodeCloudEvent(recordedEvent());
    const decoded = decodeCloudEvent(
      { ...headers, ce_type: 'authz.mandate.granted', ce_subject: 'authz.mandate-m2' },
      value,
      registry,
    );
    expect(!decoded.ok && decoded.error.code).toBe('CONTRACTS_INVALID_HEADERS');
    expect(!decoded.ok && decoded.error.issues).toEqual([
      expect.stringMatching(/^ce_type: /),
      expect.stringMatching(/^ce_subject: /),
    ]);
  });

  it('accepts the same instant written with an offset', () => {
    const { headers, value } = encodeCloudEvent(recordedEvent());
    const decoded = decodeCloudEvent(
      { ...headers, ce_time: '2026-01-02T05:04:05.678+02:00' },
      value,
      registry,
    );
    expect(decoded.ok).toBe(true);
  });

  it('rejects a message without a value', () => {
    const decoded = decodeCloudEvent(cloudEventHeaders(recordedEvent()), null, registry);
    expect(!decoded.ok && decoded.error.code).toBe('CONTRACTS_MALFORMED_JSON');
  });
});
