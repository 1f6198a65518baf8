import { invoicesConfigFrom } from './invoices.config';

describe('the invoices configuration', () => {
  it('follows the SSE feed of Mandate on 127.0.0.1:8080 by default, with the key it is given', () => {
    expect(invoicesConfigFrom({ MANDATE_API_KEY: 'mk_live_key', INVOICES_PORT: '' })).toEqual({
      issuer: 'http://127.0.0.1:8080',
      audience: 'http://127.0.0.1:4100',
      host: '127.0.0.1',
      port: 4100,
      revocations: { over: 'http', baseUrl: 'http://127.0.0.1:8080', apiKey: 'mk_live_key' },
    });
  });

  it('takes the admin key when there is no API key, and its audience and port from the environment', () => {
    expect(
      invoicesConfigFrom({
        MANDATE_URL: 'https://mandate.example.test/',
        MANDATE_ADMIN_KEY: 'mandate_admin_key',
        INVOICES_PORT: '4200',
        INVOICES_AUDIENCE: 'https://invoices.example.test',
      }),
    ).toMatchObject({
      issuer: 'https://mandate.example.test',
      audience: 'https://invoices.example.test',
      port: 4200,
      revocations: { over: 'http', baseUrl: 'https://mandate.example.test', apiKey: 'mandate_admin_key' },
    });
  });

  it('follows Kafka when KAFKA_BROKERS is set, and needs no key then', () => {
    expect(
      invoicesConfigFrom({ KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092', KAFKA_TOPIC_PREFIX: 'ci_' })
        .revocations,
    ).toEqual({ over: 'kafka', brokers: ['kafka-1:9092', 'kafka-2:9092'], topicPrefix: 'ci_' });
  });

  it('names every bad variable, never its value', () => {
    const attempt = () =>
      invoicesConfigFrom({ MANDATE_URL: 'not a url', INVOICES_PORT: '70000', KAFKA_BROKERS: 'kafka' });
    expect(attempt).toThrow(/MANDATE_URL[\s\S]*INVOICES_PORT[\s\S]*KAFKA_BROKERS/);
    expect(attempt).not.toThrow(/not a url/);
  });

  it('refuses to follow the feed over HTTP without a key', () => {
    expect(() => invoicesConfigFrom({})).toThrow(/MANDATE_API_KEY/);
  });
});
