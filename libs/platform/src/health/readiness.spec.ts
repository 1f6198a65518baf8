import { ReadinessRegistry } from './readiness';

describe('ReadinessRegistry', () => {
  it('is up with no indicators, and when every indicator is up', async () => {
    const registry = new ReadinessRegistry();
    expect(await registry.check()).toEqual({ status: 'up', checks: {} });
    registry.register({ name: 'database', check: () => Promise.resolve({ status: 'up' }) });
    registry.register({
      name: 'lag',
      check: () => Promise.resolve({ status: 'up', details: { events: 0 } }),
    });
    expect(await registry.check()).toEqual({
      status: 'up',
      checks: { database: { status: 'up' }, lag: { status: 'up', details: { events: 0 } } },
    });
  });

  it('is down when one indicator is down, throws, or does not answer in time', async () => {
    const registry = new ReadinessRegistry();
    registry.register({ name: 'database', check: () => Promise.resolve({ status: 'up' }) });
    registry.register({
      name: 'broker',
      check: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:9092')),
    });
    registry.register({ name: 'projection', check: () => new Promise(() => undefined) });
    expect(await registry.check(20)).toEqual({
      status: 'down',
      checks: {
        database: { status: 'up' },
        broker: { status: 'down', details: { error: 'check failed' } },
        projection: { status: 'down', details: { error: 'timeout' } },
      },
    });
  });

  it('refuses two indicators with the same name', () => {
    const registry = new ReadinessRegistry();
    registry.register({ name: 'database', check: () => Promise.resolve({ status: 'up' }) });
    expect(() =>
      registry.register({ name: 'database', check: () => Promise.resolve({ status: 'up' }) }),
    ).toThrow(/already registered/);
  });
});
