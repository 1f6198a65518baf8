import { type RecordedEvent } from '@mandate/kernel';
import { recordedEvent } from '../testing/recorded-events';
import { toDeadLetterRecord, toKafkaMessage } from './kafka-messages';

describe('Kafka records', () => {
  const event: RecordedEvent = recordedEvent({ orgId: 'org_42', stream: 'directory.user-u7' });

  it('keys an event by its organization, with CloudEvents headers and the JSON envelope', () => {
    const message = toKafkaMessage(event);
    expect(message.key).toBe('org_42');
    expect(message.headers).toMatchObject({
      ce_id: event.id,
      ce_type: 'directory.sample.recorded',
      ce_source: '/mandate/directory',
      ce_subject: 'directory.user-u7',
      'content-type': 'application/json',
    });
    expect(JSON.parse(message.value as string)).toMatchObject({
      id: event.id,
      position: '1-1',
      orgId: 'org_42',
    });
  });

  it('parks a record unchanged on the dead-letter topic, saying why and where it came from', () => {
    const record = toDeadLetterRecord({
      reason: 'malformed',
      groupId: 'authz-directory',
      errorCode: 'CONTRACTS_MALFORMED_JSON',
      errorMessage: 'Unexpected end of JSON input',
      attempts: 0,
      message: {
        origin: { kind: 'kafka', topic: 'mandate.directory.events.v1', partition: 1, offset: '77' },
        key: new Uint8Array(Buffer.from('org_42')),
        headers: { ce_id: Buffer.from('abc'), tracing: ['a', Buffer.from('b')], absent: undefined },
        value: Buffer.from('{"id":'),
      },
    });
    expect(record.topic).toBe('mandate.directory.events.v1.dlq');
    expect(record.message.key).toEqual(Buffer.from('org_42'));
    expect(record.message.value).toEqual(Buffer.from('{"id":'));
    expect(record.message.headers).toEqual({
      ce_id: Buffer.from('abc'),
      tracing: ['a', Buffer.from('b')],
      mandate_dead_letter_reason: 'malformed',
      mandate_error: 'Unexpected end of JSON input',
      mandate_error_code: 'CONTRACTS_MALFORMED_JSON',
      mandate_consumer_group: 'authz-directory',
      mandate_attempts: '0',
      mandate_original_topic: 'mandate.directory.events.v1',
      mandate_original_partition: '1',
      mandate_original_offset: '77',
    });
  });

  it('refuses to park an in-process message on a Kafka topic', () => {
    expect(() =>
      toDeadLetterRecord({
        reason: 'handler-failed',
        groupId: 'g',
        errorCode: 'E',
        errorMessage: 'e',
        attempts: 3,
        message: {
          origin: { kind: 'event-store', subscriptionId: 'consumer:g:directory', position: '1-1' },
          key: null,
          headers: {},
          value: null,
        },
      }),
    ).toThrow(/cannot park/);
  });
});
