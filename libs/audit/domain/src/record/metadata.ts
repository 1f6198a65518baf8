import { MAX_METADATA_BYTES, metadataBytes, utf8Length } from './audit-record';
import { type JsonObject, type JsonValue } from './json-schema';

/**
 * Plain data for a record's metadata: drops `undefined` members (JSON has none) and keeps the rest.
 * Only call it with JSON-shaped input (event data, parsed request bodies).
 */
export const jsonObject = (fields: Record<string, unknown>): JsonObject =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as JsonObject;

/**
 * Metadata that fits {@link MAX_METADATA_BYTES}: when the object is too large, its largest members
 * are left out one by one, and named under `omitted` (with `truncated: true`), until it fits.
 * Derived records use it so that a large event (a thousand tuples) still gets its record.
 */
export const boundMetadata = (metadata: JsonObject, maxBytes = MAX_METADATA_BYTES): JsonObject => {
  if (metadataBytes(metadata) <= maxBytes) return metadata;
  const kept: Record<string, JsonValue> = { ...metadata };
  const omitted: string[] = [];
  const sizes = new Map(Object.entries(kept).map(([key, value]) => [key, utf8Length(JSON.stringify(value))]));
  const largestFirst = [...sizes.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
  for (const key of largestFirst) {
    delete kept[key];
    omitted.push(key);
    const candidate = { ...kept, truncated: true, omitted };
    if (metadataBytes(candidate) <= maxBytes) return candidate;
  }
  return { truncated: true, omitted: [] };
};
