import { z } from 'zod';
import { ConfigError, loadConfig } from './config';
import { databaseUrlSchema, dataDirEnv, httpEnv, kafkaBrokersSchema } from './platform-env';

const distributed = z.object({
  ...httpEnv({ defaultPort: 8081 }),
  DATABASE_URL: databaseUrlSchema,
  KAFKA_BROKERS: kafkaBrokersSchema,
});
const standalone = z.object({ ...httpEnv(), ...dataDirEnv, DATABASE_URL: databaseUrlSchema.optional() });

const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('parses a valid environment into a typed config with defaults', () => {
    expect(
      loadConfig(distributed, {
        DATABASE_URL: 'postgres://mandate:mandate@db:5432/mandate',
        KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      HOST: '127.0.0.1',
      PORT: 8081,
      LOG_LEVEL: 'info',
      DATABASE_URL: 'postgres://mandate:mandate@db:5432/mandate',
      KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9092'],
    });
  });

  it('gives standalone its defaults, and treats empty variables as unset', () => {
    expect(loadConfig(standalone, { PORT: '', LOG_LEVEL: '', HOST: '0.0.0.0' })).toEqual({
      HOST: '0.0.0.0',
      PORT: 8080,
      LOG_LEVEL: 'info',
      MANDATE_DATA_DIR: './data',
    });
  });

  it('lists every bad variable at once, without echoing values', () => {
    const secret = 'short-secret';
    const error = errorOf(() =>
      loadConfig(distributed, {
        PORT: '80a',
        LOG_LEVEL: 'loud',
        MANDATE_ADMIN_KEY: secret,
        DATABASE_URL: 'mysql://db/mandate',
        KAFKA_BROKERS: 'kafka-1:9092,kafka-2',
      }),
    );
    expect(error.code).toBe('PLATFORM_CONFIG_INVALID');
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'PORT',
      'LOG_LEVEL',
      'MANDATE_ADMIN_KEY',
      'DATABASE_URL',
      'KAFKA_BROKERS.1',
    ]);
    expect(error.message).toMatch(/^Invalid configuration \(5 problems\):\n {2}- PORT: /);
    expect(error.message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(error.message).not.toContain(secret);
  });

  it('names missing required variables', () => {
    const error = errorOf(() => loadConfig(distributed, {}));
    expect(error.issues.map((issue) => issue.variable)).toEqual(['DATABASE_URL', 'KAFKA_BROKERS']);
  });

  it('refuses ports out of range and an empty broker list', () => {
    const error = errorOf(() =>
      loadConfig(distributed, { PORT: '70000', DATABASE_URL: 'postgresql://db/x', KAFKA_BROKERS: ' , ' }),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual(['PORT', 'KAFKA_BROKERS']);
  });
});
