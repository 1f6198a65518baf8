import { type RecordedEvent } from '@mandate/kernel';
import { violation, type WireResult } from './contract-violation';
import { dataSchemaUriFor, type IntegrationEventRegistry, integrationEvents } from './integration-events';
import { type Context, contextOf } from './topics';
import { decodeWireEvent, encodeWireEvent } from './wire-envelope';

export const CLOUD_EVENTS_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

/** Header values as Kafka clients hand them over: bytes or text, sometimes repeated. */
export type IncomingHeaders = Readonly<
  Record<string, string | Uint8Array | readonly (string | Uint8Array)[] | undefined>
>;

/** CloudEvents 1.0 context attributes of one of our events, as carried in binary-mode Kafka headers. */
export interface CloudEventAttributes {
  readonly specversion: string;
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | undefined;
  readonly time: string | undefined;
  readonly dataschema: string | undefined;
  readonly partitionkey: string | undefined;
  readonly datacontenttype: string;
}

export const cloudEventSourceFor = (context: Context): string => `/mandate/${context}`;

/**
 * Binary-mode headers for an event (CloudEvents Kafka protocol binding): the attributes as
 * `ce_*` headers, `content-type` for the JSON envelope in the value. `ce_partitionkey` is the
 * partitioning extension: the orgId, which is also the message key.
 */
export const cloudEventHeaders = (event: RecordedEvent): Record<string, string> => {
  const context = contextOf(event.type);
  if (context === null) throw new Error(`Event type "${event.type}" belongs to no context`);
  return {
    ce_specversion: CLOUD_EVENTS_SPEC_VERSION,
    ce_id: event.id,
    ce_type: event.type,
    ce_source: cloudEventSourceFor(context),
    ce_subject: event.stream,
    ce_time: event.occurredAt.toISOString(),
    ce_dataschema: dataSchemaUriFor(event.type, event.schemaVersion),
    ce_partitionkey: event.orgId,
    'content-type': JSON_CONTENT_TYPE,
  };
};

const utf8 = new TextDecoder('utf-8');

const headerText = (headers: IncomingHeaders, name: string): string | undefined => {
  const raw = headers[name];
  const value = Array.isArray(raw) ? (raw as readonly (string | Uint8Array)[])[0] : raw;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : utf8.decode(value as Uint8Array);
};

export const parseCloudEventHeaders = (headers: IncomingHeaders): WireResult<CloudEventAttributes> => {
  const issues: string[] = [];
  const required = (name: string): string => {
    const value = headerText(headers, name);
    if (value === undefined || value === '') issues.push(`${name}: missing`);
    return value ?? '';
  };
  const attributes: CloudEventAttributes = {
    specversion: required('ce_specversion'),
    id: required('ce_id'),
    type: required('ce_type'),
    source: required('ce_source'),
    subject: headerText(headers, 'ce_subject'),
    time: headerText(headers, 'ce_time'),
    dataschema: headerText(headers, 'ce_dataschema'),
    partitionkey: headerText(headers, 'ce_partitionkey'),
    datacontenttype: required('content-type'),
  };
  if (attributes.specversion !== '' && attributes.specversion !== CLOUD_EVENTS_SPEC_VERSION)
    issues.push(`ce_specversion: ${attributes.specversion} is not ${CLOUD_EVENTS_SPEC_VERSION}`);
  if (attributes.datacontenttype !== '' && attributes.datacontenttype !== JSON_CONTENT_TYPE)
    issues.push(`content-type: ${attributes.datacontenttype} is not ${JSON_CONTENT_TYPE}`);
  return issues.length > 0 ? violation('CONTRACTS_INVALID_HEADERS', issues) : { ok: true, value: attributes };
};

/** Headers that disagree with the envelope they travel with, as issues (empty when they agree). */
export const headerMismatches = (attributes: CloudEventAttributes, event: RecordedEvent): string[] => {
  const expected = cloudEventHeaders(event);
  const compared: [string, string | undefined][] = [
    ['ce_id', attributes.id],
    ['ce_type', attributes.type],
    ['ce_source', attributes.source],
    ['ce_subject', attributes.subject],
    ['ce_time', attributes.time === undefined ? undefined : normaliseTime(attributes.time)],
    ['ce_dataschema', attributes.dataschema],
    ['ce_partitionkey', attributes.partitionkey],
  ];
  return compared
    .filter(([name, actual]) => actual !== undefined && actual !== expected[name])
    .map(([name, actual]) => `${name}: ${actual} does not match the envelope's ${expected[name]}`);
};

const normaliseTime = (time: string): string => {
  const parsed = new Date(time);
  return Number.isNaN(parsed.getTime()) ? time : parsed.toISOString();
};

/**
 * Decodes a binary-mode CloudEvent: the headers, then the JSON envelope in the value (validated
 * as in `decodeWireEvent`), then checks that the headers describe that envelope.
 */
export const decodeCloudEvent = (
  headers: IncomingHeaders,
  value: string | Uint8Array | null,
  registry: IntegrationEventRegistry = integrationEvents,
): WireResult<RecordedEvent> => {
  const attributes = parseCloudEventHeaders(headers);
  if (!attributes.ok) return attributes;
  if (value === null) return violation('CONTRACTS_MALFORMED_JSON', ['the message has no value']);
  const decoded = decodeWireEvent(value, registry);
  if (!decoded.ok) return decoded;
  const mismatches = headerMismatches(attributes.value, decoded.value);
  return mismatches.length > 0 ? violation('CONTRACTS_INVALID_HEADERS', mismatches) : decoded;
};

/** An event as a binary-mode CloudEvent: the headers and the JSON value of a Kafka message. */
export const encodeCloudEvent = (
  event: RecordedEvent,
): { headers: Record<string, string>; value: string } => ({
  headers: cloudEventHeaders(event),
  value: encodeWireEvent(event),
});
