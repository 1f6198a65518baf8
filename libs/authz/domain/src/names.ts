/** Type, relation, condition and parameter names. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,49}$/;
/** Object ids, after the `type:` prefix. */
export const ID_PATTERN = /^[A-Za-z0-9_|@.:\-=]{1,256}$/;

const OBJECT = /^([a-z][a-z0-9_]{0,49}):([A-Za-z0-9_|@.:\-=]{1,256})$/;
const SUBJECT = /^([a-z][a-z0-9_]{0,49}):(\*|[A-Za-z0-9_|@.:\-=]{1,256})(?:#([a-z][a-z0-9_]{0,49}))?$/;

export const isName = (value: unknown): value is string =>
  typeof value === 'string' && NAME_PATTERN.test(value);

export interface ParsedObject {
  readonly type: string;
  readonly id: string;
}

/** A tuple's or a request's subject: an object (`user:7`), a wildcard (`user:*`) or a userset (`group:3#member`). */
export type ParsedSubject =
  | { readonly kind: 'object'; readonly type: string; readonly id: string }
  | { readonly kind: 'wildcard'; readonly type: string }
  | { readonly kind: 'userset'; readonly type: string; readonly id: string; readonly relation: string };

export const parseObject = (value: unknown): ParsedObject | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = OBJECT.exec(value);
  if (!match) return undefined;
  return { type: match[1]!, id: match[2]! };
};

export const parseSubject = (value: unknown): ParsedSubject | undefined => {
  if (typeof value !== 'string') return undefined;
  const match = SUBJECT.exec(value);
  if (!match) return undefined;
  const [, type, id, relation] = match as unknown as [string, string, string, string | undefined];
  if (id === '*') return relation === undefined ? { kind: 'wildcard', type } : undefined;
  return relation === undefined ? { kind: 'object', type, id } : { kind: 'userset', type, id, relation };
};

export const formatSubject = (subject: ParsedSubject): string => {
  switch (subject.kind) {
    case 'object':
      return `${subject.type}:${subject.id}`;
    case 'wildcard':
      return `${subject.type}:*`;
    case 'userset':
      return `${subject.type}:${subject.id}#${subject.relation}`;
  }
};
