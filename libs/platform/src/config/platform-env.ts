import { z } from 'zod';
import { LOG_LEVELS, type LogLevel } from '../logging/json-logger';

/** A TCP port; 0 lets the operating system choose (tests). */
export const portSchema = z.coerce.number().int().min(0).max(65535);

/** A PostgreSQL connection string (`postgres://` or `postgresql://`). */
export const databaseUrlSchema = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'must be a postgres:// or postgresql:// URL',
});

/** A comma-separated list of Kafka brokers (`host:port,host:port`), parsed into an array. */
export const kafkaBrokersSchema = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter((broker) => broker !== ''),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'each broker must be host:port'))
      .min(1, 'at least one broker'),
  );

/** The bootstrap admin key: long enough to be a secret, whatever its shape (see `generateAdminKey`). */
export const adminKeySchema = z.string().min(32, 'must be at least 32 characters of random data');

/**
 * The instance's 32-byte key (base64) that seals secrets Mandate must read back, such as HRIS
 * webhook keys. Losing it makes those secrets unreadable; rotate them after changing it.
 */
export const secretKeySchema = z
  .string()
  .trim()
  .transform((value) => Buffer.from(value, 'base64'))
  .refine((key) => key.length === 32, 'must be 32 random bytes, base64 (openssl rand -base64 32)');

/**
 * The variables every HTTP app reads. HOST defaults to the loopback interface, so a fresh install is
 * not reachable from the network until an operator opts in with `HOST=0.0.0.0` (containers do).
 */
export const httpEnv = ({ defaultPort = 8080 }: { defaultPort?: number } = {}) => ({
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: portSchema.default(defaultPort),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  MANDATE_ADMIN_KEY: adminKeySchema.optional(),
  /** Where clients reach this app (the OAuth issuer); the listening address when unset. */
  MANDATE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
});

/** Where the embedded database and other local state live (standalone mode). */
export const dataDirEnv = {
  MANDATE_DATA_DIR: z.string().trim().min(1).default('./data'),
  /** Generated into the data directory on first start when unset. */
  MANDATE_SECRET_KEY: secretKeySchema.optional(),
};

/** What `bootstrapHttpApp` needs from an app's parsed config. */
export interface HttpEnv {
  readonly HOST: string;
  readonly PORT: number;
  readonly LOG_LEVEL: LogLevel;
  readonly MANDATE_ADMIN_KEY?: string | undefined;
  readonly MANDATE_PUBLIC_URL?: string | undefined;
}
