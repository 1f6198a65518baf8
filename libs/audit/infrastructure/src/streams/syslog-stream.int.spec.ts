import { type AuditRecord, toJsonLine } from '@mandate/audit-domain';
import { describeWithServices } from '@mandate/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { LogStreams } from './log-streams';
import { appendRecords, createStreamTestDatabase, until } from './testing/stream-test-database';

jest.setTimeout(60_000);

const BOM = '\uFEFF';

interface Received {
  readonly pri: number;
  readonly header: string[];
  readonly sd: Record<string, string>;
  readonly record: AuditRecord;
}

/** Parses one RFC 5424 message as this stream writes it: header, one SD-ELEMENT, BOM and the record JSON. */
const parseMessage = (text: string): Received => {
  const match =
    /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[mandate@32473((?: [^=\s]+="(?:[^"\\\]]|\\["\\\]])*")*)\] (.*)$/s.exec(
      text,
    );
  if (!match) throw new Error(`Not an RFC 5424 message of the stream: ${text}`);
  const sd = Object.fromEntries(
    [...match[7]!.matchAll(/ ([^=\s]+)="((?:[^"\\\]]|\\["\\\]])*)"/g)].map(([, name, value]) => [
      name!,
      value!.replace(/\\(["\\\]])/g, '$1'),
    ]),
  );
  const msg = match[8]!;
  if (!msg.startsWith(BOM)) throw new Error('MSG without its BOM');
  return {
    pri: Number(match[1]),
    header: match.slice(2, 7),
    sd,
    record: JSON.parse(msg.slice(1)) as AuditRecord,
  };
};

/** A collector: reads octet-counted frames (RFC 6587 §3.4.1); hangs up on the first `dropFirst` connections. */
const collector = (server: Server, accepted: 'connection' | 'secureConnection', dropFirst = 0) => {
  const messages: { raw: string; parsed: Received }[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on(accepted, (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (connections++ < dropFirst) {
      socket.destroy();
      return;
    }
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const space = buffered.indexOf(0x20);
        if (space < 0) return;
        const length = Number(buffered.subarray(0, space).toString('ascii'));
        if (!Number.isInteger(length) || length <= 0) throw new Error('Bad MSG-LEN');
        if (buffered.length < space + 1 + length) return;
        const raw = buffered.subarray(space + 1, space + 1 + length).toString('utf8');
        buffered = buffered.subarray(space + 1 + length);
        messages.push({ raw, parsed: parseMessage(raw) });
      }
    });
  });
  return {
    messages,
    connections: () => connections,
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
      ),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
};

describeWithServices(['postgres'], 'log streams to syslog', ({ postgres }) => {
  let database: Awaited<ReturnType<typeof createStreamTestDatabase>>;
  let streams: LogStreams;
  let certificates: string;
  const pemOf = (name: string) => readFileSync(join(certificates, name), 'utf8');

  beforeAll(async () => {
    database = await createStreamTestDatabase(postgres);
    streams = new LogStreams(database.dataSource, database.secrets, () => new Date(), {
      hostname: 'mandate.test',
      timeouts: { connectMs: 2_000, syslogSettleMs: 30 },
    });
    certificates = mkdtempSync(join(tmpdir(), 'syslog-tls-'));
    // A self-signed collector certificate for syslog.test and 127.0.0.1.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=syslog.test',
        '-addext',
        'subjectAltName=DNS:syslog.test,IP:127.0.0.1',
        '-keyout',
        join(certificates, 'key.pem'),
        '-out',
        join(certificates, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(async () => {
    await streams?.stop();
    await database?.drop();
    if (certificates) rmSync(certificates, { recursive: true, force: true });
  });

  const stateOf = async (orgId: string) => (await streams.list(orgId))[0]!;

  const expectEveryRecordOnceInOrder = async (
    orgId: string,
    messages: { raw: string; parsed: Received }[],
  ) => {
    const logged = await database.dataSource.query<{ record: AuditRecord }[]>(
      'select record from audit.records where org_id = $1 order by sequence',
      [orgId],
    );
    expect(messages.map((message) => message.parsed.record.id)).toEqual(logged.map((row) => row.record.id));
    messages.forEach(({ raw, parsed }, i) => {
      const record = logged[i]!.record;
      // MSG is the export line's JSON, byte for byte.
      expect(raw.endsWith(`${BOM}${toJsonLine(record).slice(0, -1)}`)).toBe(true);
      expect(parsed.pri).toBe(4 * 8 + (record.outcome === 'failure' ? 4 : 6));
      expect(parsed.header).toEqual([record.occurredAt, 'mandate.test', 'mandate', '-', record.action]);
      expect(parsed.sd).toEqual({
        org: orgId,
        sequence: String(i),
        id: record.id,
        actor: record.actor.id,
        outcome: record.outcome,
      });
    });
  };

  it('delivers every record once, in order, over TCP, retrying after the collector hangs up', async () => {
    const orgId = 'org_syslog_tcp';
    const receiver = collector(createTcpServer(), 'connection', 1);
    const port = await receiver.listen();
    try {
      await streams.create(orgId, { kind: 'syslog', host: '127.0.0.1', port, tls: false });
      await appendRecords(database.dataSource, orgId, 60);
      await until(
        () => streams.deliverDue(),
        async () => (await stateOf(orgId)).deliveredThrough === 59,
      );
      expect(receiver.connections()).toBe(2);
      await expectEveryRecordOnceInOrder(orgId, receiver.messages);
      expect((await stateOf(orgId)).failedAttempts).toBe(0);
      expect((await stateOf(orgId)).lastError).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('delivers over TLS to a collector whose certificate it verifies against the stream CA', async () => {
    const orgId = 'org_syslog_tls';
    const receiver = collector(
      createTlsServer({ key: pemOf('key.pem'), cert: pemOf('cert.pem'), minVersion: 'TLSv1.2' }),
      'secureConnection',
      1,
    );
    const port = await receiver.listen();
    try {
      await streams.create(orgId, {
        kind: 'syslog',
        host: '127.0.0.1',
        port,
        tls: true,
        ca: pemOf('cert.pem'),
        serverName: 'syslog.test',
      });
      await appendRecords(database.dataSource, orgId, 7);
      await until(
        () => streams.deliverDue(),
        async () => (await stateOf(orgId)).deliveredThrough === 6,
      );
      await expectEveryRecordOnceInOrder(orgId, receiver.messages);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing to a TLS collector whose certificate is not trusted or not for its name', async () => {
    const receiver = collector(
      createTlsServer({ key: pemOf('key.pem'), cert: pemOf('cert.pem') }),
      'secureConnection',
    );
    const port = await receiver.listen();
    try {
      const untrusted = 'org_syslog_untrusted';
      const misnamed = 'org_syslog_misnamed';
      await streams.create(untrusted, { kind: 'syslog', host: '127.0.0.1', port, tls: true });
      await streams.create(misnamed, {
        kind: 'syslog',
        host: '127.0.0.1',
        port,
        tls: true,
        ca: pemOf('cert.pem'),
        serverName: 'other.test',
      });
      await appendRecords(database.dataSource, untrusted, 2);
      await appendRecords(database.dataSource, misnamed, 2);
      await until(
        () => streams.deliverDue(),
        async () =>
          (await stateOf(untrusted)).failedAttempts > 0 && (await stateOf(misnamed)).failedAttempts > 0,
      );
      expect((await stateOf(untrusted)).lastError).toMatch(/self[- ]signed/i);
      expect((await stateOf(misnamed)).lastError).toMatch(/other\.test/);
      expect((await stateOf(misnamed)).deliveredThrough).toBe(-1);
      expect(receiver.messages).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('sends a record redacted by retention as its stub, keeping every sequence', async () => {
    const orgId = 'org_syslog_redacted';
    const receiver = collector(createTcpServer(), 'connection');
    const port = await receiver.listen();
    try {
      await appendRecords(database.dataSource, orgId, 3, new Date(Date.now() - 500 * 86_400_000));
      await appendRecords(database.dataSource, orgId, 2);
      await database.dataSource.query('select * from audit.redact_expired($1, 100)', [orgId]);
      await streams.create(orgId, { kind: 'syslog', host: '127.0.0.1', port, tls: false });
      await until(
        () => streams.deliverDue(),
        async () => (await stateOf(orgId)).deliveredThrough === 4,
      );
      expect(receiver.messages.map(({ raw }) => raw.split(' ')[5])).toEqual([
        'redacted',
        'redacted',
        'redacted',
        expect.stringMatching(/^(invoice\.approved|user\.login_failed)$/),
        expect.stringMatching(/^(invoice\.approved|user\.login_failed)$/),
      ]);
      expect(receiver.messages[0]!.raw).toContain(`[mandate@32473 org="${orgId}" sequence="0" `);
      expect(receiver.messages[0]!.raw).toContain('redacted="true"]');
    } finally {
      await receiver.close();
    }
  });

  it('refuses a destination it cannot use, naming the field', async () => {
    await expect(
      streams.create('org_syslog_bad', { kind: 'syslog', host: 'siem.example', port: 514, tls: false }),
    ).rejects.toMatchObject({
      code: 'AUDIT_STREAM_DESTINATION_INVALID',
      details: { errors: [{ pointer: '#/tls' }] },
    });
    const garbled = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    await expect(
      streams.create('org_syslog_bad', {
        kind: 'syslog',
        host: 'siem.example',
        port: 6514,
        tls: true,
        ca: garbled,
      }),
    ).rejects.toMatchObject({ details: { errors: [{ pointer: '#/ca' }] } });
  });
});
