import { createHash } from 'node:crypto';
import { type HrisDelivery } from './hris.types';
import { HrisPayloadError } from './hris-payload.error';
import { parseRipplingPayload } from './rippling.payload';
import { verifyRippling } from './rippling.auth';

const token = 'mandate-rippling-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const now = new Date('2026-05-04T10:00:00Z');
const body = Buffer.from(
  'event_name=employee.terminated&id=656992816f26d6caea00072c&company_id=656992806f26d6caeaffff9f&company_primary_email=admin%40example.com',
);
const delivery = (authorization: string | undefined, rawBody = body): HrisDelivery => ({
  headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
  rawBody,
  receivedAt: now,
});

describe('Rippling authentication', () => {
  it('accepts the configured bearer token; nothing is signed, so there is no signing time', () => {
    expect(verifyRippling(delivery(`Bearer ${token}`), token, { now })).toEqual({
      ok: true,
      deliveryId: `sha256:${createHash('sha256').update(body).digest('hex')}@2026-05-04T10:00:00.000Z`,
      signedAt: null,
    });
    expect(verifyRippling(delivery(`bearer ${token}`), token, { now }).ok).toBe(true);
  });

  it('rejects another token, and accepts any of several during a rotation', () => {
    expect(verifyRippling(delivery(`Bearer ${token}x`), token, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_INVALID',
    });
    expect(verifyRippling(delivery(`Bearer ${token}`), ['old-token', token], { now }).ok).toBe(true);
  });

  it('rejects a delivery without Authorization, or with another scheme', () => {
    expect(verifyRippling(delivery(undefined), token, { now })).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_MISSING',
    });
    expect(
      verifyRippling(delivery(`Basic ${Buffer.from(`u:${token}`).toString('base64')}`), token, { now }),
    ).toEqual({
      ok: false,
      reason: 'HRIS_SIGNATURE_MALFORMED',
    });
  });

  it('refuses an empty configured token', () => {
    expect(verifyRippling(delivery('Bearer x'), '', { now })).toMatchObject({
      reason: 'HRIS_SECRET_INVALID',
    });
  });
});

describe('Rippling payload', () => {
  const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
  const base = { company_id: '656992806f26d6caeaffff9f', company_primary_email: 'admin@example.com' };

  it.each([
    ['employee.hired', 'hire', undefined],
    ['employee.created', 'hire', undefined],
    ['employee.updated', 'update', undefined],
    ['employee.terminated', 'termination', undefined],
    ['employee.deleted', 'termination', 'rippling_access_removed'],
  ])('maps %s to %s', (eventName, kind, reason) => {
    const [change] = parseRipplingPayload(
      form({ ...base, event_name: eventName, id: '656992816f26d6caea00072c' }),
    );
    expect(change).toEqual({
      kind,
      employeeId: '656992816f26d6caea00072c',
      effectiveDate: null,
      sourceEventId: null,
      sourceUpdatedAt: null,
      profile: {},
      ...(reason === undefined ? {} : { reason }),
    });
  });

  it('reads a JSON body and already-decoded fields the same way', () => {
    const fields = { ...base, event_name: 'employee.hired', id: 'emp_1' };
    expect(parseRipplingPayload(JSON.stringify(fields))).toEqual(parseRipplingPayload(fields));
    expect(parseRipplingPayload(fields)[0]!.employeeId).toBe('emp_1');
  });

  it('ignores events that are not about a worker, such as leave requests and groups', () => {
    expect(parseRipplingPayload(form({ ...base, event_name: 'leave_request.created', id: 'lr_1' }))).toEqual(
      [],
    );
    expect(parseRipplingPayload(form({ ...base, event_name: 'group.updated', id: 'grp_1' }))).toEqual([]);
  });

  it.each([
    ['no event_name', form({ ...base, id: 'emp_1' }), 'event_name'],
    ['an employee event without id', form({ ...base, event_name: 'employee.terminated' }), 'id'],
  ])('rejects %s, naming the field', (_, bad, path) => {
    let error: unknown;
    try {
      parseRipplingPayload(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HrisPayloadError);
    expect((error as HrisPayloadError).code).toBe('HRIS_PAYLOAD_INVALID');
    expect((error as HrisPayloadError).issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });
});
