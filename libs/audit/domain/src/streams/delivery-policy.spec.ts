import { afterAttempt, httpAttemptResult, nextAfter, RETRY_SCHEDULE_MS } from './delivery-policy';

describe('what a log stream does after an attempt', () => {
  it('is delivered by any 2xx', () => {
    for (const status of [200, 202, 204]) expect(afterAttempt(status, 0)).toEqual({ next: 'delivered' });
  });

  it('retries failures and redirects on the schedule, never sooner than Retry-After asks', () => {
    expect(afterAttempt(500, 1)).toEqual({ next: 'retry', delayMs: RETRY_SCHEDULE_MS[0] });
    expect(afterAttempt(302, 2)).toEqual({ next: 'retry', delayMs: RETRY_SCHEDULE_MS[1] });
    expect(afterAttempt(null, 3)).toEqual({ next: 'retry', delayMs: RETRY_SCHEDULE_MS[2] });
    expect(afterAttempt(429, 1, 120)).toEqual({ next: 'retry', delayMs: 120_000 });
  });

  it('dead-letters the record once the schedule is spent', () => {
    expect(afterAttempt(503, RETRY_SCHEDULE_MS.length)).toMatchObject({ next: 'retry' });
    expect(afterAttempt(503, RETRY_SCHEDULE_MS.length + 1)).toEqual({ next: 'dead_letter' });
  });

  it('disables the stream on 410 Gone', () => {
    expect(afterAttempt(410, 1)).toEqual({ next: 'disable' });
  });
});

describe('the same policy for every kind of destination', () => {
  it('retries a refused Kafka or syslog attempt, then dead-letters it', () => {
    const refused = {
      result: 'refused',
      status: null,
      error: 'ECONNREFUSED',
      retryAfterSeconds: null,
    } as const;
    expect(nextAfter(refused, 1)).toEqual({ next: 'retry', delayMs: RETRY_SCHEDULE_MS[0] });
    expect(nextAfter(refused, RETRY_SCHEDULE_MS.length + 1)).toEqual({ next: 'dead_letter' });
    expect(nextAfter({ result: 'accepted', status: null }, 0)).toEqual({ next: 'delivered' });
  });

  it('reads an HTTP answer as accepted, refused or gone', () => {
    expect(httpAttemptResult(204)).toEqual({ result: 'accepted', status: 204 });
    expect(httpAttemptResult(410)).toMatchObject({ result: 'gone' });
    expect(httpAttemptResult(null, 'timeout')).toEqual({
      result: 'refused',
      status: null,
      error: 'timeout',
      retryAfterSeconds: null,
    });
    expect(httpAttemptResult(503, null, 7)).toEqual({
      result: 'refused',
      status: 503,
      error: 'HTTP 503',
      retryAfterSeconds: 7,
    });
  });
});
