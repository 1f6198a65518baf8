import { DomainError } from '@mandate/kernel';
import {
  checkStreamDestination,
  parseBrokerAddress,
  type StreamDestinationRequest,
} from './stream-destination';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

const refusedPointers = (request: StreamDestinationRequest): string[] => {
  try {
    checkStreamDestination(request);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('AUDIT_STREAM_DESTINATION_INVALID');
    return ((error as DomainError).details!['errors'] as { pointer: string }[]).map((e) => e.pointer);
  }
  return [];
};

describe('checking a stream destination', () => {
  it('accepts https, and plain http only to loopback, never with credentials', () => {
    expect(checkStreamDestination({ kind: 'http', url: 'https://siem.example/in' }).destination).toEqual({
      kind: 'http',
      url: 'https://siem.example/in',
    });
    expect(refusedPointers({ kind: 'http', url: 'http://127.0.0.1:9000/in' })).toEqual([]);
    expect(refusedPointers({ kind: 'http', url: 'http://[::1]:9000/in' })).toEqual([]);
    expect(refusedPointers({ kind: 'http', url: 'http://siem.example/in' })).toEqual(['#/url']);
    expect(refusedPointers({ kind: 'http', url: 'https://u:p@siem.example/in' })).toEqual(['#/url']);
    expect(refusedPointers({ kind: 'http', url: 'not a url' })).toEqual(['#/url']);
  });

  it('reads broker addresses, IPv6 in brackets', () => {
    expect(parseBrokerAddress('kafka-1.example:9093')).toEqual({ host: 'kafka-1.example', port: 9093 });
    expect(parseBrokerAddress('[2001:db8::1]:9092')).toEqual({ host: '2001:db8::1', port: 9092 });
    for (const bad of [
      'kafka',
      'kafka:0',
      'kafka:65536',
      'ka fka:9092',
      '2001:db8::1:9092',
      'a_b:1',
      ':9092',
    ])
      expect(parseBrokerAddress(bad)).toBeNull();
  });

  it('names every refused Kafka field at once', () => {
    expect(
      refusedPointers({
        kind: 'kafka',
        brokers: ['127.0.0.1:9092', 'nope'],
        topic: 'audit log!',
        tls: false,
      }),
    ).toEqual(['#/brokers/1', '#/topic', '#/tls']);
    expect(refusedPointers({ kind: 'kafka', brokers: [], topic: '..' })).toEqual(['#/brokers', '#/topic']);
    expect(
      refusedPointers({ kind: 'kafka', brokers: ['kafka.example:9093'], topic: 'audit', ca: PEM }),
    ).toEqual(['#/tls', '#/ca']);
  });

  it('keeps the SASL password out of the destination', () => {
    const checked = checkStreamDestination({
      kind: 'kafka',
      brokers: ['kafka.example:9093'],
      topic: 'mandate.audit',
      tls: true,
      ca: PEM,
      serverName: 'kafka.example',
      sasl: { mechanism: 'scram-sha-512', username: 'mandate', password: 's3cret' },
    });
    expect(checked.saslPassword).toBe('s3cret');
    expect(JSON.stringify(checked.destination)).not.toContain('s3cret');
    expect(checked.destination).toMatchObject({ sasl: { mechanism: 'scram-sha-512', username: 'mandate' } });
  });

  it('accepts syslog over TLS anywhere and over plain TCP to loopback, facility auth by default', () => {
    expect(
      checkStreamDestination({ kind: 'syslog', host: 'siem.example', port: 6514, tls: true }).destination,
    ).toEqual({
      kind: 'syslog',
      host: 'siem.example',
      port: 6514,
      tls: true,
      facility: 'auth',
    });
    expect(
      refusedPointers({ kind: 'syslog', host: 'localhost', port: 514, tls: false, facility: 'local3' }),
    ).toEqual([]);
    expect(refusedPointers({ kind: 'syslog', host: 'siem.example', port: 514, tls: false })).toEqual([
      '#/tls',
    ]);
    expect(refusedPointers({ kind: 'syslog', host: 'siem.example', port: 70_000, tls: true })).toEqual([
      '#/port',
    ]);
    expect(refusedPointers({ kind: 'syslog', host: 'bad host', port: 6514, tls: true, ca: 'junk' })).toEqual([
      '#/host',
      '#/ca',
    ]);
    expect(
      refusedPointers({
        kind: 'syslog',
        host: '127.0.0.1',
        port: 6514,
        tls: true,
        ca: PEM,
        serverName: 'no pe',
      }),
    ).toEqual(['#/serverName']);
  });
});
