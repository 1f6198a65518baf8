import { HrisPayloadError } from './hris-payload.error';
import { parseGenericPayload } from './generic.payload';

const worker = {
  id: 'wkr_1042',
  email: 'ada.lovelace@example.com',
  givenName: 'Ada',
  familyName: 'Lovelace',
  department: 'Engineering',
  title: 'Staff Engineer',
  managerId: 'wkr_0007',
};

const event = (overrides: Record<string, unknown>) => ({
  id: 'evt_01',
  type: 'worker.hired',
  occurredAt: '2026-03-01T12:00:00Z',
  effectiveDate: '2026-03-16',
  worker,
  ...overrides,
});

const errorOf = (body: unknown): HrisPayloadError => {
  try {
    parseGenericPayload(body);
  } catch (error) {
    if (error instanceof HrisPayloadError) return error;
    throw error;
  }
  throw new Error('expected HrisPayloadError');
};

describe('generic payload', () => {
  it('maps a hire with a start date, keyed by the worker id', () => {
    expect(parseGenericPayload({ events: [event({})] })).toEqual([
      {
        kind: 'hire',
        employeeId: 'wkr_1042',
        effectiveDate: '2026-03-16',
        sourceEventId: 'evt_01',
        sourceUpdatedAt: '2026-03-01T12:00:00.000Z',
        profile: {
          email: 'ada.lovelace@example.com',
          givenName: 'Ada',
          familyName: 'Lovelace',
          department: 'Engineering',
          title: 'Staff Engineer',
          managerEmployeeId: 'wkr_0007',
        },
      },
    ]);
  });

  it('maps every event type in one delivery, in order', () => {
    const events = [
      event({
        id: 'e1',
        type: 'worker.updated',
        effectiveDate: null,
        worker: { id: 'w1', title: 'Principal' },
      }),
      event({ id: 'e2', type: 'worker.leave_started', effectiveDate: '2026-04-01', worker: { id: 'w2' } }),
      event({ id: 'e3', type: 'worker.leave_ended', effectiveDate: '2026-07-01', worker: { id: 'w2' } }),
      event({
        id: 'e4',
        type: 'worker.terminated',
        effectiveDate: '2026-12-31',
        reason: 'resignation',
        worker: { id: 'w3' },
      }),
      event({ id: 'e5', type: 'worker.rehired', worker: { id: 'w3' } }),
    ];
    const changes = parseGenericPayload(Buffer.from(JSON.stringify({ events })));
    expect(changes.map(({ kind, employeeId, effectiveDate }) => [kind, employeeId, effectiveDate])).toEqual([
      ['update', 'w1', null],
      ['leave_of_absence', 'w2', '2026-04-01'],
      ['return_from_leave', 'w2', '2026-07-01'],
      ['termination', 'w3', '2026-12-31'],
      ['rehire', 'w3', '2026-03-16'],
    ]);
    expect(changes[0]!.profile).toEqual({ title: 'Principal' });
    expect(changes[3]!.reason).toBe('resignation');
  });

  it('treats a missing effective date as "now" and normalises date-times to UTC', () => {
    const [withoutDate] = parseGenericPayload({ events: [event({ effectiveDate: undefined })] });
    expect(withoutDate!.effectiveDate).toBeNull();
    const [withTime] = parseGenericPayload({
      events: [
        event({ occurredAt: '2026-03-01T13:00:00+01:00', effectiveDate: '2026-03-16T09:00:00-05:00' }),
      ],
    });
    expect(withTime).toMatchObject({
      sourceUpdatedAt: '2026-03-01T12:00:00.000Z',
      effectiveDate: '2026-03-16T14:00:00.000Z',
    });
  });

  it.each([
    ['an unknown event type', { events: [event({ type: 'worker.promoted' })] }, 'events.0.type'],
    [
      'a worker without an id',
      { events: [event({ worker: { email: 'a@example.com' } })] },
      'events.0.worker.id',
    ],
    [
      'an impossible effective date',
      { events: [event({ effectiveDate: '2026-02-30' })] },
      'events.0.effectiveDate',
    ],
    [
      'a date-time without a zone',
      { events: [event({ occurredAt: '2026-03-01T12:00:00' })] },
      'events.0.occurredAt',
    ],
    ['a misspelt field', { events: [event({ worker: { ...worker, deparment: 'Ops' } })] }, 'events.0.worker'],
    [
      'an invalid email',
      { events: [event({ worker: { ...worker, email: 'not-an-email' } })] },
      'events.0.worker.email',
    ],
    ['no events', { events: [] }, 'events'],
    ['not an object', [1, 2], ''],
  ])('rejects %s, naming the field', (_, body, path) => {
    const error = errorOf(body);
    expect(error.code).toBe('HRIS_PAYLOAD_INVALID');
    expect(error.issues.some((issue) => (path === '' ? true : issue.startsWith(`${path}:`)))).toBe(true);
    expect(error.message).toContain(path);
  });

  it('rejects a body that is not JSON', () => {
    expect(errorOf(Buffer.from('events=1')).issues).toEqual(['body: not valid JSON']);
  });
});
