import { describeWithServices } from '@mandate/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DataSource } from 'typeorm';
import { LogStreams, type LogStreamsOptions } from './log-streams';
import { appendRecords, createStreamTestDatabase, until } from './testing/stream-test-database';

jest.setTimeout(60_000);

const LEASE_TTL_MS = 3_000;

describeWithServices(['postgres'], 'a log stream delivered by one replica at a time', ({ postgres }) => {
  let database: Awaited<ReturnType<typeof createStreamTestDatabase>>;
  /** What the endpoint received, by the replica that sent it. */
  let received: { replica: string; recordId: string; sequence: number }[];

  const replica = async (name: string, options: LogStreamsOptions = {}) => {
    const dataSource = await database.connect();
    const streams = new LogStreams(dataSource, database.secrets, () => new Date(), {
      replicaId: name,
      leaseTtlMs: LEASE_TTL_MS,
      fetch: (_url, init) => {
        const { data } = JSON.parse(init?.body as string) as { data: { id: string; sequence: number } };
        received.push({ replica: name, recordId: data.id, sequence: data.sequence });
        return Promise.resolve(new Response(null, { status: 204 }));
      },
      ...options,
    });
    return { streams, dataSource };
  };
  const stateOf = async (dataSource: DataSource, orgId: string) =>
    (await new LogStreams(dataSource, database.secrets, () => new Date()).list(orgId))[0]!;
  const sequencesOnce = (count: number) => {
    const sequences = received.map((message) => message.sequence);
    expect(sequences).toEqual(Array.from({ length: count }, (_, i) => i));
  };

  beforeAll(async () => {
    database = await createStreamTestDatabase(postgres);
  });
  beforeEach(() => {
    received = [];
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('is delivered once, in order, while two replicas race for it', async () => {
    const orgId = 'org_race';
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    await a.streams.create(orgId, { kind: 'http', url: 'https://siem.example/in' });
    await appendRecords(database.dataSource, orgId, 120);
    await until(
      () => Promise.all([a.streams.deliverDue(), b.streams.deliverDue(), a.streams.deliverDue()]),
      async () => (await stateOf(database.dataSource, orgId)).deliveredThrough === 119,
    );
    sequencesOnce(120);
    // Only one of them ever held it.
    expect(new Set(received.map((message) => message.replica)).size).toBe(1);
    await a.streams.stop();
    await b.streams.stop();
  });

  it('moves to another replica after the TTL when its holder dies, from the stored cursor', async () => {
    const orgId = 'org_takeover';
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    await a.streams.create(orgId, { kind: 'http', url: 'https://siem.example/in' });
    await appendRecords(database.dataSource, orgId, 10);
    await a.streams.deliverDue();
    expect(received.map((message) => message.replica)).toEqual(Array(10).fill('replica-a'));
    // A dies holding the lease: no release, its connections just go.
    await a.dataSource.destroy();
    await appendRecords(database.dataSource, orgId, 15);
    // Its lease still runs: nobody else may deliver yet.
    await b.streams.deliverDue();
    expect(received).toHaveLength(10);
    await until(
      () => b.streams.deliverDue(),
      () => received.length === 25,
      LEASE_TTL_MS * 4,
    );
    sequencesOnce(25);
    expect(received.slice(10).every((message) => message.replica === 'replica-b')).toBe(true);
    await b.streams.stop();
  });

  it('is taken over at once when its holder stops and hands the lease back', async () => {
    const orgId = 'org_handover';
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    await a.streams.create(orgId, { kind: 'http', url: 'https://siem.example/in' });
    await appendRecords(database.dataSource, orgId, 5);
    await a.streams.deliverDue();
    await b.streams.deliverDue();
    expect(received).toHaveLength(5);
    await a.streams.stop();
    await appendRecords(database.dataSource, orgId, 5);
    await b.streams.deliverDue();
    sequencesOnce(10);
    expect(received.slice(5).every((message) => message.replica === 'replica-b')).toBe(true);
    await b.streams.stop();
  });

  it('stops delivering as soon as its lease has gone to another replica', async () => {
    const orgId = 'org_stale';
    let release: () => void = () => undefined;
    const slow = await replica('replica-slow', {
      fetch: async (_url, init) => {
        const { data } = JSON.parse(init?.body as string) as { data: { id: string; sequence: number } };
        if (data.sequence === 2) await new Promise<void>((resolve) => (release = resolve));
        received.push({ replica: 'replica-slow', recordId: data.id, sequence: data.sequence });
        return new Response(null, { status: 204 });
      },
    });
    const b = await replica('replica-b');
    await slow.streams.create(orgId, { kind: 'http', url: 'https://siem.example/in' });
    await appendRecords(database.dataSource, orgId, 6);
    const stalled = slow.streams.deliverDue();
    await sleep(LEASE_TTL_MS + 300);
    await until(
      () => b.streams.deliverDue(),
      () => received.filter((message) => message.replica === 'replica-b').length === 4,
    );
    release();
    await stalled;
    // The stalled replica's send of #2 went out (at least once), but it saved nothing and sent no more.
    expect(received.filter((message) => message.replica === 'replica-slow').map((m) => m.sequence)).toEqual([
      0, 1, 2,
    ]);
    expect((await stateOf(database.dataSource, orgId)).deliveredThrough).toBe(5);
    await slow.streams.stop();
    await b.streams.stop();
  });

  it('keeps secrets sealed at rest: the HTTP signing secret and a SASL password', async () => {
    const orgId = 'org_sealed';
    const { streams } = await replica('replica-a');
    const http = await streams.create(orgId, { kind: 'http', url: 'https://siem.example/in' });
    await streams.create(orgId, {
      kind: 'kafka',
      brokers: ['kafka.example:9093'],
      topic: 'mandate.audit',
      tls: true,
      sasl: { mechanism: 'scram-sha-512', username: 'mandate', password: 'hunter2-but-longer' },
    });
    const rows = await database.dataSource.query<
      { kind: string; destination: unknown; sealed_secret: string }[]
    >('select kind, destination, sealed_secret from audit.streams where org_id = $1', [orgId]);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain('hunter2-but-longer');
    expect(stored).not.toContain(http.secret!.slice('whsec_'.length));
    expect(rows.every((row) => row.sealed_secret.startsWith('v1.'))).toBe(true);
    const listed = JSON.stringify(await streams.list(orgId));
    expect(listed).not.toContain('hunter2-but-longer');
    expect(listed).not.toContain('whsec_');
  });
});
