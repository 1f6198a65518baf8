import { createHmac } from 'node:crypto';
import { type HrisDelivery } from './hris.types';
import { verifyStandardWebhook } from './standard-webhooks.signature';

// A fixed 32-byte key, and its `whsec_` form as Mandate hands it out.
const key = Buffer.from('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'hex');
const secret = `whsec_${key.toString('base64')}`;
const otherSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const now = new Date('2026-03-02T09:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);
const body = Buffer.from('{"events":[{"id":"evt_1","type":"worker.hired"}]}', 'utf8');

// The construction spelled out from the spec: HMAC-SHA256 over "{id}.{timestamp}.{body}", base64, "v1," prefix.
const sign = (signingKey: Buffer, id: string, timestamp: number, payload: Buffer): string =>
  `v1,${createHmac('sha256', signingKey)
    .update(`${id}.${timestamp}.${payload.toString('utf8')}`)
    .digest('base64')}`;

const delivery = (headers: Record<string, string | undefined>, rawBody = body): HrisDelivery => ({
  headers,
  rawBody,
  receivedAt: now,
});

const signed = (timestamp = nowSeconds, signature = sign(key, 'msg_1', timestamp, body)) =>
  delivery({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });

describe('Standard Webhooks verification', () => {
  it('accepts a valid signature and reports the delivery id and signing time', () => {
    expect(verifyStandardWebhook(signed(), secret, { now })).toEqual({
      ok: true,
      deliveryId: 'msg_1',
      signedAt: new Date(nowSeconds * 1000),
    });
  });

  it('accepts a secret given without the whsec_ prefix', () => {
    expect(verifyStandardWebhook(signed(), key.toString('base64'), { now }).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const tampered = { ...signed(), rawBody: Buffer.from(body.toString().replace('hired', 'terminated')) };
    expect(verifyStandardWebhook(tampered, secret, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_INVALID',
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyStandardWebhook(signed(), otherSecret, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_INVALID',
    });
  });

  it('rejects a signature over another delivery id (the id is signed)', () => {
    const moved = { ...signed(), headers: { ...signed().headers, 'webhook-id': 'msg_2' } };
    expect(verifyStandardWebhook(moved, secret, { now })).toMatchObject({ reason: 'HRIS_SIGNATURE_INVALID' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'rejects a delivery without %s',
    (name) => {
      const headers = { ...signed().headers, [name]: undefined };
      expect(verifyStandardWebhook(delivery(headers), secret, { now })).toEqual({
        ok: false,
        reason: 'HRIS_SIGNATURE_MISSING',
      });
    },
  );

  it('rejects a timestamp older than the tolerance, and accepts one just inside it', () => {
    expect(verifyStandardWebhook(signed(nowSeconds - 301), secret, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_STALE',
    });
    expect(verifyStandardWebhook(signed(nowSeconds - 300), secret, { now }).ok).toBe(true);
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    expect(verifyStandardWebhook(signed(nowSeconds + 301), secret, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_FUTURE',
    });
    expect(verifyStandardWebhook(signed(nowSeconds + 301), secret, { now, toleranceSeconds: 600 }).ok).toBe(
      true,
    );
  });

  it('accepts when any of several signatures matches (the sender rotating its key)', () => {
    const header = [
      sign(Buffer.alloc(32, 1), 'msg_1', nowSeconds, body),
      'v1a,bm90LWFuLWVkMjU1MTktc2lnbmF0dXJl',
      sign(key, 'msg_1', nowSeconds, body),
    ].join(' ');
    expect(verifyStandardWebhook(signed(nowSeconds, header), secret, { now }).ok).toBe(true);
  });

  it('accepts when the signature matches any of several configured secrets (us rotating)', () => {
    expect(verifyStandardWebhook(signed(), [otherSecret, secret], { now }).ok).toBe(true);
  });

  it('ignores signatures of other versions', () => {
    const onlyOtherVersion = sign(key, 'msg_1', nowSeconds, body).replace(/^v1,/, 'v2,');
    expect(verifyStandardWebhook(signed(nowSeconds, onlyOtherVersion), secret, { now })).toMatchObject({
      ok: false,
      reason: 'HRIS_SIGNATURE_MALFORMED',
    });
  });

  it('rejects a timestamp that is not integer seconds', () => {
    const headers = { ...signed().headers, 'webhook-timestamp': '2026-03-02T09:00:00Z' };
    expect(verifyStandardWebhook(delivery(headers), secret, { now })).toMatchObject({
      reason: 'HRIS_SIGNATURE_MALFORMED',
    });
  });

  it('refuses a secret that is not base64', () => {
    expect(verifyStandardWebhook(signed(), 'whsec_not base64!', { now })).toEqual({
      ok: false,
      reason: 'HRIS_SECRET_INVALID',
    });
    expect(verifyStandardWebhook(signed(), [], { now })).toMatchObject({ reason: 'HRIS_SECRET_INVALID' });
  });
});
