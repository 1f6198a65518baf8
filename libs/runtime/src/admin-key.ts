import { generateAdminKey, hashApiKeySecret } from '@mandate/platform';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AdminKeySetting {
  readonly adminKey?: string;
  readonly adminKeySha256?: string;
  /** What to tell the operator about the key. */
  readonly notice: string;
  /** The key, when this start generated it (so it can be shown once). */
  readonly generated?: string;
}

const ADMIN_KEY_FILE = 'admin-key.sha256';

/**
 * MANDATE_ADMIN_KEY when set; otherwise the key generated on the first start, of which only the
 * SHA-256 is kept (in the data directory): it is printed once, then never again.
 */
export const resolveStandaloneAdminKey = async (
  configured: string | undefined,
  dataDir: string,
): Promise<AdminKeySetting> => {
  if (configured) return { adminKey: configured, notice: 'from MANDATE_ADMIN_KEY' };
  const file = join(dataDir, ADMIN_KEY_FILE);
  const stored = await readFile(file, 'utf8').catch(() => null);
  if (stored && /^[0-9a-f]{64}$/.test(stored.trim())) {
    return {
      adminKeySha256: stored.trim(),
      notice: `the one printed on first start (kept hashed in ${file}; delete that file to get a new one)`,
    };
  }
  const adminKey = generateAdminKey();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${hashApiKeySecret(adminKey)}\n`, { mode: 0o600 });
  return {
    adminKeySha256: hashApiKeySecret(adminKey),
    notice: `${adminKey}   (shown once: store it now)`,
    generated: adminKey,
  };
};

const SECRET_KEY_FILE = 'secret.key';

/**
 * MANDATE_SECRET_KEY when set; otherwise a key generated on the first start and kept in the data
 * directory, readable by its owner only. Without it the sealed secrets in the data cannot be opened.
 */
export const resolveStandaloneSecretKey = async (
  configured: Buffer | undefined,
  dataDir: string,
): Promise<Buffer> => {
  if (configured) return configured;
  const file = join(dataDir, SECRET_KEY_FILE);
  const stored = await readFile(file, 'utf8').catch(() => null);
  const key = stored === null ? null : Buffer.from(stored.trim(), 'base64');
  if (key?.length === 32) return key;
  if (stored !== null) throw new Error(`${file} does not hold a 32-byte base64 key`);
  const generated = randomBytes(32);
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${generated.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return generated;
};
