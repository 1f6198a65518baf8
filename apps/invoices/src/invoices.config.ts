import { z } from 'zod';
import { type InvoicesServiceOptions } from './start-invoices-service';

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const env = z
  .object({
    MANDATE_URL: optional(z.url()).default('http://127.0.0.1:8080'),
    /** An organization API key or the admin key: what the revocation feed accepts. */
    MANDATE_API_KEY: optional(z.string().min(1)),
    MANDATE_ADMIN_KEY: optional(z.string().min(1)),
    INVOICES_HOST: optional(z.string().trim().min(1)).default('127.0.0.1'),
    INVOICES_PORT: optional(z.coerce.number().int().min(0).max(65535)).default(4100),
    INVOICES_AUDIENCE: optional(z.url()),
    KAFKA_BROKERS: optional(
      z
        .string()
        .transform((value) => value.split(',').map((broker) => broker.trim()))
        .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'each broker must be host:port')).min(1)),
    ),
    KAFKA_TOPIC_PREFIX: optional(z.string()),
  })
  .refine((value) => value.KAFKA_BROKERS || value.MANDATE_API_KEY || value.MANDATE_ADMIN_KEY, {
    path: ['MANDATE_API_KEY'],
    message: 'MANDATE_API_KEY (or MANDATE_ADMIN_KEY) is needed to follow the revocation feed over HTTP',
  });

/**
 * The service's options from the environment, validated once at boot; the message names every bad
 * variable, never its value. Revocations come over Kafka when `KAFKA_BROKERS` is set, otherwise from
 * Mandate's SSE feed.
 */
export const invoicesConfigFrom = (
  environment: Readonly<Record<string, string | undefined>>,
): InvoicesServiceOptions & { port: number } => {
  const parsed = env.safeParse(environment);
  if (!parsed.success)
    throw new Error(
      `Invalid configuration:\n${parsed.error.issues
        .map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`)
        .join('\n')}`,
    );
  const config = parsed.data;
  const issuer = config.MANDATE_URL.replace(/\/+$/, '');
  return {
    issuer,
    audience: config.INVOICES_AUDIENCE ?? `http://127.0.0.1:${config.INVOICES_PORT}`,
    host: config.INVOICES_HOST,
    port: config.INVOICES_PORT,
    revocations: config.KAFKA_BROKERS
      ? {
          over: 'kafka',
          brokers: config.KAFKA_BROKERS,
          ...(config.KAFKA_TOPIC_PREFIX === undefined ? {} : { topicPrefix: config.KAFKA_TOPIC_PREFIX }),
        }
      : { over: 'http', baseUrl: issuer, apiKey: config.MANDATE_API_KEY ?? config.MANDATE_ADMIN_KEY ?? '' },
  };
};
