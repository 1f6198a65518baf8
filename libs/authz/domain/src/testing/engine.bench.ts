/**
 * Micro-benchmark of the authorization engine at the authz service's target size: 10,000 users,
 * 1,000 nested groups, 100,000 objects in a folder → folder → document hierarchy, ~1,000,000 tuples.
 * Not a spec. Run:
 *   node_modules/.bin/node -r ./tools/register-typescript.cjs libs/authz/domain/src/testing/engine.bench.ts
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { AuthzEngine } from '../engine/authz-engine';
import type { CheckRequest } from '../engine/engine.types';
import { validateModel } from '../model/validate-model';
import type { Tuple } from '../tuples/tuple';
import { TupleIndex } from '../tuples/tuple-index';
import { prng } from './authz.fixtures';
import { documentsModel } from './documents.model';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const USERS = 10_000;
const GROUPS = 1_000;
const TOP_FOLDERS = 100;
const SUBFOLDERS_PER_TOP = 9;
const DOCUMENTS = 99_000;
const VIEWERS_PER_DOCUMENT = 7;

const random = prng(42);
const int = (n: number): number => Math.floor(random() * n);
const user = (): string => `user:usr_${int(USERS)}`;
const group = (): string => `group:grp_${int(GROUPS)}#member`;

const generate = (): Tuple[] => {
  const out: Tuple[] = [];
  const add = (object: string, relation: string, subject: string): void => {
    out.push({ object, relation, subject });
  };
  // Groups: the first 100 are roots; every other group sits in one or two lower-numbered groups.
  for (let g = 100; g < GROUPS; g++) {
    add(`group:grp_${int(g)}`, 'member', `group:grp_${g}#member`);
    if (random() < 0.2) add(`group:grp_${int(g)}`, 'member', `group:grp_${g}#member`);
  }
  for (let u = 0; u < USERS; u++)
    for (let k = 0; k < 3; k++) add(`group:grp_${int(GROUPS)}`, 'member', `user:usr_${u}`);
  // Folders.
  const subfolders: string[] = [];
  for (let t = 0; t < TOP_FOLDERS; t++) {
    const top = `folder:top_${t}`;
    add(top, 'owner', user());
    for (let k = 0; k < 3; k++) add(top, 'viewer', group());
    for (let s = 0; s < SUBFOLDERS_PER_TOP; s++) {
      const sub = `folder:sub_${t}_${s}`;
      subfolders.push(sub);
      add(sub, 'parent', top);
      add(sub, 'editor', group());
      add(sub, 'viewer', user());
    }
  }
  // Documents.
  for (let d = 0; d < DOCUMENTS; d++) {
    const doc = `document:doc_${d}`;
    add(doc, 'parent', subfolders[d % subfolders.length]!);
    add(doc, 'owner', user());
    for (let k = 0; k < VIEWERS_PER_DOCUMENT; k++) add(doc, 'viewer', user());
    if (random() < 0.3) add(doc, 'viewer', group());
    if (random() < 0.5) add(doc, 'editor', user());
    if (random() < 0.05) add(doc, 'blocked', user());
  }
  return out;
};

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const micro = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

const main = (): void => {
  const { model } = validateModel(documentsModel());
  let started = performance.now();
  const all = generate();
  const generateMs = performance.now() - started;
  const heapBefore = heapMb();

  const index = new TupleIndex();
  started = performance.now();
  for (let i = 0; i < all.length; i += 10_000) index.write(all.slice(i, i + 10_000), { model });
  const buildMs = performance.now() - started;
  const heapAfter = heapMb();
  const stats = index.stats();
  const engine = new AuthzEngine(model, index);

  console.log('authz-domain engine benchmark');
  console.log(
    `  tuples: ${stats.tuples.toLocaleString()} (generated ${all.length.toLocaleString()} in ${generateMs.toFixed(0)} ms)`,
  );
  console.log(
    `  nodes: ${stats.nodes.toLocaleString()}, relation sets: ${stats.relationSets.toLocaleString()}`,
  );
  console.log(
    `  build (validated writes, batches of 10k): ${buildMs.toFixed(0)} ms (${Math.round(stats.tuples / (buildMs / 1000)).toLocaleString()} tuples/s)`,
  );
  console.log(
    `  heap for the index: ${(heapAfter - heapBefore).toFixed(0)} MB (${(((heapAfter - heapBefore) * 1024 * 1024) / stats.tuples).toFixed(0)} B/tuple)`,
  );

  const relations = [
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'viewer',
    'editor',
    'editor',
    'commenter',
  ];
  const requests: CheckRequest[] = Array.from({ length: 200_000 }, () => ({
    object: `document:doc_${int(DOCUMENTS)}`,
    relation: relations[int(relations.length)]!,
    subject: user(),
  }));
  // A third of the checks ask about a direct viewer, so both outcomes are exercised.
  const viewers = all.filter(
    (t) => t.relation === 'viewer' && t.object.startsWith('document:') && t.subject.startsWith('user:'),
  );
  for (let i = 0; i < requests.length; i += 3) {
    const holder = viewers[int(viewers.length)]!;
    requests[i] = { object: holder.object, relation: 'viewer', subject: holder.subject };
  }

  for (let i = 0; i < 20_000; i++) engine.check(requests[i % requests.length]!);
  const latencies = new Float64Array(requests.length);
  let allowed = 0;
  started = performance.now();
  for (let i = 0; i < requests.length; i++) {
    const t0 = performance.now();
    if (engine.check(requests[i]!).allowed) allowed++;
    latencies[i] = performance.now() - t0;
  }
  const totalMs = performance.now() - started;
  latencies.sort();
  console.log(
    `  check: ${Math.round(requests.length / (totalMs / 1000)).toLocaleString()} checks/s on one core (timed individually)`,
  );
  console.log(
    `         p50 ${micro(percentile(latencies, 0.5))}, p99 ${micro(percentile(latencies, 0.99))}, p99.9 ${micro(percentile(latencies, 0.999))}, max ${micro(latencies[latencies.length - 1]!)}; ${((100 * allowed) / requests.length).toFixed(1)}% allowed`,
  );

  started = performance.now();
  for (let i = 0; i < requests.length; i++) engine.check(requests[i]!);
  console.log(
    `  check, untimed loop: ${Math.round(requests.length / ((performance.now() - started) / 1000)).toLocaleString()} checks/s`,
  );

  const batch = requests.slice(0, 100_000);
  started = performance.now();
  for (let i = 0; i < batch.length; i += 100) engine.batchCheck(batch.slice(i, i + 100));
  console.log(
    `  batchCheck (100 per batch): ${Math.round(batch.length / ((performance.now() - started) / 1000)).toLocaleString()} checks/s`,
  );

  const listLatencies: number[] = [];
  let listed = 0;
  let truncated = 0;
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    const result = engine.listObjects({ type: 'document', relation: 'viewer', subject: user() });
    listLatencies.push(performance.now() - t0);
    listed += result.objects.length;
    if (result.truncated) truncated++;
  }
  const listSorted = Float64Array.from(listLatencies).sort();
  console.log(
    `  listObjects(document, viewer, user), limit 1000: p50 ${percentile(listSorted, 0.5).toFixed(2)} ms, p99 ${percentile(listSorted, 0.99).toFixed(2)} ms; ${(listed / 500).toFixed(0)} objects on average, ${truncated} of 500 truncated`,
  );

  const unlimited = new AuthzEngine(model, index, { maxListResults: 200_000 });
  const bigLatencies: number[] = [];
  let bigListed = 0;
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    bigListed += unlimited.listObjects({ type: 'document', relation: 'viewer', subject: user() }).objects
      .length;
    bigLatencies.push(performance.now() - t0);
  }
  const bigSorted = Float64Array.from(bigLatencies).sort();
  console.log(
    `  listObjects without a practical limit: p50 ${percentile(bigSorted, 0.5).toFixed(1)} ms, p99 ${percentile(bigSorted, 0.99).toFixed(1)} ms; ${(bigListed / 50).toFixed(0)} objects on average`,
  );

  const subjectLatencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    engine.listSubjects({
      object: `document:doc_${int(DOCUMENTS)}`,
      relation: 'viewer',
      subjectType: 'user',
    });
    subjectLatencies.push(performance.now() - t0);
  }
  const subjectSorted = Float64Array.from(subjectLatencies).sort();
  console.log(
    `  listSubjects(document, viewer, user), limit 1000: p50 ${percentile(subjectSorted, 0.5).toFixed(2)} ms, p99 ${percentile(subjectSorted, 0.99).toFixed(2)} ms`,
  );

  const churn = generate()
    .slice(0, 50_000)
    .map((t, i) => ({ ...t, object: `${t.object}_x${i}` }));
  started = performance.now();
  index.write(churn, { model });
  index.delete(churn);
  console.log(
    `  incremental: write + delete 50,000 tuples in ${(performance.now() - started).toFixed(0)} ms`,
  );
};

main();
