import { DomainError } from '@mandate/kernel';

/**
 * The bytes an audit record is hashed as: its RFC 8785 (JCS) canonical JSON in UTF-8. Only plain JSON
 * values are accepted (null, booleans, finite numbers, strings, arrays, plain objects); anything JSON would
 * silently drop or coerce (undefined, NaN, a Date, a Map, a cycle) is refused, as two writers could
 * disagree about it.
 */
export const canonicalBytes = (record: unknown): Uint8Array => Buffer.from(canonicalJson(record), 'utf8');

export const canonicalJson = (value: unknown): string => serialize(value, '$', new Set());

const notJson = (path: string, what: string): DomainError =>
  new DomainError('invalid', 'AUDIT_RECORD_NOT_JSON', `${path} is ${what}, which is not a plain JSON value`);

const serialize = (value: unknown, path: string, ancestors: Set<object>): string => {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, String(value));
      // ECMAScript's Number-to-String is what RFC 8785 §3.2.2.3 prescribes; JSON.stringify(-0) is "0".
      return JSON.stringify(value);
    case 'string':
      return serializeString(value, path);
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, path, ancestors);
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw notJson(path, typeof value);
  }
};

const serializeString = (value: string, path: string): string => {
  if (/[\ud800-\udfff]/u.test(value)) throw notJson(path, 'a string with a lone surrogate');
  // JSON.stringify escapes exactly as RFC 8785 §3.2.2.2 asks: \b \t \n \f \r \" \\, other controls as \u00xx.
  return JSON.stringify(value);
};

const serializeContainer = (value: object, path: string, ancestors: Set<object>): string => {
  if (ancestors.has(value)) throw notJson(path, 'a cycle');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw notJson(`${path}[${i}]`, 'a hole');
        items.push(serialize(value[i], `${path}[${i}]`, ancestors));
      }
      return `[${items.join(',')}]`;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw notJson(path, `a ${value.constructor?.name ?? 'class instance'}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw notJson(path, 'an object with symbol keys');
    const record = value as Record<string, unknown>;
    // Sorting strings with `<` compares UTF-16 code units, the order RFC 8785 §3.2.3 requires.
    const members = Object.keys(record)
      .sort()
      .map((key) => `${serializeString(key, path)}:${serialize(record[key], `${path}.${key}`, ancestors)}`);
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
};
