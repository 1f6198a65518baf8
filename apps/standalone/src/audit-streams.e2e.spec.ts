import { runStandalone } from '@mandate/runtime';
import { serviceUrl } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { allContexts } from './contexts';

type Body = Record<string, unknown>;
interface StreamState {
  id: string;
  kind: string;
  destination: Body;
  deliveredThrough: number;
  failedAttempts: number;
  lastError: string | null;
}

const ADMIN_KEY = `mandate_admin_${randomBytes(24).toString('base64url')}`;

const eventually = async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await sleep(50);
  }
};

/** A syslog collector on loopback reading octet-counted frames (RFC 6587 §3.4.1). */
const syslogCollector = async () => {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let space = buffered.indexOf(0x20); space > 0; space = buffered.indexOf(0x20)) {
        const length = Number(buffered.subarray(0, space).toString('ascii'));
        if (buffered.length < space + 1 + length) return;
        messages.push(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffered = buffered.subarray(space + 1 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    messages,
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
};

describe('audit log streams to syslog and Kafka in standalone Mandate', () => {
  let dataDir: string;
  let started: Awaited<ReturnType<typeof runStandalone>>;
  let orgId: string;

  const call = async (path: string, body?: unknown) => {
    const response = await fetch(`${started.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Body,
    };
  };
  const streams = () => `/api/v1/organizations/${orgId}/audit/streams`;
  const logSize = async () =>
    ((await call(`/api/v1/organizations/${orgId}/audit/records?limit=1000`)).body['data'] as unknown[])
      .length;
  const caughtUp = (streamId: string, size: number) =>
    eventually(async () => {
      const all = (await call(streams())).body['data'] as StreamState[];
      const state = all.find((stream) => stream.id === streamId)!;
      return state.deliveredThrough >= size - 1 ? state : null;
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-audit-streams-'));
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    started = await runStandalone(allContexts, {
      PORT: '0',
      MANDATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      MANDATE_ADMIN_KEY: ADMIN_KEY,
    });
    orgId = (await call('/api/v1/organizations', { name: 'Acme' })).body['id'] as string;
    await call(`/api/v1/organizations/${orgId}/directories`, { name: 'Okta', provider: 'okta' });
    await eventually(async () => ((await logSize()) >= 2 ? true : null));
  }, 120_000);
  afterAll(async () => {
    await started.app.close();
    jest.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a destination it cannot use with a problem naming the field', async () => {
    const plainRemote = await call(streams(), {
      kind: 'syslog',
      host: 'siem.example',
      port: 514,
      tls: false,
    });
    expect(plainRemote.status).toBe(400);
    expect(plainRemote.type).toMatch(/^application\/problem\+json/);
    expect(plainRemote.body).toMatchObject({
      code: 'AUDIT_STREAM_DESTINATION_INVALID',
      errors: [{ pointer: '#/tls' }],
    });
    const badKafka = await call(streams(), {
      kind: 'kafka',
      brokers: ['kafka.example'],
      topic: 'audit log',
      tls: true,
    });
    expect(badKafka.status).toBe(400);
    expect((badKafka.body['errors'] as { pointer: string }[]).map((error) => error.pointer)).toEqual([
      '#/brokers/0',
      '#/topic',
    ]);
    const badPort = await call(streams(), { kind: 'syslog', host: '127.0.0.1', port: 99_999, tls: false });
    expect(badPort.body).toMatchObject({ errors: [{ pointer: '#/port' }] });
    const unknownField = await call(streams(), {
      kind: 'syslog',
      host: '127.0.0.1',
      port: 514,
      tls: false,
      tcp: 1,
    });
    expect(unknownField.body).toMatchObject({ code: 'PLATFORM_VALIDATION_FAILED' });
  });

  it('streams the log to a syslog collector as RFC 5424 messages, its delivery state visible', async () => {
    const collector = await syslogCollector();
    try {
      const created = await call(streams(), {
        kind: 'syslog',
        host: '127.0.0.1',
        port: collector.port,
        tls: false,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        kind: 'syslog',
        destination: {
          kind: 'syslog',
          host: '127.0.0.1',
          port: collector.port,
          tls: false,
          facility: 'auth',
        },
      });
      expect(created.body['secret']).toBeUndefined();
      const size = await logSize();
      const state = await caughtUp(created.body['id'] as string, size);
      expect(state).toMatchObject({ failedAttempts: 0, lastError: null });
      const sequences = collector.messages.map((message) => Number(/ sequence="(\d+)"/.exec(message)?.[1]));
      expect(sequences.slice(0, size)).toEqual(Array.from({ length: size }, (_, i) => i));
      expect(collector.messages[0]).toMatch(
        new RegExp(
          `^<38>1 \\S+ \\S+ mandate - organization\\.created \\[mandate@32473 org="${orgId}" sequence="0" `,
        ),
      );
    } finally {
      await collector.close();
    }
  }, 40_000);

  const brokers = serviceUrl('kafka');
  (brokers ? it : it.skip)(
    'streams the log to a Kafka topic keyed by organization',
    async () => {
      const kafka = new Kafka({
        clientId: 'audit-streams-e2e',
        brokers: brokers!.split(','),
        logLevel: logLevel.NOTHING,
      });
      const topic = `test.audit-streams-e2e.${randomBytes(4).toString('hex')}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      try {
        const created = await call(streams(), { kind: 'kafka', brokers: brokers!.split(','), topic });
        expect(created.status).toBe(201);
        const size = await logSize();
        await caughtUp(created.body['id'] as string, size);
        const received: KafkaMessage[] = [];
        const consumer = kafka.consumer({ groupId: `${topic}.reader` });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void received.push(message)) });
        try {
          await eventually(() => Promise.resolve(received.length >= size ? true : null));
        } finally {
          await consumer.disconnect();
        }
        expect(received.every((message) => message.key?.toString() === orgId)).toBe(true);
        const records = received.map(
          (message) => JSON.parse(message.value!.toString()) as { sequence: number; orgId: string },
        );
        expect(records.slice(0, size).map((record) => record.sequence)).toEqual(
          Array.from({ length: size }, (_, i) => i),
        );
      } finally {
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    },
    60_000,
  );
});
