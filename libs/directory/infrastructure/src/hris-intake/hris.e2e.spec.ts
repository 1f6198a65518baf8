import { createHmac, randomUUID } from 'node:crypto';
import { type DirectoryApp, startDirectoryApp } from '../testing/directory-harness';

/** Signs like a Standard Webhooks sender, spelled out independently of the verifier. */
const standardWebhookHeaders = (secret: string, body: string, id = randomUUID(), at = new Date()) => {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
};

const worker = {
  id: 'wkr_1042',
  email: 'ada@acme.example',
  givenName: 'Ada',
  familyName: 'Lovelace',
  department: 'Engineering',
  title: 'Engineer',
  employeeNumber: '1042',
};
const event = (type: string, extra: Record<string, unknown> = {}) => ({
  id: `evt_${randomUUID()}`,
  type,
  occurredAt: new Date().toISOString(),
  worker,
  ...extra,
});

describe('HRIS webhooks (standalone, over HTTP)', () => {
  let app: DirectoryApp;
  let orgId: string;
  let directoryId: string;
  let secret: string;

  const post = (body: unknown, headers: Record<string, string> = {}) => {
    const raw = JSON.stringify(body);
    return app.call(`/hris/generic/${directoryId}`, {
      raw,
      key: null,
      headers: { ...standardWebhookHeaders(secret, raw), ...headers },
    });
  };
  const deliveryStatus = (id: string) =>
    app.eventually(async () => {
      const answer = await app.call(
        `/api/v1/organizations/${orgId}/directories/${directoryId}/deliveries/${id}`,
      );
      return answer.body?.['status'] === 'pending' ? null : answer.body;
    });
  const userByEmployee = async () => {
    const users = await app.call(`/api/v1/organizations/${orgId}/users?directoryId=${directoryId}`);
    return (
      users.body!['data'] as { externalId: string; active: boolean; id: string; department: string }[]
    ).find((user) => user.externalId === worker.id);
  };

  beforeAll(async () => {
    app = await startDirectoryApp();
    orgId = await app.createOrganization();
    const created = await app.call(`/api/v1/organizations/${orgId}/directories`, {
      body: { name: 'HR', provider: 'generic_hris' },
    });
    directoryId = created.body!['id'] as string;
    secret = created.body!['signingSecret'] as string;
  });
  afterAll(() => app.stop());

  it('a hire becomes a user keyed by the worker id, once, however often it is delivered', async () => {
    const body = { events: [event('worker.hired')] };
    const raw = JSON.stringify(body);
    const headers = standardWebhookHeaders(secret, raw);
    const first = await app.call(`/hris/generic/${directoryId}`, { raw, key: null, headers });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ duplicate: false });
    const retry = await app.call(`/hris/generic/${directoryId}`, { raw, key: null, headers });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ duplicate: true, id: first.body!['id'] });
    expect(await deliveryStatus(first.body!['id'] as string)).toMatchObject({ status: 'processed' });

    const user = await userByEmployee();
    expect(user).toMatchObject({ active: true, department: 'Engineering', userName: 'ada@acme.example' });
  });

  it('refuses a bad, stale or missing signature, and stores nothing', async () => {
    const body = JSON.stringify({ events: [event('worker.terminated')] });
    const tampered = await app.call(`/hris/generic/${directoryId}`, {
      raw: body.replace('terminated', 'rehired'),
      key: null,
      headers: standardWebhookHeaders(secret, body),
    });
    expect(tampered.status).toBe(401);
    expect(tampered.body).toMatchObject({ reason: 'HRIS_SIGNATURE_INVALID' });
    const stale = await app.call(`/hris/generic/${directoryId}`, {
      raw: body,
      key: null,
      headers: standardWebhookHeaders(secret, body, randomUUID(), new Date(Date.now() - 10 * 60_000)),
    });
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ reason: 'HRIS_SIGNATURE_STALE' });
    const unsigned = await app.call(`/hris/generic/${directoryId}`, { raw: body, key: null });
    expect(unsigned.status).toBe(401);
    expect((await userByEmployee())!.active).toBe(true);
    const wrongPlace = await app.call(`/hris/bamboohr/${directoryId}`, { raw: body, key: null });
    expect(wrongPlace.status).toBe(404);
  });

  it('a malformed body is accepted, recorded as failed with the bad field named, and changes nothing', async () => {
    const answer = await post({ events: [{ ...event('worker.updated'), worker: { email: 'x@y.z' } }] });
    expect(answer.status).toBe(202);
    const delivery = await deliveryStatus(answer.body!['id'] as string);
    expect(delivery).toMatchObject({ status: 'failed' });
    expect(String(delivery['error'])).toContain('worker.id');
  });

  it('a mover changes the department; a termination dated ahead waits for its day', async () => {
    const moved = await post({
      events: [event('worker.updated', { worker: { ...worker, department: 'Sales' } })],
    });
    await deliveryStatus(moved.body!['id'] as string);
    expect((await userByEmployee())!.department).toBe('Sales');

    const ahead = await post({ events: [event('worker.terminated', { effectiveDate: '2099-01-31' })] });
    await deliveryStatus(ahead.body!['id'] as string);
    expect((await userByEmployee())!.active).toBe(true);
    const scheduled = await app.call(
      `/api/v1/events?orgId=${orgId}&types=directory.user.deactivation_scheduled&limit=10`,
    );
    const [only, ...more] = scheduled.body!['data'] as { data: { effectiveAt: string } }[];
    expect(more).toEqual([]);
    expect(only!.data.effectiveAt).toBe('2099-01-31T00:00:00.000Z');
  });

  it('a leaver is deactivated at once and their agents are suspended in the same story', async () => {
    const user = (await userByEmployee())!;
    const agent = await app.call(`/api/v1/organizations/${orgId}/agents`, {
      body: { displayName: 'Invoice bot', ownerIds: [user.id] },
    });
    expect(agent.status).toBe(201);

    const left = await post({ events: [event('worker.terminated')] });
    await deliveryStatus(left.body!['id'] as string);
    expect((await userByEmployee())!.active).toBe(false);
    const suspended = await app.eventually(async () => {
      const read = await app.call(`/api/v1/organizations/${orgId}/agents/${agent.body!['id'] as string}`);
      return read.body?.['status'] === 'suspended' ? read.body : null;
    });
    expect(suspended).toMatchObject({ status: 'suspended' });

    const events = await app.call(
      `/api/v1/events?orgId=${orgId}&types=directory.user.deactivated,directory.agent.suspended`,
    );
    const [deactivated, agentSuspended] = events.body!['data'] as {
      id: string;
      correlationId: string;
      causationId: string;
      data: Record<string, unknown>;
    }[];
    expect(deactivated!.data).toMatchObject({ source: 'hris', reason: 'terminated' });
    expect(agentSuspended!.data).toMatchObject({ reason: 'owner_left', ownerId: user.id });
    expect(agentSuspended!.causationId).toBe(deactivated!.id);
    expect(agentSuspended!.correlationId).toBe(deactivated!.correlationId);

    const reactivate = await app.call(
      `/api/v1/organizations/${orgId}/agents/${agent.body!['id'] as string}/reactivate`,
      {
        method: 'POST',
      },
    );
    expect(reactivate.status).toBe(412);
  });

  it('a return from leave never undoes a termination; a rehire does', async () => {
    const back = await post({ events: [event('worker.leave_ended')] });
    await deliveryStatus(back.body!['id'] as string);
    expect((await userByEmployee())!.active).toBe(false);
    const rehired = await post({ events: [event('worker.rehired')] });
    await deliveryStatus(rehired.body!['id'] as string);
    expect((await userByEmployee())!.active).toBe(true);
  });
});
