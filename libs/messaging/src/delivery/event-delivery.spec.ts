import { encodeCloudEvent, IntegrationEventRegistry } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { z } from 'zod';
import { recordedEvent } from '../testing/recorded-events';
import { RecordingLogger } from '../testing/recording-logger';
import { type DeadLetter, type IncomingMessage } from './dead-letter';
import { EventDelivery } from './event-delivery';
import { retryPolicy } from './retry-policy';

const origin = { kind: 'kafka', topic: 'mandate.directory.events.v1', partition: 2, offset: '41' } as const;

const messageOf = (event: RecordedEvent): IncomingMessage => ({
  origin,
  key: event.orgId,
  ...encodeCloudEvent(event),
});

const setUp = (handle: (event: RecordedEvent) => Promise<void>, { failingSink = false } = {}) => {
  const registry = new IntegrationEventRegistry();
  registry.define('directory.sample.recorded', 1, z.object({ userId: z.string() }));
  const parked: DeadLetter[] = [];
  const logger = new RecordingLogger();
  const stopping = new AbortController();
  const delivery = new EventDelivery({
    groupId: 'audit-trail',
    handle,
    retry: retryPolicy({ maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 }),
    deadLetters: {
      park: (letter) =>
        failingSink ? Promise.reject(new Error('broker down')) : Promise.resolve(void parked.push(letter)),
    },
    logger,
    signal: stopping.signal,
    registry,
  });
  return { delivery, parked, logger, stopping };
};

describe('EventDelivery', () => {
  it('hands the decoded, validated event to the handler', async () => {
    const received: RecordedEvent[] = [];
    const { delivery, parked } = setUp((event) => Promise.resolve(void received.push(event)));
    const event = recordedEvent({ data: { userId: 'u1', undeclared: true } });

    expect(await delivery.deliver(messageOf(event))).toBe('handled');
    expect(received).toEqual([{ ...event, data: { userId: 'u1' } }]);
    expect(parked).toEqual([]);
  });

  it.each([
    [
      'is not JSON',
      (message: IncomingMessage) => ({ ...message, value: '{"id":' }),
      'CONTRACTS_MALFORMED_JSON',
    ],
    [
      'has no CloudEvents headers',
      (message: IncomingMessage) => ({ ...message, headers: {} }),
      'CONTRACTS_INVALID_HEADERS',
    ],
    [
      'breaks the envelope',
      (message: IncomingMessage) => ({ ...message, value: JSON.stringify({ id: 'x' }) }),
      'CONTRACTS_INVALID_ENVELOPE',
    ],
  ])('parks a message that %s without calling the handler', async (_case, corrupt, code) => {
    const handled: RecordedEvent[] = [];
    const { delivery, parked, logger } = setUp((event) => Promise.resolve(void handled.push(event)));
    const message = corrupt(messageOf(recordedEvent()));

    expect(await delivery.deliver(message)).toBe('parked-malformed');
    expect(handled).toEqual([]);
    expect(parked).toEqual([
      expect.objectContaining({
        reason: 'malformed',
        groupId: 'audit-trail',
        errorCode: code,
        attempts: 0,
        message,
      }),
    ]);
    expect(logger.messages('warn')).toEqual([expect.stringContaining('MESSAGING_MALFORMED_MESSAGE_PARKED')]);
  });

  it('parks an event whose data breaks the schema of its known type and version', async () => {
    const { delivery, parked } = setUp(() => Promise.resolve());
    expect(await delivery.deliver(messageOf(recordedEvent({ data: { userId: 42 } })))).toBe(
      'parked-malformed',
    );
    expect(parked.map((letter) => [letter.errorCode, letter.errorMessage])).toEqual([
      ['CONTRACTS_INVALID_DATA', expect.stringContaining('data.userId')],
    ]);
  });

  it('retries a failing handler in place and does not park an event that then succeeds', async () => {
    let calls = 0;
    const { delivery, parked, logger } = setUp(() =>
      ++calls < 3 ? Promise.reject(new Error('read model locked')) : Promise.resolve(),
    );

    expect(await delivery.deliver(messageOf(recordedEvent()))).toBe('handled');
    expect(calls).toBe(3);
    expect(parked).toEqual([]);
    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(/MESSAGING_HANDLER_FAILED .* attempt=1 retryInMs=1 error=read model locked/),
      expect.stringMatching(/MESSAGING_HANDLER_FAILED .* attempt=2 retryInMs=2 /),
    ]);
  });

  it('parks a poison event after the last attempt and raises an alert', async () => {
    let calls = 0;
    const failure = Object.assign(new Error('constraint violated'), { code: 'AUDIT_CHAIN_BROKEN' });
    const { delivery, parked, logger } = setUp(() => Promise.reject(failure).finally(() => (calls += 1)));
    const event = recordedEvent();

    expect(await delivery.deliver(messageOf(event))).toBe('parked-poison');
    expect(calls).toBe(3);
    expect(parked).toEqual([
      expect.objectContaining({
        reason: 'handler-failed',
        errorCode: 'AUDIT_CHAIN_BROKEN',
        errorMessage: 'constraint violated',
        attempts: 3,
      }),
    ]);
    expect(logger.messages('error')).toEqual([
      `MESSAGING_POISON_MESSAGE_PARKED group=audit-trail event=${event.id} type=directory.sample.recorded ` +
        'origin=mandate.directory.events.v1/2@41 attempts=3 error=constraint violated',
    ]);
  });

  it('stops retrying without parking when the consumer stops, so the event is delivered again', async () => {
    const { delivery, parked, stopping } = setUp(() => {
      stopping.abort();
      return Promise.reject(new Error('shutting down'));
    });
    await expect(delivery.deliver(messageOf(recordedEvent()))).rejects.toMatchObject({ name: 'AbortError' });
    expect(parked).toEqual([]);
  });

  it('fails the delivery when a message cannot be parked, so it is not acknowledged', async () => {
    const { delivery } = setUp(() => Promise.resolve(), { failingSink: true });
    await expect(delivery.deliver({ ...messageOf(recordedEvent()), value: 'nope' })).rejects.toThrow(
      'broker down',
    );
  });
});
