/**
 * Micro-benchmark: SDK `verify` against raw `jose.jwtVerify` with the same key and algorithm.
 * Run: node_modules/.bin/node -r ./tools/register-typescript.cjs libs/sdk/src/testing/verify.bench.ts
 */
import { importJWK, jwtVerify } from 'jose';
import { createTokenVerifier } from '../verification/token-verifier';
import { staticRevocations } from '../revocations/revocation-list';
import { generateSigningKey, TestIssuer } from './test-issuer';

const AUDIENCE = 'https://api.example.test';
/** Time slices per variant; variants alternate, so a noisy neighbour slows all of them alike. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const SLICE_MS = Number(process.env['BENCH_SLICE_MS'] ?? 300);

const slice = async (verify: () => Promise<unknown>): Promise<number> => {
  let operations = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(SLICE_MS) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let index = 0; index < 50; index += 1) await verify();
    operations += 50;
  }
  return operations / (Number(process.hrtime.bigint() - started) / 1e9);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Median operations per second of each variant over interleaved slices. */
const compare = async (variants: readonly (() => Promise<unknown>)[]): Promise<number[]> => {
  for (const verify of variants) for (let index = 0; index < 500; index += 1) await verify(); // warm-up
  const samples = variants.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round += 1)
    for (const [index, verify] of variants.entries()) samples[index]!.push(await slice(verify));
  return samples.map(median);
};

const main = async () => {
  const rows: string[][] = [
    ['alg', 'jose.jwtVerify /s', 'sdk verify /s', 'sdk + revocations /s', 'jose ÷ sdk'],
  ];
  for (const alg of ['EdDSA', 'ES256'] as const) {
    const key = await generateSigningKey(alg);
    const issuer = await TestIssuer.start([key]);
    try {
      const token = await issuer.sign({ exp: Math.floor(Date.now() / 1000) + 3600 });
      const publicKey = await importJWK(key.publicJwk, alg);
      const options = { issuer: issuer.issuer, audience: AUDIENCE, algorithms: [alg], clockTolerance: 30 };
      const sdk = createTokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
      const withRevocations = createTokenVerifier({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        revocations: staticRevocations(Array.from({ length: 10_000 }, (_, index) => `grt_revoked_${index}`)),
      });
      await sdk.verify(token);
      await withRevocations.verify(token);
      const [raw, ours, guarded] = (await compare([
        () => jwtVerify(token, publicKey, options),
        () => sdk.verify(token),
        () => withRevocations.verify(token),
      ])) as [number, number, number];
      rows.push([alg, raw.toFixed(0), ours.toFixed(0), guarded.toFixed(0), `${(raw / ours).toFixed(2)}`]);
    } finally {
      await issuer.close();
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
