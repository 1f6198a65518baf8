import {
  auditSyslogMessage,
  octetCountedFrame,
  type StreamDestination,
  type StreamedRecord,
  SYSLOG_FACILITIES,
} from '@mandate/audit-domain';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { refused, type StreamSender } from './stream-sender';

type SyslogDestination = Extract<StreamDestination, { kind: 'syslog' }>;

export interface SyslogSenderTimeouts {
  readonly connectTimeoutMs: number;
  /**
   * How long written frames must find the connection still up before they count as delivered. Syslog
   * has no acknowledgement (RFC 6587, RFC 5425): a receiver that hangs up right away shows itself only by
   * closing the connection, and the frames written meanwhile are sent again.
   */
  readonly settleMs: number;
}

/** One open connection to the collector, and why it ended if it did. */
class SyslogConnection {
  private ended: Error | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('error', (error) => (this.ended ??= error));
    socket.on('end', () => (this.ended ??= new Error('the collector closed the connection')));
    socket.on('close', () => (this.ended ??= new Error('the connection to the collector closed')));
    // A collector sends nothing back; reading keeps its FIN from going unnoticed.
    socket.resume();
  }

  write(payload: string): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) =>
      this.socket.write(payload, 'utf8', (error) => (error ? reject(error) : resolve())),
    );
  }

  assertOpen(): void {
    if (this.ended) throw this.ended;
  }

  close(): void {
    this.ended ??= new Error('closed');
    this.socket.destroy();
  }
}

/**
 * Sends records as RFC 5424 messages to a syslog collector over TCP with octet-counting framing
 * (RFC 6587 §3.4.1) or over TLS (RFC 5425: TLS 1.2 or later, the collector's certificate verified
 * against the system's CAs or the stream's own, for the host or the stream's server name).
 */
export class SyslogSender implements StreamSender {
  readonly batchSize = 50;
  private connection: Promise<SyslogConnection> | null = null;

  constructor(
    private readonly destination: SyslogDestination,
    private readonly hostname: string,
    private readonly timeouts: SyslogSenderTimeouts,
  ) {}

  async send(records: readonly StreamedRecord[]) {
    const facility = SYSLOG_FACILITIES[this.destination.facility];
    const payload = records
      .map((record) => octetCountedFrame(auditSyslogMessage(record, { facility, hostname: this.hostname })))
      .join('');
    try {
      const connection = await this.connected();
      await connection.write(payload);
      await sleep(this.timeouts.settleMs);
      connection.assertOpen();
      return { result: 'accepted', status: null } as const;
    } catch (error) {
      await this.close();
      return refused(error);
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection) await connection.then((open) => open.close()).catch(() => undefined);
  }

  private connected(): Promise<SyslogConnection> {
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = null;
      throw error;
    });
    return this.connection;
  }

  private open(): Promise<SyslogConnection> {
    const { host, port, tls, ca, serverName } = this.destination;
    return new Promise((resolve, reject) => {
      const ready = tls ? 'secureConnect' : 'connect';
      const socket = tls
        ? connectTls({
            host,
            port,
            minVersion: 'TLSv1.2',
            rejectUnauthorized: true,
            ...(ca !== undefined && { ca }),
            // SNI takes a name, never an address; an address is still checked against the certificate.
            ...((serverName ?? (isIP(host) ? undefined : host)) !== undefined && {
              servername: serverName ?? host,
            }),
          })
        : connectTcp({ host, port });
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(this.timeouts.connectTimeoutMs, () =>
        fail(new Error(`no connection to ${host}:${port} within ${this.timeouts.connectTimeoutMs} ms`)),
      );
      socket.once('error', fail);
      socket.once(ready, () => {
        socket.setTimeout(0);
        socket.off('error', fail);
        socket.setKeepAlive(true, 30_000);
        resolve(new SyslogConnection(socket));
      });
    });
  }
}
