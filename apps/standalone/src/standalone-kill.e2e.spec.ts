import { parseVerifierKey, verifyExportFile } from '@mandate/audit-infrastructure';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(__dirname, '../../..');
const adminKey = 'mandate_admin_kill9_0123456789abcdef0123456789';

/** Mandate standalone in a child process, so it can be killed with SIGKILL. */
const startMandate = async (dataDir: string): Promise<{ child: ChildProcess; url: string }> => {
  const child = spawn(
    process.execPath,
    ['-r', join(root, 'tools/register-typescript.cjs'), join(root, 'apps/standalone/src/main.ts')],
    {
      env: {
        ...process.env,
        PORT: '0',
        MANDATE_DATA_DIR: dataDir,
        MANDATE_ADMIN_KEY: adminKey,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Mandate did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Management API\s+(http:\/\/[^\s]+)\/api\/v1\/organizations/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Mandate exited with ${code}:\n${output}`)));
  });
  return { child, url };
};

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

const api = (url: string, path: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
  });

describe('standalone Mandate killed with SIGKILL', () => {
  let dataDir: string;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mandate-kill-'));
  });
  afterAll(async () => {
    running?.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged write, every context catches up after the restart, and audit logs hold each event once', async () => {
    const first = await startMandate(dataDir);
    running = first.child;
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (worker: number) => {
      for (let i = 0; !stop && i < 200; i++) {
        const response = await api(first.url, '/api/v1/organizations', {
          method: 'POST',
          body: JSON.stringify({ name: `Org ${worker}-${i}` }),
        }).catch(() => null);
        if (response?.status === 201) acknowledged.push(((await response.json()) as { id: string }).id);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acknowledged.length < 25) await sleep(10);
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited(first.child);

    const second = await startMandate(dataDir);
    running = second.child;
    for (const orgId of acknowledged) {
      const response = await api(second.url, `/api/v1/organizations/${orgId}`);
      expect(response.status).toBe(200);
    }
    for (const context of ['authn', 'authz', 'audit']) {
      for (const orgId of acknowledged) {
        let status = 0;
        for (let attempt = 0; attempt < 200 && status !== 200; attempt++) {
          status = (await api(second.url, `/api/v1/${context}/organizations/${orgId}`)).status;
          if (status !== 200) await sleep(50);
        }
        expect(status).toBe(200);
      }
    }
    // The audit log of each organization holds its creation exactly once, and its export verifies.
    const keys = (
      (await (await api(second.url, '/api/v1/audit/keys')).json()) as { data: { verifierKey: string }[] }
    ).data.map((key) => parseVerifierKey(key.verifierKey));
    for (const orgId of acknowledged.slice(0, 10)) {
      let created: unknown[] = [];
      for (let attempt = 0; attempt < 200 && created.length === 0; attempt++) {
        const answer = (await (
          await api(second.url, `/api/v1/organizations/${orgId}/audit/records?action=organization.created`)
        ).json()) as { data: unknown[] };
        created = answer.data;
        if (created.length === 0) await sleep(50);
      }
      expect(created).toHaveLength(1);
      const exported = await (await api(second.url, `/api/v1/organizations/${orgId}/audit/export`)).text();
      expect(verifyExportFile(exported, keys).verification).toMatchObject({ ok: true });
    }
    second.child.kill('SIGTERM');
    await exited(second.child);
    running = undefined;
  }, 180_000);
});
