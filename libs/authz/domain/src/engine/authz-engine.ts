import { convertValue } from '../conditions/condition-expression';
import { authzError } from '../errors';
import {
  type Allow,
  type AuthorizationModel,
  type DirectRule,
  RELATION_STRIDE,
  type RelationDefinition,
  type Rewrite,
} from '../model/authorization-model';
import { parseObject, parseSubject } from '../names';
import { type ParsedTuple, type Tuple, validateTuples } from '../tuples/tuple';
import { type Binding, type RelationSet, TupleIndex } from '../tuples/tuple-index';
import { MemoTable } from './memo-table';
import type {
  CheckRequest,
  CheckResult,
  EngineOptions,
  ExpandNode,
  ExpandRequest,
  ListObjectsRequest,
  ListObjectsResult,
  ListSubjectsRequest,
  ListSubjectsResult,
  RequestContext,
} from './engine.types';

// Three-valued results, ordered so that union is max, intersection is min and `a but not b` is min(a, 2 - b).
const FALSE = 0;
const UNKNOWN = 1;
const TRUE = 2;

const SUBJECT_OBJECT = 0;
const SUBJECT_WILDCARD = 1;
const SUBJECT_USERSET = 2;

const NO_KEY = -Number.MAX_SAFE_INTEGER;
/** Memo values at or below this mark results cut short by the depth limit or budget: `LIMITED - depth`. */
const LIMITED = -1_000_000_000;
const NO_LOW = Number.MAX_SAFE_INTEGER;
const MAX_CONTEXTUAL_TUPLES = 100;

const ALLOWED: CheckResult = Object.freeze({ allowed: true });
const NOT_RELATED: CheckResult = Object.freeze({ allowed: false, reason: 'not_related' });
const DEPTH_EXCEEDED: CheckResult = Object.freeze({ allowed: false, reason: 'depth_exceeded' });
const RESOLUTION_LIMIT: CheckResult = Object.freeze({ allowed: false, reason: 'resolution_limit' });

const has = (coll: number[] | Set<number>, value: number): boolean =>
  Array.isArray(coll) ? coll.includes(value) : coll.has(value);

const requestError = (message: string, path: string) =>
  authzError('AUTHZ_REQUEST_INVALID', message, { problems: [{ path, message }] });

/**
 * Answers relationship queries over a model and a tuple index: `check`, `batchCheck`, `listObjects`,
 * `listSubjects`, `expand`. Cheap to build (build a new one when the model changes; the index stays).
 * Queries are synchronous and read the index as it is at the call; an engine is not reentrant.
 *
 * Check is a depth-first evaluation with a per-check memo. A relation met again while it is being
 * resolved counts as not granting on that path; results that depended on such a cut are not
 * memoised, except when a whole cycle of union-only relations resolves, which settles every member
 * (Tarjan-style). Paths longer than `maxDepth`, or checks needing more than `maxResolutions`
 * resolutions, deny with a reason; they never throw.
 */
export class AuthzEngine {
  private readonly maxDepth: number;
  private readonly maxResolutions: number;
  private readonly maxListResults: number;
  private readonly maxListWork: number;
  /** Index relation symbol of each model relation, by type. */
  private readonly relationSymbols: number[][];
  /** Model relation index of each index relation symbol, by type. */
  private readonly relationsBySymbol: number[][];
  /** Model type index of each index type symbol (-1: not in the model). */
  private readonly typesBySymbol: number[] = [];

  // Per-query state (queries are synchronous, so one set serves them all).
  private overlay: TupleIndex | null = null;
  private baseCapacity = 0;
  private context: RequestContext | undefined = undefined;
  private readonly transientNames: string[] = [];
  private readonly transientTypes: number[] = [];
  private subjectKind = SUBJECT_OBJECT;
  private subjectNode = -1;
  private subjectType = -1;
  private subjectRelation = -1;
  private subjectRelationSymbol = -1;
  private subjectKey = NO_KEY;
  private wildcardBase = -1;
  private wildcardOverlay = -1;
  private readonly memo = new MemoTable();
  private readonly pending: number[] = [];
  private readonly pendingUnionOnly: boolean[] = [];
  private low = NO_LOW;
  private resolutions = 0;
  private unknowns = 0;
  private depthHit = false;
  private budgetHit = false;
  private readonly missing = new Set<string>();
  private readonly invalid = new Set<string>();
  private readonly values: unknown[] = [];

  constructor(
    readonly model: AuthorizationModel,
    readonly index: TupleIndex,
    options: EngineOptions = {},
  ) {
    this.maxDepth = options.maxDepth ?? 25;
    this.maxResolutions = options.maxResolutions ?? 50_000;
    this.maxListResults = options.maxListResults ?? 1_000;
    this.maxListWork = options.maxListWork ?? 2_000_000;
    this.relationSymbols = model.types.map((type) =>
      type.relations.map((r) => index.relations.intern(r.name)),
    );
    this.relationsBySymbol = this.relationSymbols.map((symbols) => {
      const bySymbol: number[] = [];
      symbols.forEach((symbol, relation) => (bySymbol[symbol] = relation));
      return bySymbol;
    });
    for (const type of model.types) index.types.intern(type.name);
  }

  /** Parses and checks tuples against this engine's model (see `validateTuples`). */
  validateTuples(tuples: readonly unknown[]): ParsedTuple[] {
    return validateTuples(this.model, tuples);
  }

  /** Does `subject` have `relation` on `object`? Malformed requests throw `AUTHZ_REQUEST_INVALID`. */
  check(request: CheckRequest): CheckResult {
    if (request.contextualTuples === undefined || request.contextualTuples.length === 0) {
      const fast = this.fastCheck(request);
      if (fast !== undefined) return fast;
    }
    const { type, relation } = this.parseTarget(request.object, request.relation);
    this.begin(request.contextualTuples, request.context);
    this.prepareSubject(request.subject);
    const node = this.resolveNode(request.object, type);
    return this.decide(node, type, relation);
  }

  /**
   * The common case without parsing: object and subject are nodes of the index (so their names are
   * valid) of types the model knows. Anything else takes the general path.
   */
  private fastCheck(request: CheckRequest): CheckResult | undefined {
    const node = this.index.nodeIds.get(request.object);
    const subject = this.index.nodeIds.get(request.subject);
    if (node === undefined || subject === undefined) return undefined;
    const type = this.typeOfNode(node);
    const subjectType = this.typeOfNode(subject);
    if (type < 0 || subjectType < 0) return undefined;
    const relation = this.model.types[type]!.relationIndex.get(request.relation);
    const subjectSymbol = this.index.nodeTypes[subject]!;
    if (relation === undefined || this.index.wildcardOf(subjectSymbol) === subject) return undefined;
    const context = request.context;
    if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context)))
      return undefined;
    this.overlay = null;
    this.baseCapacity = this.index.capacity;
    this.context = context;
    this.transientNames.length = 0;
    this.transientTypes.length = 0;
    this.memo.clear();
    this.resetFlags();
    this.subjectKind = SUBJECT_OBJECT;
    this.subjectNode = subject;
    this.subjectType = subjectType;
    this.subjectKey = NO_KEY;
    this.subjectRelation = -1;
    this.subjectRelationSymbol = -1;
    this.wildcardBase = this.index.wildcardOf(subjectSymbol);
    this.wildcardOverlay = -1;
    return this.decide(node, type, relation);
  }

  /**
   * Checks in order; consecutive work for the same subject (without contextual tuples, with the same or
   * no context object) shares the memo of resolved relations.
   */
  batchCheck(requests: readonly CheckRequest[]): CheckResult[] {
    const results: CheckResult[] = new Array<CheckResult>(requests.length);
    const groups = new Map<string, number[]>();
    requests.forEach((request, i) => {
      const key = request.contextualTuples?.length ? `\u0000${i}` : request.subject;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    for (const group of groups.values()) {
      if (group.length === 1) {
        results[group[0]!] = this.check(requests[group[0]!]!);
        continue;
      }
      let shared: RequestContext | undefined | null = null;
      for (const i of group) {
        const request = requests[i]!;
        const { type, relation } = this.parseTarget(request.object, request.relation);
        if (shared === null || shared !== request.context || this.unknowns > 0 || this.overlay !== null) {
          this.begin(request.contextualTuples, request.context);
          this.prepareSubject(request.subject);
          shared = request.context;
        } else this.resetFlags();
        const node = this.resolveNode(request.object, type);
        results[i] = this.decide(node, type, relation);
      }
    }
    return results;
  }

  /** Objects of `type` on which `subject` has `relation`: reverse expansion from the subject, verified by check where needed. */
  listObjects(request: ListObjectsRequest): ListObjectsResult {
    const target = this.model.type(request.type);
    const targetRelation = target?.relationIndex.get(request.relation);
    if (!target) throw requestError(`unknown type '${request.type}'`, 'type');
    if (targetRelation === undefined)
      throw requestError(`type '${target.name}' has no relation '${request.relation}'`, 'relation');
    const limit = this.limitOf(request.limit);
    this.begin(request.contextualTuples, request.context);
    this.prepareSubject(request.subject);
    const T = target.index;
    const R = targetRelation;
    const exact = target.relations[R]!.exact;
    const relevant = this.model.relevantTo(T, R);
    const types = this.model.types;

    const objects: string[] = [];
    const missing = new Set<string>();
    let truncated = false;
    let work = 0;
    const visited = new Set<number>();
    const queueNode: number[] = [];
    const queueType: number[] = [];
    const queueRelation: number[] = [];
    const queueDepth: number[] = [];
    const enqueue = (node: number, type: number, relation: number, depth: number): void => {
      if (relevant[type * RELATION_STRIDE + relation] !== 1) return;
      const key = node * RELATION_STRIDE + relation;
      if (visited.has(key)) return;
      visited.add(key);
      queueNode.push(node);
      queueType.push(type);
      queueRelation.push(relation);
      queueDepth.push(depth);
    };
    const follow = (
      set: RelationSet,
      key: number | RelationSet,
      allowOf: (rule: DirectRule) => Allow | undefined,
      depth: number,
    ): void => {
      work++;
      const type = this.typeOfNode(set.node);
      if (type < 0) return;
      const relation = this.relationOfSymbol(type, set.relation);
      if (relation < 0 || relevant[type * RELATION_STRIDE + relation] !== 1) return;
      const rule = types[type]!.relations[relation]!.direct;
      const allow = rule ? allowOf(rule) : undefined;
      if (allow && this.allowed(set, key, allow) === TRUE) enqueue(set.node, type, relation, depth);
    };
    const sources = this.overlay ? [this.index, this.overlay] : [this.index];
    const subjectType = this.subjectType;
    const seedFrom = (node: number, allowOf: (rule: DirectRule) => Allow | undefined): void => {
      if (node === -1) return;
      for (const source of sources) {
        const incoming = source.incoming[node];
        if (incoming) for (const set of incoming) follow(set, node, allowOf, 0);
      }
    };
    const wildcardAllow = (rule: DirectRule) => rule.wildcard[subjectType];
    switch (this.subjectKind) {
      case SUBJECT_OBJECT:
        seedFrom(this.subjectNode, (rule) => rule.terminal[subjectType]);
        seedFrom(this.wildcardBase, wildcardAllow);
        seedFrom(this.wildcardOverlay, wildcardAllow);
        break;
      case SUBJECT_WILDCARD:
        seedFrom(this.wildcardBase, wildcardAllow);
        seedFrom(this.wildcardOverlay, wildcardAllow);
        break;
      case SUBJECT_USERSET:
        enqueue(this.subjectNode, subjectType, this.subjectRelation, 0);
        break;
    }

    for (let head = 0; head < queueNode.length; head++) {
      if (work > this.maxListWork) {
        truncated = true;
        break;
      }
      const node = queueNode[head]!;
      const type = queueType[head]!;
      const relation = queueRelation[head]!;
      const depth = queueDepth[head]!;
      if (type === T && relation === R) {
        let granted = exact;
        if (!exact) {
          const value = this.verify(node, T, R);
          if (value === UNKNOWN) for (const name of this.missing) missing.add(name);
          granted = value === TRUE;
        }
        if (granted) {
          if (objects.length === limit) {
            truncated = true;
            break;
          }
          objects.push(this.nameOf(node));
        }
      }
      if (depth + 1 >= this.maxDepth) continue;
      const definition = types[type]!.relations[relation]!;
      for (const dependent of definition.computedDependents) {
        work++;
        enqueue(node, type, dependent, depth + 1);
      }
      const symbol = this.relationSymbols[type]![relation]!;
      const usersetKey = type * RELATION_STRIDE + relation;
      for (const source of sources) {
        const userset = source.relationSet(node, symbol);
        if (userset?.usedBy) {
          for (const set of userset.usedBy)
            follow(set, userset, (rule) => rule.userset.get(usersetKey), depth + 1);
        }
      }
      const dependents = definition.tupleToUsersetDependents;
      if (dependents.length > 0) {
        for (const source of sources) {
          const incoming = source.incoming[node];
          if (!incoming) continue;
          for (const set of incoming) {
            work++;
            const parentType = this.typeOfNode(set.node);
            if (parentType < 0) continue;
            const tupleset = this.relationOfSymbol(parentType, set.relation);
            for (const dependent of dependents) {
              if (dependent.type !== parentType || dependent.tupleset !== tupleset) continue;
              const allow = types[parentType]!.relations[tupleset]!.direct?.terminal[type];
              if (allow && this.allowed(set, node, allow) === TRUE)
                enqueue(set.node, parentType, dependent.relation, depth + 1);
            }
          }
        }
      }
    }
    for (const name of this.missing) missing.add(name);
    return { objects, truncated, missing: [...missing].sort() };
  }

  /** Subjects of `subjectType` with `relation` on `object`: forward expansion, verified by check where needed. */
  listSubjects(request: ListSubjectsRequest): ListSubjectsResult {
    const { type: T, relation: R } = this.parseTarget(request.object, request.relation);
    const filter = /^([a-z][a-z0-9_]{0,49})(?:#([a-z][a-z0-9_]{0,49}))?$/.exec(request.subjectType);
    const filterType = filter ? this.model.type(filter[1]!) : undefined;
    if (!filter || !filterType)
      throw requestError(`unknown subject type '${request.subjectType}'`, 'subjectType');
    const filterRelation = filter[2] === undefined ? -1 : (filterType.relationIndex.get(filter[2]) ?? -2);
    if (filterRelation === -2)
      throw requestError(`type '${filterType.name}' has no relation '${filter[2]}'`, 'subjectType');
    const FT = filterType.index;
    const limit = this.limitOf(request.limit);
    this.begin(request.contextualTuples, request.context);
    const root = this.resolveNode(request.object, T);
    const types = this.model.types;
    const sources = this.overlay ? [this.index, this.overlay] : [this.index];

    const candidates = new Map<string, string>();
    let work = 0;
    let truncated = false;
    const visited = new Set<number>();
    const queue: [number, number, number, number][] = [];
    const enqueue = (node: number, type: number, relation: number, depth: number): void => {
      if (depth >= this.maxDepth) return;
      const key = node * RELATION_STRIDE + relation;
      if (visited.has(key)) return;
      visited.add(key);
      queue.push([node, type, relation, depth]);
    };
    enqueue(root, T, R, 0);
    const walk = (
      node: number,
      type: number,
      definition: RelationDefinition,
      rewrite: Rewrite,
      depth: number,
    ): void => {
      switch (rewrite.kind) {
        case 'this': {
          const rule = definition.direct!;
          const symbol = this.relationSymbols[type]![definition.index]!;
          for (const source of sources) {
            const set = source.relationSet(node, symbol);
            if (!set) continue;
            if (filterRelation < 0 && set.terms) {
              for (const term of set.terms) {
                work++;
                if (this.typeOfNode(term) !== FT) continue;
                const wildcard = this.isWildcard(term);
                const allow = wildcard ? rule.wildcard[FT] : rule.terminal[FT];
                if (allow && this.allowed(set, term, allow) === TRUE)
                  candidates.set(this.nameOf(term), this.nameOf(term));
              }
            }
            if (set.usersets) {
              for (const userset of set.usersets) {
                work++;
                const usersetType = this.typeOfNode(userset.node);
                const usersetRelation =
                  usersetType < 0 ? -1 : this.relationOfSymbol(usersetType, userset.relation);
                if (usersetRelation < 0) continue;
                const allow = rule.userset.get(usersetType * RELATION_STRIDE + usersetRelation);
                if (allow && this.allowed(set, userset, allow) === TRUE)
                  enqueue(userset.node, usersetType, usersetRelation, depth + 1);
              }
            }
          }
          return;
        }
        case 'computed':
          enqueue(node, type, rewrite.relation, depth + 1);
          return;
        case 'tupleToUserset': {
          const tupleset = types[type]!.relations[rewrite.tupleset]!;
          const symbol = this.relationSymbols[type]![rewrite.tupleset]!;
          for (const source of sources) {
            const set = source.relationSet(node, symbol);
            if (!set?.terms) continue;
            for (const parent of set.terms) {
              work++;
              const parentType = this.typeOfNode(parent);
              if (parentType < 0 || this.isWildcard(parent)) continue;
              const target = rewrite.targets[parentType] ?? -1;
              const allow = tupleset.direct?.terminal[parentType];
              if (target >= 0 && allow && this.allowed(set, parent, allow) === TRUE)
                enqueue(parent, parentType, target, depth + 1);
            }
          }
          return;
        }
        case 'union':
        case 'intersection':
          for (const child of rewrite.children) walk(node, type, definition, child, depth);
          return;
        case 'exclusion':
          walk(node, type, definition, rewrite.base, depth);
          return;
      }
    };
    for (let head = 0; head < queue.length; head++) {
      if (work > this.maxListWork) {
        truncated = true;
        break;
      }
      const [node, type, relation, depth] = queue[head]!;
      work++;
      if (filterRelation >= 0 && type === FT && relation === filterRelation) {
        const name = `${this.nameOf(node)}#${filterType.relations[filterRelation]!.name}`;
        candidates.set(name, name);
      }
      const definition = types[type]!.relations[relation]!;
      walk(node, type, definition, definition.rewrite, depth);
    }

    const missing = new Set(this.missing);
    const exact = types[T]!.relations[R]!.exact;
    const subjects: string[] = [];
    for (const subject of candidates.keys()) {
      if (!exact) {
        const result = this.check({
          object: request.object,
          relation: request.relation,
          subject,
          ...(request.contextualTuples ? { contextualTuples: request.contextualTuples } : {}),
          ...(request.context ? { context: request.context } : {}),
        });
        if (!result.allowed) {
          if (result.reason === 'condition_unevaluable') for (const name of result.missing) missing.add(name);
          continue;
        }
      }
      if (subjects.length === limit) {
        truncated = true;
        break;
      }
      subjects.push(subject);
    }
    return { subjects, truncated, missing: [...missing].sort() };
  }

  /** One level of the userset tree of `object#relation` (for debugging models). */
  expand(request: ExpandRequest): ExpandNode {
    const { type, relation } = this.parseTarget(request.object, request.relation);
    this.begin(request.contextualTuples, undefined);
    const node = this.resolveNode(request.object, type);
    const definition = this.model.types[type]!.relations[relation]!;
    const sources = this.overlay ? [this.index, this.overlay] : [this.index];
    const objectName = request.object;
    const build = (rewrite: Rewrite): ExpandNode => {
      switch (rewrite.kind) {
        case 'this': {
          const subjects: { subject: string; condition?: string }[] = [];
          const symbol = this.relationSymbols[type]![relation]!;
          for (const source of sources) {
            const set = source.relationSet(node, symbol);
            for (const term of set?.terms ?? []) {
              const binding = set!.binding(term);
              subjects.push({ subject: this.nameOf(term), ...(binding ? { condition: binding.name } : {}) });
            }
            for (const userset of set?.usersets ?? []) {
              const binding = set!.binding(userset);
              subjects.push({
                subject: `${this.nameOf(userset.node)}#${this.index.relations.names[userset.relation]!}`,
                ...(binding ? { condition: binding.name } : {}),
              });
            }
          }
          return { kind: 'direct', subjects };
        }
        case 'computed':
          return {
            kind: 'computed',
            userset: `${objectName}#${this.model.types[type]!.relations[rewrite.relation]!.name}`,
          };
        case 'tupleToUserset': {
          const tupleset = this.model.types[type]!.relations[rewrite.tupleset]!;
          const usersets: string[] = [];
          for (const source of sources) {
            const set = source.relationSet(node, this.relationSymbols[type]![rewrite.tupleset]!);
            for (const parent of set?.terms ?? []) {
              const parentType = this.typeOfNode(parent);
              if (parentType >= 0 && (rewrite.targets[parentType] ?? -1) >= 0) {
                usersets.push(`${this.nameOf(parent)}#${rewrite.computed}`);
              }
            }
          }
          return { kind: 'tupleToUserset', tupleset: `${objectName}#${tupleset.name}`, usersets };
        }
        case 'union':
        case 'intersection':
          return { kind: rewrite.kind, children: rewrite.children.map(build) };
        case 'exclusion':
          return { kind: 'exclusion', base: build(rewrite.base), subtract: build(rewrite.subtract) };
      }
    };
    return build(definition.rewrite);
  }

  // ------------------------------------------------------------------------------------------ setup

  private limitOf(limit: number | undefined): number {
    if (limit === undefined) return this.maxListResults;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw requestError('limit must be a positive integer', 'limit');
    return Math.min(limit, this.maxListResults);
  }

  private parseTarget(object: string, relation: string): { type: number; relation: number } {
    const parsed = parseObject(object);
    if (!parsed) throw requestError(`malformed object '${String(object)}'; expected type:id`, 'object');
    const type = this.model.type(parsed.type);
    if (!type) throw requestError(`unknown type '${parsed.type}'`, 'object');
    const index = type.relationIndex.get(relation);
    if (index === undefined)
      throw requestError(`type '${type.name}' has no relation '${String(relation)}'`, 'relation');
    return { type: type.index, relation: index };
  }

  private begin(contextualTuples: readonly Tuple[] | undefined, context: RequestContext | undefined): void {
    if (contextualTuples && contextualTuples.length > MAX_CONTEXTUAL_TUPLES) {
      throw requestError(`at most ${MAX_CONTEXTUAL_TUPLES} contextual tuples`, 'contextualTuples');
    }
    if (
      context !== undefined &&
      (typeof context !== 'object' || context === null || Array.isArray(context))
    ) {
      throw requestError('context must be an object', 'context');
    }
    this.overlay =
      contextualTuples && contextualTuples.length > 0
        ? TupleIndex.overlay(this.index, validateTuples(this.model, contextualTuples))
        : null;
    this.baseCapacity = this.index.capacity;
    this.context = context;
    this.transientNames.length = 0;
    this.transientTypes.length = 0;
    this.memo.clear();
    this.resetFlags();
  }

  private resetFlags(): void {
    this.pending.length = 0;
    this.pendingUnionOnly.length = 0;
    this.low = NO_LOW;
    this.resolutions = 0;
    this.unknowns = 0;
    this.depthHit = false;
    this.budgetHit = false;
    this.missing.clear();
    this.invalid.clear();
  }

  private prepareSubject(subject: string): void {
    const parsed = parseSubject(subject);
    if (!parsed) throw requestError(`malformed subject '${String(subject)}'`, 'subject');
    const type = this.model.type(parsed.type);
    if (!type) throw requestError(`unknown type '${parsed.type}'`, 'subject');
    this.subjectType = type.index;
    this.subjectKey = NO_KEY;
    this.subjectRelation = -1;
    this.subjectRelationSymbol = -1;
    const typeSymbol = this.index.types.intern(type.name);
    this.wildcardBase = this.index.wildcardOf(typeSymbol);
    this.wildcardOverlay = this.overlay ? this.overlay.wildcardOf(typeSymbol) : -1;
    switch (parsed.kind) {
      case 'object':
        this.subjectKind = SUBJECT_OBJECT;
        this.subjectNode = this.resolveNode(`${parsed.type}:${parsed.id}`, type.index);
        return;
      case 'wildcard':
        this.subjectKind = SUBJECT_WILDCARD;
        this.subjectNode = -1;
        return;
      case 'userset': {
        const relation = type.relationIndex.get(parsed.relation);
        if (relation === undefined)
          throw requestError(`type '${type.name}' has no relation '${parsed.relation}'`, 'subject');
        this.subjectKind = SUBJECT_USERSET;
        this.subjectNode = this.resolveNode(`${parsed.type}:${parsed.id}`, type.index);
        this.subjectRelation = relation;
        this.subjectRelationSymbol = this.relationSymbols[type.index]![relation]!;
        this.subjectKey = this.subjectNode * RELATION_STRIDE + relation;
        return;
      }
    }
  }

  /** The node of a named object; an object no tuple mentions gets a transient negative id for this query. */
  private resolveNode(name: string, type: number): number {
    const found = this.overlay ? this.overlay.findNode(name) : this.index.findNode(name);
    if (found !== undefined) return found;
    const at = this.transientNames.indexOf(name);
    if (at >= 0) return -(at + 2);
    this.transientNames.push(name);
    this.transientTypes.push(type);
    return -(this.transientNames.length + 1);
  }

  private nameOf(node: number): string {
    if (node < 0) return this.transientNames[-node - 2]!;
    return node < this.baseCapacity ? this.index.nodeNames[node]! : this.overlay!.nodeNames[node]!;
  }

  private typeSymbolOf(node: number): number {
    return (node < this.baseCapacity ? this.index.nodeTypes[node] : this.overlay?.nodeTypes[node]) ?? -1;
  }

  private typeOfNode(node: number): number {
    if (node < 0) return this.transientTypes[-node - 2] ?? -1;
    const symbol = this.typeSymbolOf(node);
    if (symbol < 0) return -1;
    const type = this.typesBySymbol[symbol];
    if (type !== undefined) return type;
    for (let s = this.typesBySymbol.length; s <= symbol; s++) {
      this.typesBySymbol[s] = this.model.typeIndex.get(this.index.types.names[s]!) ?? -1;
    }
    return this.typesBySymbol[symbol]!;
  }

  private isWildcard(node: number): boolean {
    if (node < 0) return false;
    const symbol = this.typeSymbolOf(node);
    return (
      this.index.wildcardOf(symbol) === node ||
      (this.overlay !== null && this.overlay.wildcardOf(symbol) === node)
    );
  }

  private relationOfSymbol(type: number, symbol: number): number {
    return this.relationsBySymbol[type]![symbol] ?? -1;
  }

  // ------------------------------------------------------------------------------------------ check

  private decide(node: number, type: number, relation: number): CheckResult {
    const value = this.verify(node, type, relation);
    if (value === TRUE) return ALLOWED;
    if (value === FALSE) return NOT_RELATED;
    if (this.depthHit) return DEPTH_EXCEEDED;
    if (this.budgetHit) return RESOLUTION_LIMIT;
    return {
      allowed: false,
      reason: 'condition_unevaluable',
      missing: [...this.missing].sort(),
      invalid: [...this.invalid].sort(),
    };
  }

  /** Resolves one root relation; keeps what is final in the memo and forgets what a cut tainted. */
  private verify(node: number, type: number, relation: number): number {
    this.low = NO_LOW;
    this.resolutions = 0;
    const value = this.resolve(node, type, relation, 0);
    for (const key of this.pending) this.memo.delete(key);
    this.pending.length = 0;
    this.pendingUnionOnly.length = 0;
    return value;
  }

  private resolve(node: number, type: number, relation: number, depth: number): number {
    const key = node * RELATION_STRIDE + relation;
    const memo = this.memo.get(key);
    if (memo !== undefined) {
      if (memo >= 0) return memo;
      if (memo > LIMITED) {
        // In progress (a cycle) or tainted by one: not granting on this path, and the cut taints us.
        const at = -memo - 2;
        if (at < this.low) this.low = at;
        return FALSE;
      }
      // Cut short by the depth limit or the budget: unknown again, unless we now have more depth left.
      if (depth >= LIMITED - memo) {
        this.low = -1;
        return UNKNOWN;
      }
    }
    if (depth >= this.maxDepth) {
      this.depthHit = true;
      this.low = -1;
      return UNKNOWN;
    }
    if (key === this.subjectKey) return TRUE;
    if (++this.resolutions > this.maxResolutions) {
      this.budgetHit = true;
      this.low = -1;
      return UNKNOWN;
    }
    this.memo.set(key, -(depth + 2));
    const savedLow = this.low;
    this.low = NO_LOW;
    const pendingMark = this.pending.length;
    const unknownMark = this.unknowns;
    const definition = this.model.types[type]!.relations[relation]!;
    const value = this.rewrite(node, type, definition, definition.rewrite, depth);
    const low = this.low;
    if (low >= depth) {
      this.memo.set(key, value);
      if (this.pending.length > pendingMark) {
        let settle = definition.unionOnly && value !== UNKNOWN && this.unknowns === unknownMark;
        for (let i = pendingMark; settle && i < this.pending.length; i++) settle = this.pendingUnionOnly[i]!;
        for (let i = pendingMark; i < this.pending.length; i++) {
          if (settle) this.memo.set(this.pending[i]!, value);
          else this.memo.delete(this.pending[i]!);
        }
        this.pending.length = pendingMark;
        this.pendingUnionOnly.length = pendingMark;
      }
      this.low = savedLow;
    } else {
      if (value === TRUE) this.memo.set(key, TRUE);
      else if (low < 0) {
        this.memo.set(key, LIMITED - depth);
        this.pending.push(key);
        this.pendingUnionOnly.push(false);
      } else {
        this.memo.set(key, -(low + 2));
        this.pending.push(key);
        this.pendingUnionOnly.push(definition.unionOnly);
      }
      this.low = savedLow < low ? savedLow : low;
    }
    return value;
  }

  private rewrite(
    node: number,
    type: number,
    definition: RelationDefinition,
    rewrite: Rewrite,
    depth: number,
  ): number {
    switch (rewrite.kind) {
      case 'this':
        return this.direct(node, type, definition, depth);
      case 'computed':
        return this.resolve(node, type, rewrite.relation, depth + 1);
      case 'tupleToUserset':
        return this.tupleToUserset(node, type, rewrite, depth);
      case 'union': {
        let best = FALSE;
        const children = rewrite.children;
        for (let i = 0; i < children.length; i++) {
          const value = this.rewrite(node, type, definition, children[i]!, depth);
          if (value === TRUE) return TRUE;
          if (value > best) best = value;
        }
        return best;
      }
      case 'intersection': {
        let worst = TRUE;
        const children = rewrite.children;
        for (let i = 0; i < children.length; i++) {
          const value = this.rewrite(node, type, definition, children[i]!, depth);
          if (value === FALSE) return FALSE;
          if (value < worst) worst = value;
        }
        return worst;
      }
      case 'exclusion': {
        const base = this.rewrite(node, type, definition, rewrite.base, depth);
        if (base === FALSE) return FALSE;
        const subtract = this.rewrite(node, type, definition, rewrite.subtract, depth);
        return Math.min(base, TRUE - subtract);
      }
    }
  }

  private direct(node: number, type: number, definition: RelationDefinition, depth: number): number {
    const rule = definition.direct!;
    const symbol = this.relationSymbols[type]![definition.index]!;
    let best = FALSE;
    if (node >= 0 && node < this.baseCapacity) {
      const set = this.index.relationSet(node, symbol);
      if (set !== undefined) {
        best = this.directIn(set, rule, depth);
        if (best === TRUE) return TRUE;
      }
    }
    if (this.overlay !== null) {
      const set = this.overlay.relationSet(node, symbol);
      if (set !== undefined) {
        const value = this.directIn(set, rule, depth);
        if (value > best) best = value;
      }
    }
    return best;
  }

  private directIn(set: RelationSet, rule: DirectRule, depth: number): number {
    let best = FALSE;
    const terms = set.terms;
    switch (this.subjectKind) {
      case SUBJECT_OBJECT: {
        if (terms === null) break;
        const allow = rule.terminal[this.subjectType];
        if (allow !== undefined && this.subjectNode >= 0 && has(terms, this.subjectNode)) {
          best = this.allowed(set, this.subjectNode, allow);
          if (best === TRUE) return TRUE;
        }
        const value = this.wildcardIn(set, terms, rule);
        if (value === TRUE) return TRUE;
        if (value > best) best = value;
        break;
      }
      case SUBJECT_WILDCARD:
        if (terms !== null) best = this.wildcardIn(set, terms, rule);
        if (best === TRUE) return TRUE;
        break;
      case SUBJECT_USERSET: {
        const usersets = set.usersets;
        const allow = rule.userset.get(this.subjectType * RELATION_STRIDE + this.subjectRelation);
        if (usersets === null || allow === undefined) break;
        for (const userset of usersets) {
          if (userset.node === this.subjectNode && userset.relation === this.subjectRelationSymbol) {
            best = this.allowed(set, userset, allow);
            if (best === TRUE) return TRUE;
          }
        }
        break;
      }
    }
    const usersets = set.usersets;
    if (usersets === null) return best;
    if (Array.isArray(usersets)) {
      for (let i = 0; i < usersets.length; i++) {
        const value = this.throughUserset(set, usersets[i]!, rule, depth);
        if (value === TRUE) return TRUE;
        if (value > best) best = value;
      }
    } else {
      for (const userset of usersets) {
        const value = this.throughUserset(set, userset, rule, depth);
        if (value === TRUE) return TRUE;
        if (value > best) best = value;
      }
    }
    return best;
  }

  private wildcardIn(set: RelationSet, terms: number[] | Set<number>, rule: DirectRule): number {
    const allow = rule.wildcard[this.subjectType];
    if (allow === undefined) return FALSE;
    let best = FALSE;
    if (this.wildcardBase >= 0 && has(terms, this.wildcardBase))
      best = this.allowed(set, this.wildcardBase, allow);
    if (best !== TRUE && this.wildcardOverlay >= 0 && has(terms, this.wildcardOverlay)) {
      const value = this.allowed(set, this.wildcardOverlay, allow);
      if (value > best) best = value;
    }
    return best;
  }

  private throughUserset(set: RelationSet, userset: RelationSet, rule: DirectRule, depth: number): number {
    const type = this.typeOfNode(userset.node);
    if (type < 0) return FALSE;
    const relation = this.relationOfSymbol(type, userset.relation);
    if (relation < 0) return FALSE;
    const allow = rule.userset.get(type * RELATION_STRIDE + relation);
    if (allow === undefined) return FALSE;
    const condition = this.allowed(set, userset, allow);
    if (condition === FALSE) return FALSE;
    const value = this.resolve(userset.node, type, relation, depth + 1);
    return value < condition ? value : condition;
  }

  private tupleToUserset(
    node: number,
    type: number,
    rewrite: Extract<Rewrite, { kind: 'tupleToUserset' }>,
    depth: number,
  ): number {
    const rule = this.model.types[type]!.relations[rewrite.tupleset]!.direct!;
    const symbol = this.relationSymbols[type]![rewrite.tupleset]!;
    let best = FALSE;
    for (let source = 0; source < 2; source++) {
      const index = source === 0 ? this.index : this.overlay;
      if (index === null || (source === 0 && (node < 0 || node >= this.baseCapacity))) continue;
      const set = index.relationSet(node, symbol);
      if (set === undefined || set.terms === null) continue;
      const terms = set.terms;
      if (Array.isArray(terms)) {
        for (let i = 0; i < terms.length; i++) {
          const value = this.throughParent(set, terms[i]!, rule, rewrite.targets, depth);
          if (value === TRUE) return TRUE;
          if (value > best) best = value;
        }
      } else {
        for (const parent of terms) {
          const value = this.throughParent(set, parent, rule, rewrite.targets, depth);
          if (value === TRUE) return TRUE;
          if (value > best) best = value;
        }
      }
    }
    return best;
  }

  private throughParent(
    set: RelationSet,
    parent: number,
    rule: DirectRule,
    targets: Int32Array,
    depth: number,
  ): number {
    const type = this.typeOfNode(parent);
    if (type < 0) return FALSE;
    const target = targets[type] ?? -1;
    const allow = rule.terminal[type];
    if (target < 0 || allow === undefined || this.isWildcard(parent)) return FALSE;
    const condition = this.allowed(set, parent, allow);
    if (condition === FALSE) return FALSE;
    const value = this.resolve(parent, type, target, depth + 1);
    return value < condition ? value : condition;
  }

  // ------------------------------------------------------------------------------------------ conditions

  /** Whether the tuple `set@key` counts under `allow`: TRUE, FALSE, or UNKNOWN when its condition cannot be evaluated. */
  private allowed(set: RelationSet, key: number | RelationSet, allow: Allow): number {
    const binding = set.conditions === null ? undefined : set.conditions.get(key);
    if (binding === undefined) return allow.plain ? TRUE : FALSE;
    if (!allow.conditions.has(binding.name)) return FALSE;
    return this.evaluate(binding);
  }

  private evaluate(binding: Binding): number {
    const definition = this.model.conditions.get(binding.name);
    if (definition === undefined) return FALSE;
    const values = this.values;
    let unevaluable = false;
    for (const i of definition.compiled.referenced) {
      const parameter = definition.parameters[i]!;
      const name = parameter.name;
      const raw = Object.hasOwn(binding.context, name)
        ? binding.context[name]
        : this.context !== undefined && Object.hasOwn(this.context, name)
          ? this.context[name]
          : undefined;
      if (raw === undefined) {
        this.missing.add(name);
        unevaluable = true;
        continue;
      }
      const converted = convertValue(parameter.type, raw);
      if (!converted.ok) {
        this.invalid.add(name);
        unevaluable = true;
        continue;
      }
      values[i] = converted.value;
    }
    if (unevaluable) {
      this.unknowns++;
      return UNKNOWN;
    }
    try {
      return definition.compiled.evaluate(values) ? TRUE : FALSE;
    } catch {
      // Whatever went wrong while evaluating, the path does not grant.
      this.unknowns++;
      return UNKNOWN;
    } finally {
      values.length = 0;
    }
  }
}
