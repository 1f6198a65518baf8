/** Where the SDK reports what it skipped or retried; `console` fits. */
export interface SdkLogger {
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: SdkLogger = {
  warn: (message) => console.warn(`[mandate-sdk] ${message}`),
  error: (message) => console.error(`[mandate-sdk] ${message}`),
};

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
