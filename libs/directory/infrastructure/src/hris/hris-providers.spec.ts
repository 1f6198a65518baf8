import { createHmac } from 'node:crypto';
import { type HrisDelivery, type HrisProvider } from './hris.types';
import { generateHrisSecret, hrisProviders, isHrisProvider, issuesHrisSecret } from './hris-providers';

const now = new Date('2026-06-01T08:00:00Z');
const seconds = Math.floor(now.getTime() / 1000);
const fixedRandom = (size: number): Buffer => Buffer.alloc(size, 0xab);

const standardWebhookDelivery = (secret: string, body: string): HrisDelivery => {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`msg_42.${seconds}.${body}`).digest('base64');
  return {
    headers: {
      'webhook-id': 'msg_42',
      'webhook-timestamp': String(seconds),
      'webhook-signature': `v1,${signature}`,
    },
    rawBody: Buffer.from(body),
    receivedAt: now,
  };
};

describe('HRIS provider registry', () => {
  it('knows each provider, and nothing else', () => {
    expect(Object.keys(hrisProviders).sort()).toEqual(['bamboohr', 'generic', 'rippling', 'workday']);
    expect(isHrisProvider('workday')).toBe(true);
    expect(isHrisProvider('toString')).toBe(false);
  });

  it('verifies then parses a generic delivery signed with a generated secret', () => {
    const secret = generateHrisSecret('generic');
    const body = JSON.stringify({
      events: [
        {
          id: 'evt_9',
          type: 'worker.terminated',
          occurredAt: '2026-06-01T07:59:00Z',
          effectiveDate: '2026-06-30',
          worker: { id: 'w_9' },
        },
      ],
    });
    const delivery = standardWebhookDelivery(secret, body);
    const adapter = hrisProviders.generic;
    expect(adapter.verify(delivery, secret, { now })).toMatchObject({ ok: true, deliveryId: 'msg_42' });
    expect(adapter.parse(delivery.rawBody)).toMatchObject([
      { kind: 'termination', employeeId: 'w_9', effectiveDate: '2026-06-30' },
    ]);
  });

  it('verifies a Workday delivery the same way as a generic one', () => {
    const secret = generateHrisSecret('workday');
    const body = JSON.stringify({
      Business_Process_Events: [
        {
          Event_ID: 'E1',
          Business_Process_Type: 'Hire',
          Effective_Date: '2026-07-01',
          Worker: { Worker_ID: '21003' },
        },
      ],
    });
    const delivery = standardWebhookDelivery(secret, body);
    expect(hrisProviders.workday.verify(delivery, secret, { now }).ok).toBe(true);
    expect(
      hrisProviders.workday.verify(delivery, generateHrisSecret('workday', fixedRandom), { now }).ok,
    ).toBe(false);
    expect(hrisProviders.workday.parse(delivery.rawBody)).toMatchObject([
      { kind: 'hire', employeeId: '21003' },
    ]);
  });

  it('verifies then parses BambooHR and Rippling deliveries', () => {
    const privateKey = 'bamboo-private-key';
    const body = '{"employees":[{"id":"7","action":"Deleted","timestamp":"2026-06-01T07:59:00+0000"}]}';
    const timestamp = String(seconds);
    const bamboo: HrisDelivery = {
      headers: {
        'x-bamboohr-timestamp': timestamp,
        'x-bamboohr-signature': createHmac('sha256', privateKey)
          .update(body + timestamp)
          .digest('hex'),
      },
      rawBody: Buffer.from(body),
      receivedAt: now,
    };
    expect(hrisProviders.bamboohr.verify(bamboo, privateKey, { now }).ok).toBe(true);
    expect(hrisProviders.bamboohr.parse(bamboo.rawBody)).toMatchObject([
      { kind: 'termination', employeeId: '7' },
    ]);

    const token = generateHrisSecret('rippling');
    const rippling: HrisDelivery = {
      headers: { authorization: `Bearer ${token}` },
      rawBody: Buffer.from('event_name=employee.hired&id=emp_5&company_id=c_1'),
      receivedAt: now,
    };
    expect(hrisProviders.rippling.verify(rippling, token, { now }).ok).toBe(true);
    expect(hrisProviders.rippling.parse(rippling.rawBody)).toMatchObject([
      { kind: 'hire', employeeId: 'emp_5' },
    ]);
  });
});

describe('HRIS secrets', () => {
  it('issues whsec_ + 32 bytes base64 for generic and Workday, a base64url token for Rippling', () => {
    expect(generateHrisSecret('generic', fixedRandom)).toBe(
      `whsec_${Buffer.alloc(32, 0xab).toString('base64')}`,
    );
    expect(generateHrisSecret('workday', fixedRandom)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(generateHrisSecret('rippling', fixedRandom)).toBe(Buffer.alloc(32, 0xab).toString('base64url'));
    expect(generateHrisSecret('generic')).not.toBe(generateHrisSecret('generic'));
  });

  it('leaves BambooHR to generate its own private key', () => {
    const issued = (['bamboohr', 'rippling', 'workday', 'generic'] as HrisProvider[]).filter(
      issuesHrisSecret,
    );
    expect(issued).toEqual(['rippling', 'workday', 'generic']);
  });
});
