// Compiles apps/, libs/, bench/ and tools/demo/ to dist/ with SWC, rewriting the @mandate/* path aliases
// of tsconfig.base.json into relative requires so the output runs on plain Node.
import { transformFile } from '@swc/core';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const sourceDirs = ['apps', 'libs', 'bench', 'tools/demo'];
const isTestFile = (file) => /\.(spec|test)\.ts$/.test(file) || file.includes('/__tests__/');

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const options = {
  ...swcrc,
  swcrc: false,
  jsc: { ...swcrc.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
};

const started = Date.now();
await rm(outDir, { recursive: true, force: true });
const files = [];
for (const dir of sourceDirs)
  for await (const file of walk(join(root, dir))) if (!isTestFile(file)) files.push(file);

await Promise.all(
  files.map(async (file) => {
    const target = join(outDir, relative(root, file)).replace(/\.ts$/, '.js');
    const { code, map } = await transformFile(file, { ...options, filename: file, outputPath: target });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, map ? `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n` : code);
    if (map) await writeFile(`${target}.map`, map);
  }),
);
console.log(`built ${files.length} files into dist/ in ${Date.now() - started} ms`);
