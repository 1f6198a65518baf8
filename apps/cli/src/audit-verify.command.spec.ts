// The fixture is an export signed with the log's own primitives, which only the domain lib exposes.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { canonicalJson, leafHash, MerkleTree, noteKeyId, signCheckpoint } from '@mandate/audit-domain';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './audit-verify.command';

const ORIGIN = 'mandate.example/audit/org_01HZX3';
const SIZE = 12;

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const rawPublicKey = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
const keyId = noteKeyId(ORIGIN, publicKey);
const verifierKey = `${ORIGIN}+${keyId}+${Buffer.concat([Buffer.from([1]), rawPublicKey]).toString('base64')}`;

const records = Array.from({ length: SIZE }, (_, sequence) =>
  canonicalJson({ action: 'invoice.approved', metadata: { note: 'a "quoted" \\ note' }, sequence }),
);

const exportText = (lines: readonly string[]) => {
  const leaves = records.map((line) => leafHash(Buffer.from(line)));
  const checkpoints = [4, 8, SIZE].map((treeSize) =>
    signCheckpoint(
      {
        origin: ORIGIN,
        treeSize,
        rootHash: MerkleTree.fromLeafHashes(leaves.slice(0, treeSize)).root(),
        extensions: [],
      },
      { name: ORIGIN, privateKey },
    ),
  );
  const header = {
    format: 'mandate-audit-export',
    version: 1,
    origin: ORIGIN,
    keys: [{ name: ORIGIN, keyId, publicKey: rawPublicKey.toString('base64') }],
  };
  const last = { checkpoints, leafHashes: Buffer.concat(leaves).toString('base64') };
  return [JSON.stringify(header), ...lines, JSON.stringify(last), ''].join('\n');
};

describe('mandate audit verify', () => {
  let dir: string;
  const run = async (lines: readonly string[], ...args: string[]) => {
    const file = join(dir, 'export.jsonl');
    await writeFile(file, exportText(lines));
    const out: string[] = [];
    const code = await runCli(['audit', 'verify', file, ...args], {
      log: (line) => out.push(line),
      error: (line) => out.push(line),
    });
    return { code, out: out.join('\n') };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mandate-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exits 0 on an intact export, naming the log and what was checked', async () => {
    expect(await run(records, '--key', verifierKey)).toEqual({
      code: 0,
      out: `intact: ${ORIGIN}, ${SIZE} records, 3 checkpoints, signed up to ${SIZE}`,
    });
    expect(await run(records, '--trust-export-keys')).toMatchObject({ code: 0 });
  });

  it('exits 1 on an edited record, naming its index', async () => {
    const edited = records.map((line, i) => (i === 6 ? line.replace('quoted', 'Quoted') : line));
    const { code, out } = await run(edited, '--key', verifierKey);
    expect(code).toBe(1);
    expect(out).toMatch(new RegExp(`^TAMPERED: ${ORIGIN}: edited at index 6 — entry 6 was changed`));
  });

  it('exits 1 on a deleted record', async () => {
    const { code, out } = await run(
      records.filter((_, i) => i !== 9),
      '--key',
      verifierKey,
    );
    expect(code).toBe(1);
    expect(out).toContain('deleted at index 9 — entry 9 is missing; position 9 holds entry 10');
  });

  it('exits 2 on misuse or an export it cannot read', async () => {
    expect(await run(records)).toMatchObject({ code: 2, out: expect.stringMatching(/^usage:/) as unknown });
    expect(await run(records, '--key', 'not-a-key')).toMatchObject({
      code: 2,
      out: expect.stringContaining('is not a verifier key') as unknown,
    });
    expect(await run(['{"sequence":0'], '--key', verifierKey)).toEqual({ code: 2, out: 'line 2: not JSON' });
    const missing = await runCli(['audit', 'verify', join(dir, 'missing.jsonl'), '--key', verifierKey], {
      log: () => undefined,
      error: () => undefined,
    });
    expect(missing).toBe(2);
  });
});
