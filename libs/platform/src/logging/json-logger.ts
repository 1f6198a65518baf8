import { type LoggerService, type LogLevel as NestLogLevel } from '@nestjs/common';
import { currentRequestContext } from '../request-context/request-context';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
type EmittedLevel = Exclude<LogLevel, 'silent'>;

const severity: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

const fromNest: Record<NestLogLevel, EmittedLevel> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Nest's own start-up chatter (one line per module and route) is detail, not news. */
const chattyNestContexts = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

const STACK = /^.+\n\s+at .+/s;

const serializeError = (error: Error): Record<string, unknown> => {
  const { code } = error as Error & { code?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' && { code }),
    stack: error.stack,
  };
};

const replacer = (_key: string, value: unknown): unknown => {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
};

export type LogSink = (line: string) => void;

/**
 * A Nest logger that writes one JSON object per line: `time`, `level`, `msg`, `context`, the request's
 * `requestId` and `correlationId` when there is one, then any structured fields. Levels below
 * LOG_LEVEL are dropped.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(line),
    private readonly clock: () => Date = () => new Date(),
  ) {}

  isEnabled(level: EmittedLevel): boolean {
    return severity[level] >= severity[this.level];
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Writes one structured line; fields never override `time`, `level`, `msg` or the request ids. */
  write(level: EmittedLevel, msg: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (!this.isEnabled(level)) return;
    const entry: Record<string, unknown> = { time: this.clock().toISOString(), level, msg };
    for (const [name, value] of Object.entries(fields)) if (!(name in entry)) entry[name] = value;
    const request = currentRequestContext();
    if (request) {
      entry['requestId'] = request.requestId;
      entry['correlationId'] = request.correlationId;
    }
    let line: string;
    try {
      line = JSON.stringify(entry, replacer);
    } catch (error) {
      line = JSON.stringify({
        time: entry.time,
        level,
        msg,
        logError: `fields could not be serialized: ${String(error)}`,
      });
    }
    this.sink(`${line}\n`);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('log', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('verbose', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.fromNest('fatal', message, optionalParams);
  }

  /** Nest may narrow the levels (`app.useLogger`, `logger: [...]`): keep the most verbose one it names. */
  setLogLevels(levels: NestLogLevel[]): void {
    const mapped = levels.map((level) => fromNest[level]);
    this.level = mapped.reduce<LogLevel>(
      (lowest, level) => (severity[level] < severity[lowest] ? level : lowest),
      'silent',
    );
  }

  /**
   * Nest's calling convention: `(message, ...params, context?)`, the last string being the context;
   * for errors `(message, stack?, context?)`. A message may also be an Error or a plain object of fields.
   */
  private fromNest(nestLevel: NestLogLevel, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const last = rest.at(-1);
    const context = typeof last === 'string' && !STACK.test(last) ? (rest.pop() as string) : undefined;
    let level = fromNest[nestLevel];
    if (level === 'info' && context !== undefined && chattyNestContexts.has(context)) level = 'debug';
    if (!this.isEnabled(level)) return;

    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      fields['err'] = serializeError(message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg: text, message: alt, ...others } = message as Record<string, unknown>;
      msg = typeof text === 'string' ? text : typeof alt === 'string' ? alt : '';
      Object.assign(fields, others);
    } else {
      msg = String(message);
    }
    const extra: unknown[] = [];
    for (const param of rest) {
      if (typeof param === 'string' && STACK.test(param)) fields['stack'] = param;
      else if (param instanceof Error) fields['err'] = serializeError(param);
      else if (typeof param === 'object' && param !== null) Object.assign(fields, param);
      else if (param !== undefined) extra.push(param);
    }
    if (extra.length > 0) fields['params'] = extra;
    this.write(level, msg, fields);
  }
}
