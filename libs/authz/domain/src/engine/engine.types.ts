import type { Tuple } from '../tuples/tuple';

/** Request-time parameter values for conditions, as JSON (timestamps as RFC 3339 strings, durations as `1h30m`). */
export type RequestContext = Readonly<Record<string, unknown>>;

interface QueryBase {
  /** Tuples that hold for this request only (at most 100), validated against the model. */
  readonly contextualTuples?: readonly Tuple[];
  readonly context?: RequestContext;
}

export interface CheckRequest extends QueryBase {
  /** `type:id` */
  readonly object: string;
  readonly relation: string;
  /** `type:id`, `type:*` or `type:id#relation` (is this userset contained in the relation?) */
  readonly subject: string;
}

/** Why access was refused. Only `allowed: true` grants; every other outcome is a deny. */
export type DenyReason =
  /** No path grants the relation. */
  | 'not_related'
  /** A path needs a condition that could not be evaluated (missing or ill-typed parameter, runtime error). */
  | 'condition_unevaluable'
  /** A path is longer than the resolution depth limit. */
  | 'depth_exceeded'
  /** The check needed more than the resolution budget (pathological data). */
  | 'resolution_limit';

export type CheckResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'not_related' | 'depth_exceeded' | 'resolution_limit' }
  | {
      readonly allowed: false;
      readonly reason: 'condition_unevaluable';
      /** Parameters neither the tuple nor the request supplied. */
      readonly missing: readonly string[];
      /** Parameters supplied with a value of the wrong type. */
      readonly invalid: readonly string[];
    };

export interface ListObjectsRequest extends QueryBase {
  readonly type: string;
  readonly relation: string;
  readonly subject: string;
  /** At most this many objects (default: the engine's `maxListResults`). */
  readonly limit?: number;
}

export interface ListObjectsResult {
  /** `type:id` of each object, in no particular order. */
  readonly objects: readonly string[];
  /** More objects may match: the limit or the work budget was reached. */
  readonly truncated: boolean;
  /** Parameters whose absence kept a conditioned path from being followed. */
  readonly missing: readonly string[];
}

export interface ListSubjectsRequest extends QueryBase {
  readonly object: string;
  readonly relation: string;
  /** `user` (objects of that type, and `user:*` if the wildcard is granted) or a userset type `group#member`. */
  readonly subjectType: string;
  readonly limit?: number;
}

export interface ListSubjectsResult {
  /**
   * `type:id` (or `type:id#relation`) of each subject. `type:*` means every subject of the type is
   * granted through a wildcard — except any that an exclusion removes; `check` is authoritative.
   */
  readonly subjects: readonly string[];
  readonly truncated: boolean;
  readonly missing: readonly string[];
}

export interface ExpandRequest {
  readonly object: string;
  readonly relation: string;
  readonly contextualTuples?: readonly Tuple[];
}

/** One level of the userset tree of `object#relation`, as OpenFGA's Expand: follow usersets with more expands. */
export type ExpandNode =
  | {
      readonly kind: 'direct';
      readonly subjects: readonly { readonly subject: string; readonly condition?: string }[];
    }
  | { readonly kind: 'computed'; readonly userset: string }
  | { readonly kind: 'tupleToUserset'; readonly tupleset: string; readonly usersets: readonly string[] }
  | { readonly kind: 'union' | 'intersection'; readonly children: readonly ExpandNode[] }
  | { readonly kind: 'exclusion'; readonly base: ExpandNode; readonly subtract: ExpandNode };

export interface EngineOptions {
  /** Longest chain of relations a check follows (default 25); longer paths deny with `depth_exceeded`. */
  readonly maxDepth?: number;
  /** Relations one check may resolve (default 50,000); beyond, it denies with `resolution_limit`. */
  readonly maxResolutions?: number;
  /** Default and maximum `limit` of list queries (default 1,000). */
  readonly maxListResults?: number;
  /** Graph steps one list query may take before it returns what it has, `truncated` (default 2,000,000). */
  readonly maxListWork?: number;
}
