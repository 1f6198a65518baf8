/** An entity tag from a header: `W/"3"` is `{ weak: true, opaque: '3' }`. */
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** A parsed `If-Match` / `If-None-Match` header: `*`, or the listed tags. */
export type EntityTagCondition =
  { readonly kind: 'any' } | { readonly kind: 'tags'; readonly tags: EntityTag[] };

/** `meta.version` and the ETag header for an aggregate revision (RFC 7644 §3.14). */
export const formatVersion = (revision: number | bigint): string => `W/"${revision.toString()}"`;

/** The revision in a tag made by `formatVersion`, weak or strong; undefined for anything else. */
export const parseVersion = (tag: string): bigint | undefined => {
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(tag);
  return match?.[1] === undefined ? undefined : BigInt(match[1]);
};

const ENTITY_TAG = /\s*(W\/)?"([^"]*)"\s*(?:,|$)/y;

/**
 * Parses `If-Match` (RFC 9110 §13.1.1): `*`, or a comma-separated list of strong or weak tags.
 * Returns undefined when the header is absent or empty; throws nothing — a malformed list
 * yields the tags read before the first malformed one, so a garbled header can never match.
 */
export const parseIfMatch = (
  header: string | readonly string[] | undefined,
): EntityTagCondition | undefined => {
  const text = (typeof header === 'string' ? header : header?.join(','))?.trim();
  if (!text) return undefined;
  if (text === '*') return { kind: 'any' };
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < text.length) {
    const match = ENTITY_TAG.exec(text);
    if (!match) break;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
  }
  return { kind: 'tags', tags };
};

/**
 * Whether a write may proceed given `If-Match` and the resource's current revision. Our tags are
 * weak, so the comparison ignores weakness (what SCIM clients expect); `*` matches any existing resource.
 */
export const ifMatchSatisfied = (
  condition: EntityTagCondition | undefined,
  currentRevision: number | bigint | undefined,
): boolean => {
  if (condition === undefined) return true;
  if (currentRevision === undefined) return false;
  if (condition.kind === 'any') return true;
  const current = currentRevision.toString();
  return condition.tags.some((tag) => tag.opaque === current);
};
