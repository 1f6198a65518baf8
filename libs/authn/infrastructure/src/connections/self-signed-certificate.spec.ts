import { createPrivateKey, X509Certificate } from 'node:crypto';
import { generateSelfSignedCertificate } from './self-signed-certificate';

describe('self-signed SP certificate', () => {
  it('is an X.509 certificate for its own key, signed by it, valid for ten years from now', async () => {
    const now = new Date('2026-12-01T09:00:00.000Z');
    const { certificatePem, privateKeyPem } = await generateSelfSignedCertificate(
      'con_1.sso.example.com',
      now,
    );
    const certificate = new X509Certificate(certificatePem);
    expect(certificate.subject).toBe('CN=con_1.sso.example.com');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
    expect(new Date(certificate.validFrom).toISOString()).toBe(now.toISOString());
    expect(new Date(certificate.validTo).toISOString()).toBe('2036-12-01T09:00:00.000Z');
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('writes dates from 2050 as GeneralizedTime', async () => {
    const { certificatePem } = await generateSelfSignedCertificate(
      'late',
      new Date('2045-06-01T00:00:00.000Z'),
    );
    expect(new Date(new X509Certificate(certificatePem).validTo).toISOString()).toBe(
      '2055-06-01T00:00:00.000Z',
    );
  });
});
