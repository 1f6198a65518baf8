import { createHash } from 'node:crypto';
import { encodeCbor, SoftwareWebauthnAuthenticator } from './webauthn-authenticator';

const hex = (value: Parameters<typeof encodeCbor>[0]) => encodeCbor(value).toString('hex');

describe('CBOR encoding (RFC 8949 appendix A)', () => {
  it('encodes integers at every length boundary', () => {
    expect([0, 23, 24, 255, 256, 65535, 65536, 1000000].map(hex)).toEqual([
      '00',
      '17',
      '1818',
      '18ff',
      '190100',
      '19ffff',
      '1a00010000',
      '1a000f4240',
    ]);
    expect([-1, -7, -24, -25, -100, -1000].map(hex)).toEqual(['20', '26', '37', '3818', '3863', '3903e7']);
    expect(() => encodeCbor(1.5)).toThrow(/integer/);
  });

  it('encodes strings, byte strings, arrays and maps', () => {
    expect(hex('')).toBe('60');
    expect(hex('IETF')).toBe('6449455446');
    expect(hex('ü')).toBe('62c3bc');
    expect(hex(Buffer.from([1, 2, 3, 4]))).toBe('4401020304');
    expect(hex([1, [2, 3], [4, 5]])).toBe('8301820203820405');
    expect(
      hex(
        new Map([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe('a201020304');
    expect(
      hex(
        new Map<string, unknown>([
          ['a', 1],
          ['b', [2, 3]],
        ]) as never,
      ),
    ).toBe('a26161016162820203');
    expect(hex(Array.from({ length: 25 }, (_, index) => index + 1))).toBe(
      '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    );
  });
});

describe('the software authenticator', () => {
  const creation = {
    challenge: 'Y2hhbGxlbmdl',
    rp: { id: 'login.example.com', name: 'Example' },
    user: { id: 'dXNlcg', name: 'ada', displayName: 'Ada' },
  };

  it('registers with a none attestation over the RP ID hash, with UP, UV and AT set', () => {
    const authenticator = SoftwareWebauthnAuthenticator.create();
    const response = authenticator.register(creation, { origin: 'https://login.example.com' });
    const clientData = JSON.parse(
      Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(clientData).toEqual({
      type: 'webauthn.create',
      challenge: 'Y2hhbGxlbmdl',
      origin: 'https://login.example.com',
      crossOrigin: false,
    });
    const attestation = Buffer.from(response.response.attestationObject, 'base64url');
    // map(3) { "fmt": "none", "attStmt": {}, "authData": bytes(length in one byte) }
    const text = (value: string) => Buffer.from(value).toString('hex');
    const prefix = [
      'a3',
      '63',
      text('fmt'),
      '64',
      text('none'),
      '67',
      text('attStmt'),
      'a0',
      '68',
      text('authData'),
      '58',
    ];
    expect(attestation.subarray(0, 29).toString('hex')).toBe(prefix.join(''));
    const authData = attestation.subarray(30);
    expect(authData.subarray(0, 32)).toEqual(createHash('sha256').update('login.example.com').digest());
    expect(authData[32]).toBe(0x45);
    expect(response.id).toBe(authenticator.id);
  });

  it('counts signatures, and a clone carries the counter it was copied at', () => {
    const authenticator = SoftwareWebauthnAuthenticator.create();
    authenticator.register(creation, { origin: 'https://login.example.com' });
    const request = { challenge: 'Y2hhbGxlbmdl', rpId: 'login.example.com' };
    authenticator.authenticate(request, { origin: 'https://login.example.com' });
    const clone = authenticator.clone();
    const assertion = authenticator.authenticate(request, { origin: 'https://login.example.com' });
    const authData = Buffer.from(assertion.response.authenticatorData, 'base64url');
    expect(authData.readUInt32BE(33)).toBe(2);
    expect(authData[32]! & 0x05).toBe(0x05);
    expect(clone.signCount).toBe(1);
    expect(SoftwareWebauthnAuthenticator.create({ signCount: 'none' }).signCount).toBe(0);
  });
});
