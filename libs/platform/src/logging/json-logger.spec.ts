import { runWithRequestContext } from '../request-context/request-context';
import { JsonLogger, type LogLevel } from './json-logger';

const at = new Date('2026-03-01T12:00:00.000Z');

const capture = (level: LogLevel = 'trace') => {
  const lines: string[] = [];
  const logger = new JsonLogger(
    level,
    (line) => lines.push(line),
    () => at,
  );
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
};

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, message and context', () => {
    const { logger, lines, entries } = capture();
    logger.log('Nest application successfully started', 'NestApplication');
    logger.warn({ msg: 'slow projection', lagMs: 1200 }, 'Projections');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(entries()).toEqual([
      {
        time: at.toISOString(),
        level: 'info',
        msg: 'Nest application successfully started',
        context: 'NestApplication',
      },
      { time: at.toISOString(), level: 'warn', msg: 'slow projection', lagMs: 1200, context: 'Projections' },
    ]);
  });

  it('drops what is below LOG_LEVEL, and everything when silent', () => {
    const warn = capture('warn');
    warn.logger.debug('detail');
    warn.logger.log('news');
    warn.logger.warn('careful');
    warn.logger.fatal('gone');
    expect(warn.entries().map((entry) => entry.level)).toEqual(['warn', 'fatal']);

    const silent = capture('silent');
    silent.logger.fatal('gone');
    expect(silent.lines).toEqual([]);
  });

  it('demotes Nest’s start-up chatter to debug', () => {
    const { logger, entries } = capture('info');
    logger.log('Mapped {/api/v1/things, POST} route', 'RouterExplorer');
    logger.log('PlatformModule dependencies initialized', 'InstanceLoader');
    expect(entries()).toEqual([]);
  });

  it('carries the request and correlation ids of the current request', () => {
    const { logger, entries } = capture();
    runWithRequestContext({ requestId: 'req-1', correlationId: 'story-1' }, () => logger.log('inside'));
    logger.write('info', 'outside', { requestId: 'forged' });
    expect(entries()).toEqual([
      expect.objectContaining({ msg: 'inside', requestId: 'req-1', correlationId: 'story-1' }),
      { time: at.toISOString(), level: 'info', msg: 'outside', requestId: 'forged' },
    ]);
  });

  it('follows Nest’s error convention: message, stack, context', () => {
    const { logger, entries } = capture();
    const error = new Error('boom');
    logger.error('request failed', error.stack, 'ExceptionsHandler');
    logger.error(error);
    logger.error('no context', error.stack);
    expect(entries()).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'request failed',
        stack: error.stack,
        context: 'ExceptionsHandler',
      }),
      expect.objectContaining({
        level: 'error',
        msg: 'boom',
        err: expect.objectContaining({ name: 'Error', stack: error.stack }) as unknown,
      }),
      expect.not.objectContaining({ context: expect.anything() as unknown }),
    ]);
  });

  it('survives fields that JSON cannot represent', () => {
    const { logger, entries } = capture();
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    logger.write('info', 'position', { commit: 12n });
    logger.write('info', 'circular', { circular });
    expect(entries()).toEqual([
      expect.objectContaining({ msg: 'position', commit: '12' }),
      expect.objectContaining({
        msg: 'circular',
        logError: expect.stringContaining('could not be serialized') as unknown,
      }),
    ]);
  });

  it('takes the most verbose level Nest asks for', () => {
    const { logger, entries } = capture('info');
    logger.setLogLevels(['error', 'warn', 'debug']);
    logger.debug('now visible');
    logger.verbose('still hidden');
    expect(entries().map((entry) => entry.msg)).toEqual(['now visible']);
  });
});
