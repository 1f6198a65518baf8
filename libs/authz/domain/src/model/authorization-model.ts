import type { CompiledExpression, ExpressionParameter } from '../conditions/condition-expression';
import type { ModelJson } from './model.types';

/**
 * Relation indexes are packed with object or type numbers as `n * RELATION_STRIDE + relation`;
 * a type has at most 100 relations.
 */
export const RELATION_STRIDE = 128;

/** Which tuples a direct relation accepts for one kind of subject: without a condition, and/or with these. */
export interface Allow {
  readonly plain: boolean;
  readonly conditions: ReadonlySet<string>;
}

export interface SubjectRestriction {
  readonly type: string;
  readonly relation?: string;
  readonly wildcard: boolean;
  readonly condition?: string;
}

export interface DirectRule {
  /** By subject type index. */
  readonly terminal: readonly (Allow | undefined)[];
  /** By subject type index: `type:*`. */
  readonly wildcard: readonly (Allow | undefined)[];
  /** By `typeIndex * RELATION_STRIDE + relationIndex` of the userset. */
  readonly userset: ReadonlyMap<number, Allow>;
  readonly restrictions: readonly SubjectRestriction[];
}

export type Rewrite =
  | { readonly kind: 'this' }
  | { readonly kind: 'computed'; readonly relation: number }
  | {
      readonly kind: 'tupleToUserset';
      readonly tupleset: number;
      readonly computed: string;
      /** By the tupleset object's type index: the relation index of `computed` there, or -1. */
      readonly targets: Int32Array;
    }
  | { readonly kind: 'union'; readonly children: readonly Rewrite[] }
  | { readonly kind: 'intersection'; readonly children: readonly Rewrite[] }
  | { readonly kind: 'exclusion'; readonly base: Rewrite; readonly subtract: Rewrite };

export interface TupleToUsersetDependent {
  readonly type: number;
  readonly relation: number;
  readonly tupleset: number;
}

export interface RelationDefinition {
  readonly name: string;
  readonly type: number;
  readonly index: number;
  readonly rewrite: Rewrite;
  /** The rule of the relation's `this`, if it has one. */
  readonly direct: DirectRule | null;
  /** The rewrite uses only `this`, `computed`, `tupleToUserset` and `union`. */
  readonly unionOnly: boolean;
  /** This relation and every relation it depends on are union-only: reverse expansion is exact. */
  exact: boolean;
  /** Relations of the same type that include this one through `computed` (outside a subtraction). */
  readonly computedDependents: number[];
  /** Relations of other objects that include this one through `tupleToUserset`. */
  readonly tupleToUsersetDependents: TupleToUsersetDependent[];
}

export interface TypeDefinition {
  readonly name: string;
  readonly index: number;
  readonly system: boolean;
  readonly relations: readonly RelationDefinition[];
  readonly relationIndex: ReadonlyMap<string, number>;
}

export interface ConditionDefinition {
  readonly name: string;
  readonly parameters: readonly ExpressionParameter[];
  readonly compiled: CompiledExpression;
}

/**
 * A validated, compiled model. Build one with `validateModel` (JSON) or `parseModelDsl` (text);
 * `json` is the document it was built from, with the system types left out.
 */
export class AuthorizationModel {
  private readonly relevance = new Map<number, Uint8Array>();

  /** @internal */
  constructor(
    readonly json: ModelJson,
    readonly types: readonly TypeDefinition[],
    readonly typeIndex: ReadonlyMap<string, number>,
    readonly conditions: ReadonlyMap<string, ConditionDefinition>,
  ) {}

  type(name: string): TypeDefinition | undefined {
    const index = this.typeIndex.get(name);
    return index === undefined ? undefined : this.types[index];
  }

  relation(type: string, relation: string): RelationDefinition | undefined {
    const definition = this.type(type);
    const index = definition?.relationIndex.get(relation);
    return index === undefined ? undefined : definition?.relations[index];
  }

  /**
   * The relations `type#relation` can depend on (itself included), as a bitmap over
   * `typeIndex * RELATION_STRIDE + relationIndex`. List queries explore only these.
   * @internal
   */
  relevantTo(type: number, relation: number): Uint8Array {
    const key = type * RELATION_STRIDE + relation;
    const cached = this.relevance.get(key);
    if (cached) return cached;
    const seen = new Uint8Array(this.types.length * RELATION_STRIDE);
    const stack = [key];
    seen[key] = 1;
    while (stack.length > 0) {
      const current = stack.pop()!;
      const t = Math.floor(current / RELATION_STRIDE);
      const definition = this.types[t]!.relations[current % RELATION_STRIDE]!;
      for (const dependency of dependenciesOf(this, t, definition)) {
        if (seen[dependency] === 0) {
          seen[dependency] = 1;
          stack.push(dependency);
        }
      }
    }
    this.relevance.set(key, seen);
    return seen;
  }
}

/**
 * The relations a relation reads, packed as `type * RELATION_STRIDE + relation`, each with whether it
 * is read inside a subtraction.
 * @internal
 */
export const dependencyEdges = (
  model: { readonly types: readonly TypeDefinition[] },
  type: number,
  definition: RelationDefinition,
): { readonly target: number; readonly negative: boolean }[] => {
  const edges: { target: number; negative: boolean }[] = [];
  const owner = model.types[type]!;
  const walk = (rewrite: Rewrite, negative: boolean): void => {
    switch (rewrite.kind) {
      case 'this':
        for (const key of definition.direct?.userset.keys() ?? []) edges.push({ target: key, negative });
        return;
      case 'computed':
        edges.push({ target: type * RELATION_STRIDE + rewrite.relation, negative });
        return;
      case 'tupleToUserset': {
        const tupleset = owner.relations[rewrite.tupleset]!;
        tupleset.direct?.terminal.forEach((allow, subjectType) => {
          const target = rewrite.targets[subjectType] ?? -1;
          if (allow && target >= 0) edges.push({ target: subjectType * RELATION_STRIDE + target, negative });
        });
        return;
      }
      case 'union':
      case 'intersection':
        for (const child of rewrite.children) walk(child, negative);
        return;
      case 'exclusion':
        walk(rewrite.base, negative);
        walk(rewrite.subtract, true);
        return;
    }
  };
  walk(definition.rewrite, false);
  return edges;
};

const dependenciesOf = (model: AuthorizationModel, type: number, definition: RelationDefinition): number[] =>
  dependencyEdges(model, type, definition).map((edge) => edge.target);
