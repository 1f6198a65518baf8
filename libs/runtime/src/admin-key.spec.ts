import { hashApiKeySecret } from '@mandate/platform';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStandaloneAdminKey } from './admin-key';

describe('the standalone admin key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mandate-admin-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is generated once, kept only as a hash readable by its owner, then reused', async () => {
    const first = await resolveStandaloneAdminKey(undefined, dir);
    expect(first.generated).toMatch(/^mandate_admin_/);
    const file = join(dir, 'admin-key.sha256');
    expect((await readFile(file, 'utf8')).trim()).toBe(hashApiKeySecret(first.generated!));
    expect((await stat(file)).mode & 0o077).toBe(0);

    const second = await resolveStandaloneAdminKey(undefined, dir);
    expect(second.generated).toBeUndefined();
    expect(second.adminKeySha256).toBe(first.adminKeySha256);
    expect(second.notice).not.toContain(first.generated!);
  });

  it('uses MANDATE_ADMIN_KEY when set, and writes nothing', async () => {
    const setting = await resolveStandaloneAdminKey('mandate_admin_0123456789abcdef0123456789abcdef', dir);
    expect(setting).toMatchObject({ adminKey: 'mandate_admin_0123456789abcdef0123456789abcdef' });
    await expect(readFile(join(dir, 'admin-key.sha256'))).rejects.toThrow();
  });
});
