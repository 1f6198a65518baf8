import { createHash, createHmac } from 'node:crypto';
import { verifyBambooHr } from './bamboohr.signature';
import { type HrisDelivery } from './hris.types';

const privateKey = 'b6a5f1c0d9e84f7a8c3b2e1d0f9a8b7c6d5e4f3a';
const now = new Date('2026-01-31T18:42:30Z');
const body = Buffer.from(
  '{"employees":[{"id":"123","action":"Updated","timestamp":"2026-01-31T18:42:00+0000","changedFields":["Job Title"],"fields":{"Job Title":"Staff Engineer"}}]}',
  'utf8',
);

// Spelled out from BambooHR's description: HMAC-SHA256(private key, raw body followed by the timestamp), hex.
const sign = (key: string, payload: Buffer, timestamp: string): string =>
  createHmac('sha256', key)
    .update(payload.toString('utf8') + timestamp)
    .digest('hex');

const delivery = (
  timestamp: string,
  signature = sign(privateKey, body, timestamp),
  rawBody = body,
): HrisDelivery => ({
  headers: { 'x-bamboohr-signature': signature, 'x-bamboohr-timestamp': timestamp },
  rawBody,
  receivedAt: now,
});

const unixSeconds = (date: Date): string => String(Math.floor(date.getTime() / 1000));

describe('BambooHR signature', () => {
  it('accepts a valid signature with a Unix-seconds timestamp', () => {
    const result = verifyBambooHr(delivery(unixSeconds(now)), privateKey, { now });
    expect(result).toEqual({
      ok: true,
      deliveryId: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      signedAt: new Date(Math.floor(now.getTime() / 1000) * 1000),
    });
  });

  it('accepts an ISO 8601 timestamp, with BambooHR\'s "+0000" offset', () => {
    const result = verifyBambooHr(delivery('2026-01-31T18:42:00+0000'), privateKey, { now });
    expect(result).toMatchObject({ ok: true, signedAt: new Date('2026-01-31T18:42:00Z') });
  });

  it('accepts an upper-case hex signature', () => {
    const timestamp = unixSeconds(now);
    expect(
      verifyBambooHr(delivery(timestamp, sign(privateKey, body, timestamp).toUpperCase()), privateKey, {
        now,
      }).ok,
    ).toBe(true);
  });

  it('rejects a tampered body', () => {
    const timestamp = unixSeconds(now);
    const tampered = delivery(
      timestamp,
      sign(privateKey, body, timestamp),
      Buffer.from(body.toString().replace('Staff', 'Chief')),
    );
    expect(verifyBambooHr(tampered, privateKey, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_INVALID',
    });
  });

  it('rejects a changed timestamp (the timestamp is signed)', () => {
    const signature = sign(privateKey, body, unixSeconds(now));
    const moved = delivery(unixSeconds(new Date(now.getTime() - 1000)), signature);
    expect(verifyBambooHr(moved, privateKey, { now })).toMatchObject({ reason: 'HRIS_SIGNATURE_INVALID' });
  });

  it('rejects another private key, and accepts any of several during a rotation', () => {
    const signed = delivery(unixSeconds(now));
    expect(verifyBambooHr(signed, 'another-private-key', { now })).toMatchObject({
      reason: 'HRIS_SIGNATURE_INVALID',
    });
    expect(verifyBambooHr(signed, ['another-private-key', privateKey], { now }).ok).toBe(true);
  });

  it.each(['x-bamboohr-signature', 'x-bamboohr-timestamp'])('rejects a delivery without %s', (name) => {
    const signed = delivery(unixSeconds(now));
    const headers = { ...signed.headers, [name]: undefined };
    expect(verifyBambooHr({ ...signed, headers }, privateKey, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_MISSING',
    });
  });

  it('rejects a stale and a future timestamp', () => {
    const stale = unixSeconds(new Date(now.getTime() - 301_000));
    const future = unixSeconds(new Date(now.getTime() + 301_000));
    expect(verifyBambooHr(delivery(stale), privateKey, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_STALE',
    });
    expect(verifyBambooHr(delivery(future), privateKey, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_FUTURE',
    });
    expect(verifyBambooHr(delivery(stale), privateKey, { now, toleranceSeconds: 900 }).ok).toBe(true);
  });

  it('rejects a signature that is not a hex SHA-256 digest, and a timestamp it cannot read', () => {
    expect(verifyBambooHr(delivery(unixSeconds(now), 'sha256=abc'), privateKey, { now })).toMatchObject({
      reason: 'HRIS_SIGNATURE_MALFORMED',
    });
    expect(verifyBambooHr(delivery('yesterday'), privateKey, { now })).toMatchObject({
      reason: 'HRIS_SIGNATURE_MALFORMED',
    });
  });

  it('refuses an empty private key', () => {
    expect(verifyBambooHr(delivery(unixSeconds(now)), '', { now })).toMatchObject({
      reason: 'HRIS_SECRET_INVALID',
    });
  });
});
