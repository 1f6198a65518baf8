/**
 * The authorization model as JSON: what travels in events and APIs. See `docs/authz-model.md`.
 *
 * A subject restriction of a direct relation is either a string — `"user"` (an object of that type),
 * `"user:*"` (the wildcard: every object of that type), `"group#member"` (a userset) — or an object
 * that may also name the condition a tuple must carry: `{ "type": "user", "condition": "in_office" }`,
 * `{ "type": "user", "wildcard": true }`, `{ "type": "group", "relation": "member" }`.
 */
export type SubjectRestrictionJson =
  | string
  | {
      readonly type: string;
      readonly relation?: string;
      readonly wildcard?: boolean;
      readonly condition?: string;
    };

export type RewriteJson =
  | { readonly this: readonly SubjectRestrictionJson[] }
  | { readonly computed: string }
  | { readonly tupleToUserset: { readonly tupleset: string; readonly computed: string } }
  | { readonly union: readonly RewriteJson[] }
  | { readonly intersection: readonly RewriteJson[] }
  | { readonly exclusion: { readonly base: RewriteJson; readonly subtract: RewriteJson } };

export interface TypeDefinitionJson {
  readonly relations?: Readonly<Record<string, RewriteJson>>;
}

export interface ConditionJson {
  /** Parameter name → type (`string`, `int`, `double`, `bool`, `timestamp`, `duration`, `ipaddress`, `list<T>`). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly expression: string;
}

export interface ModelJson {
  readonly schemaVersion: '1.0';
  readonly types: Readonly<Record<string, TypeDefinitionJson>>;
  readonly conditions?: Readonly<Record<string, ConditionJson>>;
}
