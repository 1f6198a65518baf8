import { generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';

// A few DER (X.690) encoders: enough for one self-signed X.509 v3 certificate, no extensions.

const length = (size: number): Buffer => {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), length(content.length), content]);
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const nullValue = Buffer.from([0x05, 0x00]);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));

const oid = (dotted: string): Buffer => {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
};

/** A positive INTEGER from unsigned big-endian bytes. */
const unsignedInteger = (bytes: Buffer): Buffer =>
  tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
const time = (at: Date): Buffer => {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`));
};

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), nullValue);
const COMMON_NAME = '2.5.4.3';

export interface SelfSignedCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

const generateRsa = promisify(generateKeyPair);

/** The DER of a self-signed certificate for `publicKey`, signed with `privateKey` (RSA, SHA-256). */
export const selfSignedCertificateDer = (
  commonName: string,
  publicKey: KeyObject,
  privateKey: KeyObject,
  notBefore: Date,
  notAfter: Date,
): Buffer => {
  const name = sequence(set(sequence(oid(COMMON_NAME), utf8(commonName))));
  const serial = randomBytes(16);
  // Positive and minimal in DER: a leading zero byte would make the INTEGER non-minimal, which OpenSSL refuses.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    unsignedInteger(serial),
    SHA256_WITH_RSA,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  return sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
};

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END ${label}-----`;

/**
 * A new RSA-2048 key pair and a self-signed certificate for it, valid from `now` for `years`: what
 * a SAML SP publishes in its metadata to sign AuthnRequests. IdPs pin the certificate, they do not
 * check a chain, so self-signed is what SAML deployments use.
 */
export const generateSelfSignedCertificate = async (
  commonName: string,
  now: Date,
  years = 10,
): Promise<SelfSignedCertificate> => {
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const der = selfSignedCertificateDer(commonName, publicKey, privateKey, now, notAfter);
  return {
    certificatePem: pem('CERTIFICATE', der),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
  };
};
