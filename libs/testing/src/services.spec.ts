import { requiredServices } from './services';

describe('requiredServices', () => {
  it('reads 1 as PostgreSQL and Kafka, a list as named, and nothing as none', () => {
    expect([...requiredServices('1')]).toEqual(['postgres', 'kafka']);
    expect([...requiredServices('postgres, eventstoredb')]).toEqual(['postgres', 'eventstoredb']);
    expect(requiredServices('').size).toBe(0);
    expect(requiredServices('0').size).toBe(0);
  });
});
