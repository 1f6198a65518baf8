export { documentsModel } from './documents.model';
import { AuthzEngine } from '../engine/authz-engine';
import type { EngineOptions } from '../engine/engine.types';
import type { ModelJson } from '../model/model.types';
import { validateModel } from '../model/validate-model';
import type { Tuple } from '../tuples/tuple';
import { TupleIndex } from '../tuples/tuple-index';

/** Parses `object#relation@subject` shorthand into tuples. */
export const tuples = (...lines: string[]): Tuple[] =>
  lines.map((line) => {
    const at = line.lastIndexOf('@');
    const hash = line.slice(0, at).lastIndexOf('#');
    return { object: line.slice(0, hash), relation: line.slice(hash + 1, at), subject: line.slice(at + 1) };
  });

export const engineFor = (
  model: ModelJson,
  written: readonly Tuple[],
  options?: EngineOptions,
): { engine: AuthzEngine; index: TupleIndex } => {
  const compiled = validateModel(model).model;
  const index = new TupleIndex();
  index.write(written, { model: compiled });
  return { engine: new AuthzEngine(compiled, index, options), index };
};

/** A deterministic PRNG (mulberry32): fixed seeds, no ambient randomness in tests. */
export const prng = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};
