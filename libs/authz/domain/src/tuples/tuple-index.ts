import type { AuthorizationModel } from '../model/authorization-model';
import { parseTuples, type ParsedTuple, type Tuple, type TupleKey, validateTuples } from './tuple';

/** A small set: an array while it is small (cheap in memory), a Set once it grows. */
export type Coll<T> = T[] | Set<T>;

const SMALL = 16;

const collAdd = <T>(coll: Coll<T> | null, value: T): Coll<T> | null => {
  if (coll === null) return [value];
  if (Array.isArray(coll)) {
    if (coll.includes(value)) return null;
    if (coll.length < SMALL) {
      coll.push(value);
      return coll;
    }
    const set = new Set(coll);
    set.add(value);
    return set;
  }
  if (coll.has(value)) return null;
  coll.add(value);
  return coll;
};

const collDelete = <T>(coll: Coll<T> | null, value: T): boolean => {
  if (coll === null) return false;
  if (!Array.isArray(coll)) return coll.delete(value);
  const at = coll.indexOf(value);
  if (at < 0) return false;
  coll[at] = coll[coll.length - 1]!;
  coll.pop();
  return true;
};

export const collHas = <T>(coll: Coll<T> | null, value: T): boolean =>
  coll !== null && (Array.isArray(coll) ? coll.includes(value) : coll.has(value));

const collSize = <T>(coll: Coll<T> | null): number =>
  coll === null ? 0 : Array.isArray(coll) ? coll.length : coll.size;

/** A tuple's condition as stored. */
export interface Binding {
  readonly name: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * The subjects of one `object#relation`, and the reverse edge for its use as a userset subject.
 * @internal
 */
export class RelationSet {
  /** Object subjects (wildcard objects `type:*` included), by node id. */
  terms: Coll<number> | null = null;
  /** Userset subjects, by their own relation set. */
  usersets: Coll<RelationSet> | null = null;
  /** The condition of conditioned tuples, keyed by node id (objects) or relation set (usersets). */
  conditions: Map<number | RelationSet, Binding> | null = null;
  /** Relation sets that list this one as a userset subject. */
  usedBy: Coll<RelationSet> | null = null;

  constructor(
    readonly node: number,
    readonly relation: number,
  ) {}

  binding(key: number | RelationSet): Binding | undefined {
    return this.conditions === null ? undefined : this.conditions.get(key);
  }
}

/** Interned names (types, relations) shared by an index and its overlays. */
class Symbols {
  readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }
}

export interface TupleIndexStats {
  readonly tuples: number;
  readonly nodes: number;
  readonly relationSets: number;
}

/**
 * The in-memory relationship graph of one organization: `write` / `delete` tuples (both idempotent,
 * all-or-nothing per call), read by `AuthzEngine`. Independent of the model: relations are kept by
 * name, so a new model version reads the same index; tuples the current model does not accept are
 * ignored by queries.
 *
 * Objects and subjects are interned as integer nodes; each `object#relation` is a `RelationSet` holding
 * its subjects, and every subject keeps the reverse edge (which relation sets hold it) for list queries.
 * Nodes no tuple mentions any more are released.
 */
export class TupleIndex {
  /** @internal */ readonly nodeIds = new Map<string, number>();
  /** @internal */ readonly nodeNames: string[] = [];
  /** @internal type symbol of each node; -1 for a released one. */
  readonly nodeTypes: number[] = [];
  /** @internal relation sets with the node as object (few per node: a short list). */
  readonly outgoing: (RelationSet[] | undefined)[] = [];
  /** @internal relation sets with the node as object subject. */
  readonly incoming: (Coll<RelationSet> | null | undefined)[] = [];
  /** @internal node id of `type:*`, by type symbol. */
  readonly wildcards: number[] = [];
  /** @internal */ readonly types: Symbols;
  /** @internal */ readonly relations: Symbols;
  private readonly free: number[] = [];
  private readonly firstNode: number;
  private nextNode: number;
  private tupleCount = 0;
  private relationSetCount = 0;

  constructor(private readonly parent?: TupleIndex) {
    this.types = parent?.types ?? new Symbols();
    this.relations = parent?.relations ?? new Symbols();
    this.firstNode = parent ? parent.capacity : 0;
    this.nextNode = this.firstNode;
  }

  /**
   * A read-only layer of contextual tuples over this index, for one request. Nodes it introduces get
   * ids past this index's.
   * @internal
   */
  static overlay(base: TupleIndex, tuples: readonly ParsedTuple[]): TupleIndex {
    const overlay = new TupleIndex(base);
    for (const tuple of tuples) overlay.apply(tuple);
    return overlay;
  }

  /** @internal Node ids in use are below this. */
  get capacity(): number {
    return this.nextNode;
  }

  get size(): number {
    return this.tupleCount;
  }

  stats(): TupleIndexStats {
    return { tuples: this.tupleCount, nodes: this.nodeIds.size, relationSets: this.relationSetCount };
  }

  /**
   * Adds tuples (or replaces the condition of an existing one). Checks syntax, and the model when given;
   * throws `AUTHZ_TUPLE_INVALID` before changing anything. Returns how many were new.
   */
  write(
    tuples: readonly Tuple[],
    options: { readonly model?: AuthorizationModel } = {},
  ): { written: number } {
    const parsed = options.model ? validateTuples(options.model, tuples) : parseTuples(tuples);
    let written = 0;
    for (const tuple of parsed) if (this.apply(tuple)) written++;
    return { written };
  }

  /** Removes tuples, whatever their condition; absent ones are ignored. Returns how many were removed. */
  delete(tuples: readonly TupleKey[]): { deleted: number } {
    const parsed = parseTuples(tuples, { keysOnly: true });
    let deleted = 0;
    for (const tuple of parsed) if (this.remove(tuple)) deleted++;
    return { deleted };
  }

  has(key: TupleKey): boolean {
    const [tuple] = parseTuples([key], { keysOnly: true });
    const found = tuple && this.locate(tuple);
    return found !== undefined && found !== null;
  }

  /** Every stored tuple (for snapshots and debugging; not fast). */
  *tuples(): IterableIterator<Tuple> {
    for (let node = 0; node < this.nodeNames.length; node++) {
      for (const set of this.outgoing[node] ?? []) {
        const object = this.nodeNames[node]!;
        const relation = this.relations.names[set.relation]!;
        for (const term of set.terms ?? []) {
          const binding = set.binding(term);
          yield {
            object,
            relation,
            subject: this.nodeNames[term]!,
            ...(binding ? { condition: { name: binding.name, context: binding.context } } : {}),
          };
        }
        for (const userset of set.usersets ?? []) {
          const binding = set.binding(userset);
          yield {
            object,
            relation,
            subject: `${this.nodeNames[userset.node]!}#${this.relations.names[userset.relation]!}`,
            ...(binding ? { condition: { name: binding.name, context: binding.context } } : {}),
          };
        }
      }
    }
  }

  /** @internal */
  findNode(name: string): number | undefined {
    return this.nodeIds.get(name) ?? this.parent?.findNode(name);
  }

  /** @internal */
  relationSet(node: number, relation: number): RelationSet | undefined {
    const sets = this.outgoing[node];
    if (sets === undefined) return undefined;
    for (let i = 0; i < sets.length; i++) {
      const set = sets[i]!;
      if (set.relation === relation) return set;
    }
    return undefined;
  }

  /** @internal */
  wildcardOf(typeSymbol: number): number {
    return this.wildcards[typeSymbol] ?? -1;
  }

  private ensureNode(type: string, id: string): number {
    const name = `${type}:${id}`;
    const existing = this.findNode(name);
    if (existing !== undefined) return existing;
    const node = this.free.pop() ?? this.nextNode++;
    const typeSymbol = this.types.intern(type);
    this.nodeIds.set(name, node);
    this.nodeNames[node] = name;
    this.nodeTypes[node] = typeSymbol;
    if (id === '*') this.wildcards[typeSymbol] = node;
    return node;
  }

  private ensureRelationSet(node: number, relation: number): RelationSet {
    const found = this.relationSet(node, relation);
    if (found) return found;
    const set = new RelationSet(node, relation);
    const sets = this.outgoing[node];
    if (sets === undefined) this.outgoing[node] = [set];
    else sets.push(set);
    this.relationSetCount++;
    return set;
  }

  private apply(tuple: ParsedTuple): boolean {
    const object = this.ensureNode(tuple.object.type, tuple.object.id);
    const set = this.ensureRelationSet(object, this.relations.intern(tuple.relation));
    const subject = tuple.subject;
    let key: number | RelationSet;
    let added: boolean;
    if (subject.kind === 'userset') {
      const node = this.ensureNode(subject.type, subject.id);
      const userset = this.ensureRelationSet(node, this.relations.intern(subject.relation));
      key = userset;
      const next = collAdd(set.usersets, userset);
      added = next !== null;
      if (next !== null) {
        set.usersets = next;
        userset.usedBy = collAdd(userset.usedBy, set) ?? userset.usedBy;
      }
    } else {
      const node = this.ensureNode(subject.type, subject.kind === 'wildcard' ? '*' : subject.id);
      key = node;
      const next = collAdd(set.terms, node);
      added = next !== null;
      if (next !== null) {
        set.terms = next;
        this.incoming[node] = collAdd(this.incoming[node] ?? null, set) ?? this.incoming[node];
      }
    }
    if (tuple.condition) {
      set.conditions ??= new Map();
      set.conditions.set(key, { name: tuple.condition.name, context: tuple.condition.context });
    } else if (set.conditions !== null) {
      set.conditions.delete(key);
      if (set.conditions.size === 0) set.conditions = null;
    }
    if (added) this.tupleCount++;
    return added;
  }

  /** The relation set and subject key of a stored tuple; null if absent, undefined if a name is unknown. */
  private locate(tuple: ParsedTuple): { set: RelationSet; key: number | RelationSet } | null | undefined {
    const object = this.nodeIds.get(`${tuple.object.type}:${tuple.object.id}`);
    const relation = this.relations.ids.get(tuple.relation);
    if (object === undefined || relation === undefined) return undefined;
    const set = this.relationSet(object, relation);
    if (!set) return null;
    const subject = tuple.subject;
    const node = this.nodeIds.get(
      subject.kind === 'wildcard' ? `${subject.type}:*` : `${subject.type}:${subject.id}`,
    );
    if (node === undefined) return null;
    if (subject.kind === 'userset') {
      const userRelation = this.relations.ids.get(subject.relation);
      const userset = userRelation === undefined ? undefined : this.relationSet(node, userRelation);
      return userset && collHas(set.usersets, userset) ? { set, key: userset } : null;
    }
    return collHas(set.terms, node) ? { set, key: node } : null;
  }

  private remove(tuple: ParsedTuple): boolean {
    const found = this.locate(tuple);
    if (!found) return false;
    const { set, key } = found;
    if (typeof key === 'number') {
      collDelete(set.terms, key);
      if (collSize(set.terms) === 0) set.terms = null;
      const incoming = this.incoming[key] ?? null;
      collDelete(incoming, set);
      if (collSize(incoming) === 0) this.incoming[key] = null;
      this.release(key);
    } else {
      collDelete(set.usersets, key);
      if (collSize(set.usersets) === 0) set.usersets = null;
      collDelete(key.usedBy, set);
      if (collSize(key.usedBy) === 0) key.usedBy = null;
      this.releaseSet(key);
    }
    if (set.conditions !== null) {
      set.conditions.delete(key);
      if (set.conditions.size === 0) set.conditions = null;
    }
    this.tupleCount--;
    this.releaseSet(set);
    return true;
  }

  private releaseSet(set: RelationSet): void {
    if (set.terms !== null || set.usersets !== null || set.usedBy !== null) return;
    const sets = this.outgoing[set.node];
    if (sets === undefined) return;
    const at = sets.indexOf(set);
    if (at < 0) return;
    sets.splice(at, 1);
    this.relationSetCount--;
    if (sets.length === 0) this.outgoing[set.node] = undefined;
    this.release(set.node);
  }

  private release(node: number): void {
    if (this.outgoing[node] !== undefined || collSize(this.incoming[node] ?? null) > 0) return;
    const name = this.nodeNames[node];
    if (name === undefined || name === '') return;
    this.nodeIds.delete(name);
    const typeSymbol = this.nodeTypes[node]!;
    if (this.wildcards[typeSymbol] === node) this.wildcards[typeSymbol] = -1;
    this.nodeNames[node] = '';
    this.nodeTypes[node] = -1;
    this.incoming[node] = undefined;
    this.free.push(node);
  }
}
