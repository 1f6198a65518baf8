import { type z } from 'zod';

/** One environment variable that failed validation; the value itself is never echoed (it may be a secret). */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/** The environment does not satisfy the app's schema; lists every bad variable at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'PLATFORM_CONFIG_INVALID';

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues
        .map((issue) => `  - ${issue.variable}: ${issue.message}`)
        .join('\n')}`,
    );
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment once, at boot, into a typed config. This is the only place that reads
 * `process.env`; everything else receives the parsed config. Empty variables (`FOO=`) count as unset,
 * so defaults apply to them as they would to a missing variable.
 */
export const loadConfig = <S extends z.ZodType<unknown, Record<string, unknown>>>(
  schema: S,
  env: Environment = process.env,
): z.output<S> => {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
      message: issue.message,
    })),
  );
};
