import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An RSA private key (PKCS#8 PEM) with the self-signed certificate of its public key. */
export interface TestKeyPair {
  readonly privateKey: string;
  readonly certificate: string;
}

/**
 * A fresh RSA key and self-signed X.509 certificate made by the `openssl` command-line tool
 * (node:crypto makes keys but not certificates).
 */
export const generateTestKeyPair = (commonName: string, validDays = 3650): TestKeyPair => {
  const directory = mkdtempSync(join(tmpdir(), 'mandate-saml-key-'));
  try {
    const keyFile = join(directory, 'key.pem');
    const certificateFile = join(directory, 'certificate.pem');
    execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile],
      {
        stdio: 'pipe',
      },
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-key',
        keyFile,
        '-out',
        certificateFile,
        '-subj',
        `/CN=${commonName}`,
        '-sha256',
        '-days',
        String(validDays),
      ],
      { stdio: 'pipe' },
    );
    return { privateKey: readFileSync(keyFile, 'utf8'), certificate: readFileSync(certificateFile, 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
};

/** The base64 body of a PEM block, as it appears in `<ds:X509Certificate>`. */
export const pemBody = (pem: string): string =>
  pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
