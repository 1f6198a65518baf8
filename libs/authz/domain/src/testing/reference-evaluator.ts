import {
  type AuthorizationModel,
  dependencyEdges,
  RELATION_STRIDE,
  type Rewrite,
} from '../model/authorization-model';
import { parseSubject } from '../names';
import type { Tuple } from '../tuples/tuple';

/**
 * A deliberately naive evaluator for property tests: for one object subject or wildcard, the least
 * fixpoint of every `object#relation` over the raw tuple list, one stratum (SCC of the relation graph)
 * at a time, dependencies first. Ignores conditions and the depth limit.
 */
export const referenceGrants = (
  model: AuthorizationModel,
  tuples: readonly Tuple[],
  subject: string,
): Set<string> => {
  const wanted = parseSubject(subject);
  if (!wanted || wanted.kind === 'userset') throw new Error('object or wildcard subjects only');
  const byKey = new Map<string, Tuple[]>();
  const objectsByType = new Map<string, Set<string>>();
  const note = (name: string): void => {
    const type = name.slice(0, name.indexOf(':'));
    if (!objectsByType.has(type)) objectsByType.set(type, new Set());
    objectsByType.get(type)!.add(name.split('#')[0]!);
  };
  for (const tuple of tuples) {
    const key = `${tuple.object}#${tuple.relation}`;
    byKey.set(key, [...(byKey.get(key) ?? []), tuple]);
    note(tuple.object);
    if (!tuple.subject.includes(':*')) note(tuple.subject);
  }
  const granted = new Set<string>();

  const evaluate = (object: string, type: number, relation: number, rewrite: Rewrite): boolean => {
    const definition = model.types[type]!.relations[relation]!;
    switch (rewrite.kind) {
      case 'this':
        return (byKey.get(`${object}#${definition.name}`) ?? []).some((tuple) => {
          const s = parseSubject(tuple.subject)!;
          const t = model.typeIndex.get(s.type)!;
          const rule = definition.direct!;
          switch (s.kind) {
            case 'object':
              return wanted.kind === 'object' && tuple.subject === subject && rule.terminal[t] !== undefined;
            case 'wildcard':
              return s.type === wanted.type && rule.wildcard[t] !== undefined;
            case 'userset': {
              const r = model.types[t]!.relationIndex.get(s.relation)!;
              return (
                rule.userset.has(t * RELATION_STRIDE + r) && granted.has(`${s.type}:${s.id}#${s.relation}`)
              );
            }
          }
        });
      case 'computed':
        return granted.has(`${object}#${model.types[type]!.relations[rewrite.relation]!.name}`);
      case 'tupleToUserset': {
        const tupleset = model.types[type]!.relations[rewrite.tupleset]!;
        return (byKey.get(`${object}#${tupleset.name}`) ?? []).some((tuple) => {
          const s = parseSubject(tuple.subject)!;
          if (s.kind !== 'object') return false;
          const t = model.typeIndex.get(s.type)!;
          const target = rewrite.targets[t] ?? -1;
          return (
            target >= 0 &&
            tupleset.direct!.terminal[t] !== undefined &&
            granted.has(`${tuple.subject}#${rewrite.computed}`)
          );
        });
      }
      case 'union':
        return rewrite.children.some((child) => evaluate(object, type, relation, child));
      case 'intersection':
        return rewrite.children.every((child) => evaluate(object, type, relation, child));
      case 'exclusion':
        return (
          evaluate(object, type, relation, rewrite.base) &&
          !evaluate(object, type, relation, rewrite.subtract)
        );
    }
  };

  for (const component of stronglyConnected(model)) {
    for (let changed = true; changed;) {
      changed = false;
      for (const key of component) {
        const type = Math.floor(key / RELATION_STRIDE);
        const relation = key % RELATION_STRIDE;
        const definition = model.types[type]!.relations[relation]!;
        for (const object of objectsByType.get(model.types[type]!.name) ?? []) {
          const name = `${object}#${definition.name}`;
          if (!granted.has(name) && evaluate(object, type, relation, definition.rewrite)) {
            granted.add(name);
            changed = true;
          }
        }
      }
    }
  }
  return granted;
};

/** Tarjan's SCCs of the relation dependency graph, dependencies first. */
const stronglyConnected = (model: AuthorizationModel): number[][] => {
  const keys = model.types.flatMap((type) =>
    type.relations.map((r) => type.index * RELATION_STRIDE + r.index),
  );
  const edges = new Map(
    keys.map((key) => {
      const type = Math.floor(key / RELATION_STRIDE);
      const definition = model.types[type]!.relations[key % RELATION_STRIDE]!;
      return [key, dependencyEdges(model, type, definition).map((edge) => edge.target)] as const;
    }),
  );
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const stack: number[] = [];
  const onStack = new Set<number>();
  const components: number[][] = [];
  let counter = 0;
  const visit = (key: number): void => {
    index.set(key, counter);
    low.set(key, counter++);
    stack.push(key);
    onStack.add(key);
    for (const next of edges.get(key) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(key, Math.min(low.get(key)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(key, Math.min(low.get(key)!, index.get(next)!));
    }
    if (low.get(key) === index.get(key)) {
      const component: number[] = [];
      for (let top = stack.pop()!; ; top = stack.pop()!) {
        onStack.delete(top);
        component.push(top);
        if (top === key) break;
      }
      components.push(component);
    }
  };
  for (const key of keys) if (!index.has(key)) visit(key);
  return components;
};
