import { DomainError } from '@mandate/kernel';
import { SYSLOG_FACILITIES, type SyslogFacility } from './syslog-message';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** Where a log stream sends its records. Secrets (the HTTP signing secret, a SASL password) are not part of it. */
export type StreamDestination =
  | { readonly kind: 'http'; readonly url: string }
  | {
      readonly kind: 'kafka';
      /** `host:port` (an IPv6 host in brackets). */
      readonly brokers: readonly string[];
      readonly topic: string;
      readonly tls: boolean;
      /** PEM certificates to trust instead of the system's, when `tls`. */
      readonly ca?: string;
      /** The name the brokers' certificates must carry, when it is not the broker host. */
      readonly serverName?: string;
      readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string };
    }
  | {
      readonly kind: 'syslog';
      readonly host: string;
      readonly port: number;
      /** RFC 5425 (TLS) when true, else RFC 6587 plain TCP. */
      readonly tls: boolean;
      readonly ca?: string;
      readonly serverName?: string;
      readonly facility: SyslogFacility;
    };

export type StreamKind = StreamDestination['kind'];

/** What an API caller asks for: a destination and, for Kafka with SASL, its password. */
export type StreamDestinationRequest =
  | { readonly kind: 'http'; readonly url: string }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly topic: string;
      readonly tls?: boolean;
      readonly ca?: string;
      readonly serverName?: string;
      readonly sasl?: {
        readonly mechanism: KafkaSaslMechanism;
        readonly username: string;
        readonly password: string;
      };
    }
  | {
      readonly kind: 'syslog';
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
      readonly ca?: string;
      readonly serverName?: string;
      readonly facility?: SyslogFacility;
    };

/** One refused field: a JSON pointer into the request and why (the shape of the platform's validation errors). */
export interface DestinationFieldError {
  readonly pointer: string;
  readonly detail: string;
  readonly code: string;
}

const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^(?=.*:.*:)[0-9a-fA-F:.]{2,45}$/;
/** Kafka's own rule for topic names. */
const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const PEM_CERTIFICATES = /^\s*(-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*)+$/;
const MAX_PEM_LENGTH = 65_536;
const MAX_BROKERS = 16;

const isHost = (host: string): boolean => DNS_NAME.test(host) || IPV4.test(host) || IPV6.test(host);

/** Loopback hosts, where a collector on the same machine may be spoken to in plain text. */
export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** `host:port` → its parts, or null; an IPv6 host keeps no brackets. */
export const parseBrokerAddress = (address: string): { host: string; port: number } | null => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match) return null;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (!isHost(host) || !validPort(port) || (match[1] !== undefined && !IPV6.test(host))) return null;
  return { host, port };
};

const validPort = (port: number): boolean => Number.isInteger(port) && port >= 1 && port <= 65_535;

/**
 * The destination a caller asked for, checked: https (plain http, TCP or Kafka only to loopback, where
 * a local collector or agent relays it), hosts and ports that can be dialled, Kafka topic names Kafka
 * accepts, PEM certificates. Every refused field is reported at once, by its pointer, in one
 * AUDIT_STREAM_DESTINATION_INVALID error.
 */
export const checkStreamDestination = (
  request: StreamDestinationRequest,
): { destination: StreamDestination; saslPassword: string | null } => {
  const errors: DestinationFieldError[] = [];
  const refuse = (pointer: string, detail: string, code = 'invalid') =>
    void errors.push({ pointer: `#/${pointer}`, detail, code });
  const checkTls = (tls: boolean, ca: string | undefined, serverName: string | undefined) => {
    if (ca !== undefined && (!tls || ca.length > MAX_PEM_LENGTH || !PEM_CERTIFICATES.test(ca)))
      refuse('ca', tls ? 'Give PEM certificates (-----BEGIN CERTIFICATE-----).' : 'A CA needs "tls": true.');
    if (serverName !== undefined && (!tls || !DNS_NAME.test(serverName)))
      refuse('serverName', tls ? 'Give a DNS name.' : 'A server name needs "tls": true.');
  };
  const result = ((): { destination: StreamDestination; saslPassword: string | null } => {
    switch (request.kind) {
      case 'http':
        return { destination: { kind: 'http', url: checkEndpoint(request.url, refuse) }, saslPassword: null };
      case 'kafka': {
        const tls = request.tls ?? false;
        if (request.brokers.length === 0 || request.brokers.length > MAX_BROKERS)
          refuse('brokers', `Give 1 to ${MAX_BROKERS} brokers.`);
        const hosts = request.brokers.map((broker, i) => {
          const parsed = parseBrokerAddress(broker);
          if (!parsed) refuse(`brokers/${i}`, `"${broker}" is not host:port with a port from 1 to 65535.`);
          return parsed?.host ?? '';
        });
        if (!KAFKA_TOPIC.test(request.topic) || request.topic === '.' || request.topic === '..')
          refuse('topic', 'A Kafka topic is 1–249 of a–z, A–Z, 0–9, ".", "_" and "-" (not "." or "..").');
        if (!tls && !hosts.every(isLoopbackHost))
          refuse('tls', 'Kafka beyond this machine needs "tls": true: audit records do not travel in clear.');
        checkTls(tls, request.ca, request.serverName);
        const { sasl } = request;
        if (sasl && (sasl.username.length === 0 || sasl.username.length > 255))
          refuse('sasl/username', 'Give a user name of 1–255 characters.');
        if (sasl && (sasl.password.length === 0 || sasl.password.length > 1024))
          refuse('sasl/password', 'Give a password of 1–1024 characters.');
        return {
          destination: {
            kind: 'kafka',
            brokers: [...request.brokers],
            topic: request.topic,
            tls,
            ...(request.ca !== undefined && { ca: request.ca }),
            ...(request.serverName !== undefined && { serverName: request.serverName }),
            ...(sasl && { sasl: { mechanism: sasl.mechanism, username: sasl.username } }),
          },
          saslPassword: sasl?.password ?? null,
        };
      }
      case 'syslog': {
        if (!isHost(request.host)) refuse('host', `"${request.host}" is not a host name or IP address.`);
        if (!validPort(request.port)) refuse('port', 'Give a port from 1 to 65535.');
        if (!request.tls && !isLoopbackHost(request.host))
          refuse(
            'tls',
            'Syslog beyond this machine needs "tls": true (RFC 5425): audit records do not travel in clear.',
          );
        checkTls(request.tls, request.ca, request.serverName);
        const facility = request.facility ?? 'auth';
        if (!(facility in SYSLOG_FACILITIES))
          refuse('facility', 'Give a facility of RFC 5424 (auth, local0…).');
        return {
          destination: {
            kind: 'syslog',
            host: request.host,
            port: request.port,
            tls: request.tls,
            ...(request.ca !== undefined && { ca: request.ca }),
            ...(request.serverName !== undefined && { serverName: request.serverName }),
            facility,
          },
          saslPassword: null,
        };
      }
    }
  })();
  if (errors.length > 0)
    throw new DomainError(
      'invalid',
      'AUDIT_STREAM_DESTINATION_INVALID',
      `The stream destination is not valid: ${errors.map((error) => `${error.pointer} ${error.detail}`).join(' ')}`,
      { errors },
    );
  return result;
};

/** Only https endpoints (plain http to loopback, for a local collector), never with credentials in the URL. */
const checkEndpoint = (url: string, refuse: (pointer: string, detail: string) => void): string => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    refuse('url', `${url} is not a URL.`);
    return url;
  }
  const plainToLoopback = parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
  if ((parsed.protocol !== 'https:' && !plainToLoopback) || parsed.username || parsed.password)
    refuse('url', 'Stream to an https URL without credentials (plain http only to loopback).');
  return parsed.href;
};
