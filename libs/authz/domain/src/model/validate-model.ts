import {
  compileExpression,
  type ExpressionParameter,
  ExpressionError,
  parseValueType,
} from '../conditions/condition-expression';
import { authzError, type AuthzProblem } from '../errors';
import { isName, NAME_PATTERN } from '../names';
import {
  type Allow,
  AuthorizationModel,
  type ConditionDefinition,
  dependencyEdges,
  type DirectRule,
  RELATION_STRIDE,
  type RelationDefinition,
  type Rewrite,
  type SubjectRestriction,
  type TypeDefinition,
} from './authorization-model';
import type { ModelJson } from './model.types';
import { SYSTEM_TYPES } from './system-types';

export const MODEL_LIMITS = {
  /** Types an organization's model defines (the system types do not count). */
  types: 200,
  relationsPerType: 100,
  conditions: 100,
  parametersPerCondition: 32,
  /** The model's JSON text, in UTF-16 code units. */
  modelSize: 512 * 1024,
  rewriteDepth: 16,
  childrenPerOperator: 64,
  restrictionsPerRelation: 64,
} as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const OPERATORS = ['this', 'computed', 'tupleToUserset', 'union', 'intersection', 'exclusion'] as const;

interface Draft {
  readonly name: string;
  readonly system: boolean;
  readonly relations: Map<string, unknown>;
  readonly path: string;
}

/**
 * Validates an authorization model document and compiles it.
 * Throws `DomainError('invalid', 'AUTHZ_MODEL_INVALID', …, { problems })`, each problem naming its path.
 */
export const validateModel = (input: unknown): { model: AuthorizationModel } => {
  const problems: AuthzProblem[] = [];
  const problem = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const reject = (): never => {
    throw authzError(
      'AUTHZ_MODEL_INVALID',
      `invalid authorization model: ${problems
        .slice(0, 3)
        .map((p) => `${p.path || '(root)'}: ${p.message}`)
        .join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
      { problems },
    );
  };

  if (!isObject(input)) {
    problem('', 'the model must be a JSON object');
    return reject();
  }
  let size: number;
  try {
    size = JSON.stringify(input).length;
  } catch {
    problem('', 'the model is not serialisable JSON');
    return reject();
  }
  if (size > MODEL_LIMITS.modelSize) {
    problem('', `the model is ${size} characters long; the limit is ${MODEL_LIMITS.modelSize}`);
    return reject();
  }
  for (const key of Object.keys(input)) {
    if (!['schemaVersion', 'types', 'conditions'].includes(key)) problem(key, 'unknown property');
  }
  if (input.schemaVersion !== '1.0') problem('schemaVersion', 'must be "1.0"');
  if (!isObject(input.types)) {
    problem('types', 'must be an object of type definitions');
    return reject();
  }
  const conditionsJson = input.conditions ?? {};
  if (!isObject(conditionsJson)) problem('conditions', 'must be an object of condition definitions');

  // Types and their relation names first, so references in any order resolve.
  const drafts: Draft[] = [];
  for (const [name, definition] of Object.entries(SYSTEM_TYPES)) {
    drafts.push({
      name,
      system: true,
      relations: new Map(Object.entries(definition.relations ?? {})),
      path: '',
    });
  }
  const orgTypes = Object.entries(input.types);
  if (orgTypes.length > MODEL_LIMITS.types) problem('types', `more than ${MODEL_LIMITS.types} types`);
  for (const [name, definition] of orgTypes) {
    const path = `types.${name}`;
    if (!isName(name)) {
      problem(path, 'a type name must match ^[a-z][a-z0-9_]{0,49}$');
      continue;
    }
    if (Object.hasOwn(SYSTEM_TYPES, name)) {
      problem(path, `'${name}' is a system type and cannot be redefined`);
      continue;
    }
    if (!isObject(definition)) {
      problem(path, 'a type definition must be an object');
      continue;
    }
    for (const key of Object.keys(definition))
      if (key !== 'relations') problem(`${path}.${key}`, 'unknown property');
    const relations = definition.relations ?? {};
    if (!isObject(relations)) {
      problem(`${path}.relations`, 'must be an object of relation definitions');
      continue;
    }
    const entries = Object.entries(relations);
    if (entries.length > MODEL_LIMITS.relationsPerType) {
      problem(`${path}.relations`, `more than ${MODEL_LIMITS.relationsPerType} relations`);
    }
    const valid = new Map<string, unknown>();
    for (const [relation, rewrite] of entries) {
      if (!NAME_PATTERN.test(relation))
        problem(`${path}.relations.${relation}`, 'a relation name must match ^[a-z][a-z0-9_]{0,49}$');
      else valid.set(relation, rewrite);
    }
    drafts.push({ name, system: false, relations: valid, path });
  }
  const typeIndex = new Map(drafts.map((draft, index) => [draft.name, index] as const));
  const relationIndexes = drafts.map(
    (draft) => new Map([...draft.relations.keys()].map((r, i) => [r, i] as const)),
  );

  // Conditions.
  const conditions = new Map<string, ConditionDefinition>();
  if (isObject(conditionsJson)) {
    const entries = Object.entries(conditionsJson);
    if (entries.length > MODEL_LIMITS.conditions)
      problem('conditions', `more than ${MODEL_LIMITS.conditions} conditions`);
    for (const [name, definition] of entries) {
      const path = `conditions.${name}`;
      if (!isName(name)) {
        problem(path, 'a condition name must match ^[a-z][a-z0-9_]{0,49}$');
        continue;
      }
      if (!isObject(definition)) {
        problem(path, 'a condition must be an object with parameters and expression');
        continue;
      }
      for (const key of Object.keys(definition)) {
        if (key !== 'parameters' && key !== 'expression') problem(`${path}.${key}`, 'unknown property');
      }
      const parametersJson = definition.parameters ?? {};
      const parameters: ExpressionParameter[] = [];
      let ok = true;
      if (!isObject(parametersJson)) {
        problem(`${path}.parameters`, 'must be an object of parameter name → type');
        ok = false;
      } else {
        const list = Object.entries(parametersJson);
        if (list.length > MODEL_LIMITS.parametersPerCondition) {
          problem(`${path}.parameters`, `more than ${MODEL_LIMITS.parametersPerCondition} parameters`);
          ok = false;
        }
        for (const [parameter, typeText] of list) {
          const type = parseValueType(typeText);
          if (!NAME_PATTERN.test(parameter)) {
            problem(`${path}.parameters.${parameter}`, 'a parameter name must match ^[a-z][a-z0-9_]{0,49}$');
            ok = false;
          } else if (!type) {
            problem(
              `${path}.parameters.${parameter}`,
              'unknown type; use string, int, double, bool, timestamp, duration, ipaddress or list<T>',
            );
            ok = false;
          } else parameters.push({ name: parameter, type });
        }
      }
      if (typeof definition.expression !== 'string' || definition.expression.trim() === '') {
        problem(`${path}.expression`, 'must be a non-empty string');
        continue;
      }
      if (!ok) continue;
      try {
        conditions.set(name, {
          name,
          parameters,
          compiled: compileExpression(definition.expression, parameters),
        });
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        problem(`${path}.expression`, error.message);
      }
    }
  }
  const declaredConditions = new Set(isObject(conditionsJson) ? Object.keys(conditionsJson) : []);

  // Rewrites.
  const rewrites: (Rewrite | undefined)[][] = drafts.map(() => []);
  const directRules: (DirectRule | null)[][] = drafts.map(() => []);

  const restrictionOf = (value: unknown, path: string): SubjectRestriction | undefined => {
    if (typeof value === 'string') {
      const match = /^([^:#\s]+)(?::(\*)|#([^:#\s]+))?$/.exec(value);
      if (!match) {
        problem(path, `malformed subject restriction '${value}'; use 'type', 'type:*' or 'type#relation'`);
        return undefined;
      }
      return {
        type: match[1]!,
        wildcard: match[2] === '*',
        ...(match[3] === undefined ? {} : { relation: match[3] }),
      };
    }
    if (!isObject(value)) {
      problem(path, 'a subject restriction is a string or an object with type');
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!['type', 'relation', 'wildcard', 'condition'].includes(key))
        problem(`${path}.${key}`, 'unknown property');
    }
    if (typeof value.type !== 'string') {
      problem(`${path}.type`, 'must be a type name');
      return undefined;
    }
    if (value.relation !== undefined && typeof value.relation !== 'string')
      problem(`${path}.relation`, 'must be a string');
    if (value.wildcard !== undefined && typeof value.wildcard !== 'boolean')
      problem(`${path}.wildcard`, 'must be a boolean');
    if (value.condition !== undefined && typeof value.condition !== 'string')
      problem(`${path}.condition`, 'must be a string');
    if (value.wildcard === true && value.relation !== undefined) {
      problem(path, 'a restriction is either a wildcard or a userset, not both');
    }
    return {
      type: value.type,
      wildcard: value.wildcard === true,
      ...(typeof value.relation === 'string' ? { relation: value.relation } : {}),
      ...(typeof value.condition === 'string' ? { condition: value.condition } : {}),
    };
  };

  const buildDirect = (restrictions: readonly SubjectRestriction[]): DirectRule => {
    const terminal: (Allow | undefined)[] = new Array<Allow | undefined>(drafts.length).fill(undefined);
    const wildcard: (Allow | undefined)[] = new Array<Allow | undefined>(drafts.length).fill(undefined);
    const userset = new Map<number, Allow>();
    const merge = (existing: Allow | undefined, condition: string | undefined): Allow => ({
      plain: (existing?.plain ?? false) || condition === undefined,
      conditions:
        condition === undefined
          ? (existing?.conditions ?? new Set())
          : new Set([...(existing?.conditions ?? []), condition]),
    });
    for (const r of restrictions) {
      const t = typeIndex.get(r.type)!;
      if (r.relation !== undefined) {
        const key = t * RELATION_STRIDE + relationIndexes[t]!.get(r.relation)!;
        userset.set(key, merge(userset.get(key), r.condition));
      } else if (r.wildcard) wildcard[t] = merge(wildcard[t], r.condition);
      else terminal[t] = merge(terminal[t], r.condition);
    }
    return { terminal, wildcard, userset, restrictions };
  };

  drafts.forEach((draft, t) => {
    const relations = [...draft.relations.entries()];
    relations.forEach(([relation, json], r) => {
      const base = draft.system
        ? `(system) ${draft.name}.${relation}`
        : `${draft.path}.relations.${relation}`;
      let directSeen = false;
      const compile = (
        node: unknown,
        path: string,
        depth: number,
        underSubtract: boolean,
      ): Rewrite | undefined => {
        if (depth > MODEL_LIMITS.rewriteDepth) {
          problem(path, `rewrites nest deeper than ${MODEL_LIMITS.rewriteDepth}`);
          return undefined;
        }
        if (!isObject(node)) {
          problem(path, 'a rewrite must be an object with one operator');
          return undefined;
        }
        const keys = Object.keys(node);
        const operator = OPERATORS.find((op) => op === keys[0]);
        if (keys.length !== 1 || !operator) {
          problem(path, `a rewrite has exactly one of ${OPERATORS.join(', ')}`);
          return undefined;
        }
        const value = node[operator];
        const at = `${path}.${operator}`;
        switch (operator) {
          case 'this': {
            if (directSeen) problem(at, 'a relation has at most one direct (`this`) part');
            directSeen = true;
            if (underSubtract) problem(at, 'a direct (`this`) part cannot be subtracted');
            if (!Array.isArray(value) || value.length === 0) {
              problem(at, 'must list at least one allowed subject type');
              return undefined;
            }
            if (value.length > MODEL_LIMITS.restrictionsPerRelation) {
              problem(at, `more than ${MODEL_LIMITS.restrictionsPerRelation} subject restrictions`);
            }
            const restrictions: SubjectRestriction[] = [];
            const seen = new Set<string>();
            let ok = true;
            (value as unknown[]).forEach((entry, i) => {
              const p = `${at}[${i}]`;
              const restriction = restrictionOf(entry, p);
              if (!restriction) {
                ok = false;
                return;
              }
              const subjectType = typeIndex.get(restriction.type);
              if (subjectType === undefined) {
                problem(p, `unknown type '${restriction.type}'`);
                ok = false;
              } else if (
                restriction.relation !== undefined &&
                !relationIndexes[subjectType]!.has(restriction.relation)
              ) {
                problem(p, `type '${restriction.type}' has no relation '${restriction.relation}'`);
                ok = false;
              }
              if (restriction.condition !== undefined && !declaredConditions.has(restriction.condition)) {
                problem(p, `unknown condition '${restriction.condition}'`);
                ok = false;
              }
              const key = `${restriction.type}|${restriction.relation ?? ''}|${restriction.wildcard}|${restriction.condition ?? ''}`;
              if (seen.has(key)) problem(p, 'duplicate subject restriction');
              seen.add(key);
              restrictions.push(restriction);
            });
            if (ok) directRules[t]![r] = buildDirect(restrictions);
            return { kind: 'this' };
          }
          case 'computed': {
            if (typeof value !== 'string' || !relationIndexes[t]!.has(value)) {
              problem(at, `type '${draft.name}' has no relation '${String(value)}'`);
              return undefined;
            }
            return { kind: 'computed', relation: relationIndexes[t]!.get(value)! };
          }
          case 'tupleToUserset': {
            if (
              !isObject(value) ||
              typeof value.tupleset !== 'string' ||
              typeof value.computed !== 'string'
            ) {
              problem(at, 'must be { tupleset, computed } naming relations');
              return undefined;
            }
            for (const key of Object.keys(value)) {
              if (key !== 'tupleset' && key !== 'computed') problem(`${at}.${key}`, 'unknown property');
            }
            const tupleset = relationIndexes[t]!.get(value.tupleset);
            if (tupleset === undefined) {
              problem(`${at}.tupleset`, `type '${draft.name}' has no relation '${value.tupleset}'`);
              return undefined;
            }
            const tuplesetJson = draft.relations.get(value.tupleset);
            const entries =
              isObject(tuplesetJson) && Array.isArray(tuplesetJson.this)
                ? (tuplesetJson.this as unknown[])
                : undefined;
            if (!entries || Object.keys(tuplesetJson as Json).length !== 1) {
              problem(
                `${at}.tupleset`,
                `'${value.tupleset}' must be a purely direct relation (only \`this\`)`,
              );
              return undefined;
            }
            const targets = new Int32Array(drafts.length).fill(-1);
            let anyTarget = false;
            for (const entry of entries) {
              const restriction = restrictionOf(entry, `${at}.tupleset`);
              if (!restriction) return undefined;
              if (restriction.relation !== undefined || restriction.wildcard) {
                problem(
                  `${at}.tupleset`,
                  `'${value.tupleset}' allows usersets or wildcards, which make '${value.computed} from ${value.tupleset}' ambiguous`,
                );
                return undefined;
              }
              const subjectType = typeIndex.get(restriction.type);
              if (subjectType === undefined) continue; // reported on the tupleset relation itself
              const target = relationIndexes[subjectType]!.get(value.computed);
              if (target !== undefined) {
                targets[subjectType] = target;
                anyTarget = true;
              }
            }
            if (!anyTarget) {
              problem(
                `${at}.computed`,
                `none of the types '${value.tupleset}' allows has a relation '${value.computed}'`,
              );
              return undefined;
            }
            return { kind: 'tupleToUserset', tupleset, computed: value.computed, targets };
          }
          case 'union':
          case 'intersection': {
            if (!Array.isArray(value) || value.length < 1) {
              problem(at, 'must be a non-empty array of rewrites');
              return undefined;
            }
            if (value.length > MODEL_LIMITS.childrenPerOperator) {
              problem(at, `more than ${MODEL_LIMITS.childrenPerOperator} operands`);
            }
            const children = (value as unknown[]).map((child, i) =>
              compile(child, `${at}[${i}]`, depth + 1, underSubtract),
            );
            if (children.some((child) => child === undefined)) return undefined;
            // Cheapest first: a union stops at the first operand that grants, an intersection at the first that does not.
            const cost = (rewrite: Rewrite): number =>
              rewrite.kind === 'this'
                ? 0
                : rewrite.kind === 'computed'
                  ? 1
                  : rewrite.kind === 'tupleToUserset'
                    ? 2
                    : 3;
            const ordered = [...(children as Rewrite[])].sort((a, b) => cost(a) - cost(b));
            return { kind: operator, children: ordered };
          }
          case 'exclusion': {
            if (
              !isObject(value) ||
              !('base' in value) ||
              !('subtract' in value) ||
              Object.keys(value).length !== 2
            ) {
              problem(at, 'must be { base, subtract }');
              return undefined;
            }
            const baseRewrite = compile(value.base, `${at}.base`, depth + 1, underSubtract);
            const subtract = compile(value.subtract, `${at}.subtract`, depth + 1, true);
            if (!baseRewrite || !subtract) return undefined;
            return { kind: 'exclusion', base: baseRewrite, subtract };
          }
        }
      };
      rewrites[t]![r] = compile(json, base, 1, false);
      if (directRules[t]![r] === undefined) directRules[t]![r] = null;
    });
  });
  if (problems.length > 0) return reject();

  const unionOnly = (rewrite: Rewrite): boolean => {
    switch (rewrite.kind) {
      case 'this':
      case 'computed':
      case 'tupleToUserset':
        return true;
      case 'union':
        return rewrite.children.every(unionOnly);
      case 'intersection':
      case 'exclusion':
        return false;
    }
  };

  const types: TypeDefinition[] = drafts.map((draft, t) => {
    const relations: RelationDefinition[] = [...draft.relations.keys()].map((name, r) => {
      const rewrite = rewrites[t]![r]!;
      const only = unionOnly(rewrite);
      return {
        name,
        type: t,
        index: r,
        rewrite,
        direct: directRules[t]![r] ?? null,
        unionOnly: only,
        exact: only,
        computedDependents: [],
        tupleToUsersetDependents: [],
      };
    });
    return {
      name: draft.name,
      index: t,
      system: draft.system,
      relations,
      relationIndex: relationIndexes[t]!,
    };
  });
  const relationAt = (key: number): RelationDefinition =>
    types[Math.floor(key / RELATION_STRIDE)]!.relations[key % RELATION_STRIDE]!;
  const pathOf = (definition: RelationDefinition): string => {
    const type = types[definition.type]!;
    return type.system
      ? `(system) ${type.name}.${definition.name}`
      : `types.${type.name}.relations.${definition.name}`;
  };

  // Satisfiability: least fixpoint of "some tuples could make a subject a member".
  const satisfiable = new Set<number>();
  const canSatisfy = (t: number, definition: RelationDefinition, rewrite: Rewrite): boolean => {
    switch (rewrite.kind) {
      case 'this': {
        const rule = definition.direct;
        if (!rule) return false;
        return rule.restrictions.some(
          (r) =>
            r.relation === undefined ||
            satisfiable.has(
              typeIndex.get(r.type)! * RELATION_STRIDE +
                relationIndexes[typeIndex.get(r.type)!]!.get(r.relation)!,
            ),
        );
      }
      case 'computed':
        return satisfiable.has(t * RELATION_STRIDE + rewrite.relation);
      case 'tupleToUserset':
        return [...rewrite.targets].some(
          (target, subjectType) => target >= 0 && satisfiable.has(subjectType * RELATION_STRIDE + target),
        );
      case 'union':
        return rewrite.children.some((child) => canSatisfy(t, definition, child));
      case 'intersection':
        return rewrite.children.every((child) => canSatisfy(t, definition, child));
      case 'exclusion':
        return canSatisfy(t, definition, rewrite.base);
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const type of types) {
      for (const definition of type.relations) {
        const key = type.index * RELATION_STRIDE + definition.index;
        if (!satisfiable.has(key) && canSatisfy(type.index, definition, definition.rewrite)) {
          satisfiable.add(key);
          changed = true;
        }
      }
    }
  }
  for (const type of types) {
    for (const definition of type.relations) {
      if (!satisfiable.has(type.index * RELATION_STRIDE + definition.index)) {
        problem(
          pathOf(definition),
          'this relation can never be satisfied: it only refers to itself (a cycle of computed / tupleToUserset / usersets with no direct base)',
        );
      }
    }
  }

  // Stratification: a relation may not depend on itself through a subtraction.
  const edges = new Map<number, { target: number; negative: boolean }[]>();
  for (const type of types) {
    for (const definition of type.relations) {
      edges.set(
        type.index * RELATION_STRIDE + definition.index,
        dependencyEdges({ types }, type.index, definition),
      );
    }
  }
  const reaches = (from: number, to: number): boolean => {
    const seen = new Set([from]);
    const stack = [from];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current === to) return true;
      for (const edge of edges.get(current) ?? []) {
        if (!seen.has(edge.target)) {
          seen.add(edge.target);
          stack.push(edge.target);
        }
      }
    }
    return false;
  };
  const reported = new Set<number>();
  for (const [from, list] of edges) {
    for (const edge of list) {
      if (edge.negative && !reported.has(from) && reaches(edge.target, from)) {
        reported.add(from);
        problem(
          pathOf(relationAt(from)),
          `this relation depends on itself through an exclusion (via '${types[Math.floor(edge.target / RELATION_STRIDE)]!.name}#${relationAt(edge.target).name}'), which has no well-defined meaning`,
        );
      }
    }
  }
  if (problems.length > 0) return reject();

  // Exactness (greatest fixpoint) and reverse edges for list queries.
  for (let changed = true; changed;) {
    changed = false;
    for (const [from, list] of edges) {
      const definition = relationAt(from);
      if (definition.exact && list.some((edge) => !relationAt(edge.target).exact)) {
        definition.exact = false;
        changed = true;
      }
    }
  }
  for (const type of types) {
    for (const definition of type.relations) {
      const walk = (rewrite: Rewrite): void => {
        switch (rewrite.kind) {
          case 'this':
            return;
          case 'computed': {
            const dependents = type.relations[rewrite.relation]!.computedDependents;
            if (!dependents.includes(definition.index)) dependents.push(definition.index);
            return;
          }
          case 'tupleToUserset':
            rewrite.targets.forEach((target, subjectType) => {
              const allowed = type.relations[rewrite.tupleset]!.direct?.terminal[subjectType];
              if (target < 0 || !allowed) return;
              types[subjectType]!.relations[target]!.tupleToUsersetDependents.push({
                type: type.index,
                relation: definition.index,
                tupleset: rewrite.tupleset,
              });
            });
            return;
          case 'union':
          case 'intersection':
            rewrite.children.forEach(walk);
            return;
          case 'exclusion':
            walk(rewrite.base);
            return;
        }
      };
      walk(definition.rewrite);
    }
  }

  const json: ModelJson = structuredClone({
    schemaVersion: '1.0',
    types: input.types as ModelJson['types'],
    ...(input.conditions === undefined ? {} : { conditions: input.conditions as ModelJson['conditions'] }),
  });
  return { model: new AuthorizationModel(json, types, typeIndex, conditions) };
};
