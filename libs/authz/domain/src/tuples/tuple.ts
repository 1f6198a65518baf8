import { convertValue } from '../conditions/condition-expression';
import { authzError } from '../errors';
import type { AuthorizationModel } from '../model/authorization-model';
import {
  formatSubject,
  isName,
  type ParsedObject,
  type ParsedSubject,
  parseObject,
  parseSubject,
} from '../names';

export interface TupleCondition {
  readonly name: string;
  /** Stored parameter values; they take precedence over the request's context. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** `object#relation@subject`, e.g. `{ object: 'document:42', relation: 'viewer', subject: 'group:3#member' }`. */
export interface Tuple {
  readonly object: string;
  readonly relation: string;
  readonly subject: string;
  readonly condition?: TupleCondition;
}

export type TupleKey = Pick<Tuple, 'object' | 'relation' | 'subject'>;

/** What is wrong with a refused tuple. */
export type TupleFault =
  | 'malformed'
  | 'unknown_object_type'
  | 'unknown_relation'
  | 'relation_not_direct'
  | 'unknown_subject_type'
  | 'subject_type_not_allowed'
  | 'condition_unknown'
  | 'condition_not_allowed'
  | 'condition_required'
  | 'condition_context_invalid';

export interface TupleProblem {
  readonly index: number;
  readonly path: string;
  readonly fault: TupleFault;
  readonly message: string;
}

/** A tuple whose syntax has been checked. */
export interface ParsedTuple {
  readonly object: ParsedObject;
  readonly relation: string;
  readonly subject: ParsedSubject;
  readonly condition?: { readonly name: string; readonly context: Readonly<Record<string, unknown>> };
}

const MAX_CONTEXT_KEYS = 32;
const EMPTY_CONTEXT: Readonly<Record<string, unknown>> = Object.freeze({});

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseOne = (
  input: unknown,
  index: number,
  problems: TupleProblem[],
  keyOnly: boolean,
): ParsedTuple | undefined => {
  const fault = (path: string, message: string): undefined => {
    problems.push({ index, path: `[${index}]${path ? `.${path}` : ''}`, fault: 'malformed', message });
    return undefined;
  };
  if (!isPlainObject(input)) return fault('', 'a tuple is an object with object, relation and subject');
  const object = parseObject(input.object);
  if (!object) return fault('object', `malformed object '${String(input.object)}'; expected type:id`);
  if (!isName(input.relation)) return fault('relation', `malformed relation '${String(input.relation)}'`);
  const subject = parseSubject(input.subject);
  if (!subject) {
    return fault(
      'subject',
      `malformed subject '${String(input.subject)}'; expected type:id, type:* or type:id#relation`,
    );
  }
  if (keyOnly || input.condition === undefined || input.condition === null) {
    return { object, relation: input.relation, subject };
  }
  const condition = input.condition;
  if (!isPlainObject(condition) || !isName(condition.name)) {
    return fault('condition', 'a condition is { name, context? } with a valid name');
  }
  const context = condition.context ?? EMPTY_CONTEXT;
  if (!isPlainObject(context) || Object.keys(context).length > MAX_CONTEXT_KEYS) {
    return fault(
      'condition.context',
      `the context must be an object of at most ${MAX_CONTEXT_KEYS} parameters`,
    );
  }
  return { object, relation: input.relation, subject, condition: { name: condition.name, context } };
};

/** Checks tuples' syntax; throws `AUTHZ_TUPLE_INVALID` (fault `malformed`) naming each bad one. */
export const parseTuples = (
  inputs: readonly unknown[],
  options: { keysOnly?: boolean } = {},
): ParsedTuple[] => {
  const problems: TupleProblem[] = [];
  const parsed: ParsedTuple[] = [];
  inputs.forEach((input, index) => {
    const tuple = parseOne(input, index, problems, options.keysOnly ?? false);
    if (tuple) parsed.push(tuple);
  });
  if (problems.length > 0) throw tupleError(problems);
  return parsed;
};

const tupleError = (problems: readonly TupleProblem[]) =>
  authzError(
    'AUTHZ_TUPLE_INVALID',
    `invalid tuple: ${problems
      .slice(0, 3)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`,
    { problems },
  );

/** Why `tuple` cannot be written under `model`, or undefined if it can. */
export const tupleFault = (
  model: AuthorizationModel,
  tuple: ParsedTuple,
): { fault: TupleFault; path: string; message: string } | undefined => {
  const objectType = model.type(tuple.object.type);
  if (!objectType) {
    return { fault: 'unknown_object_type', path: 'object', message: `unknown type '${tuple.object.type}'` };
  }
  const relation = model.relation(tuple.object.type, tuple.relation);
  if (!relation) {
    return {
      fault: 'unknown_relation',
      path: 'relation',
      message: `type '${objectType.name}' has no relation '${tuple.relation}'`,
    };
  }
  const rule = relation.direct;
  if (!rule) {
    return {
      fault: 'relation_not_direct',
      path: 'relation',
      message: `'${objectType.name}#${relation.name}' is computed; it accepts no tuples`,
    };
  }
  const subject = tuple.subject;
  const subjectType = model.typeIndex.get(subject.type);
  if (subjectType === undefined) {
    return { fault: 'unknown_subject_type', path: 'subject', message: `unknown type '${subject.type}'` };
  }
  const allow =
    subject.kind === 'object'
      ? rule.terminal[subjectType]
      : subject.kind === 'wildcard'
        ? rule.wildcard[subjectType]
        : (() => {
            const r = model.types[subjectType]!.relationIndex.get(subject.relation);
            return r === undefined ? undefined : rule.userset.get(subjectType * 128 + r);
          })();
  const described =
    subject.kind === 'object'
      ? subject.type
      : subject.kind === 'wildcard'
        ? `${subject.type}:*`
        : `${subject.type}#${subject.relation}`;
  if (!allow) {
    return {
      fault: 'subject_type_not_allowed',
      path: 'subject',
      message: `'${objectType.name}#${relation.name}' does not accept subjects '${described}'`,
    };
  }
  const condition = tuple.condition;
  if (!condition) {
    return allow.plain
      ? undefined
      : {
          fault: 'condition_required',
          path: 'condition',
          message: `'${objectType.name}#${relation.name}' accepts '${described}' only with a condition (${[...allow.conditions].join(', ')})`,
        };
  }
  const definition = model.conditions.get(condition.name);
  if (!definition) {
    return {
      fault: 'condition_unknown',
      path: 'condition.name',
      message: `unknown condition '${condition.name}'`,
    };
  }
  if (!allow.conditions.has(condition.name)) {
    return {
      fault: 'condition_not_allowed',
      path: 'condition.name',
      message: `'${objectType.name}#${relation.name}' does not accept '${described}' with condition '${condition.name}'`,
    };
  }
  for (const [name, value] of Object.entries(condition.context)) {
    const parameter = definition.parameters.find((p) => p.name === name);
    if (!parameter) {
      return {
        fault: 'condition_context_invalid',
        path: `condition.context.${name}`,
        message: `condition '${condition.name}' has no parameter '${name}'`,
      };
    }
    if (!convertValue(parameter.type, value).ok) {
      return {
        fault: 'condition_context_invalid',
        path: `condition.context.${name}`,
        message: `'${name}' must be a ${parameter.type}`,
      };
    }
  }
  return undefined;
};

/** Parses tuples and checks them against the model; throws `AUTHZ_TUPLE_INVALID` naming every fault. */
export const validateTuples = (model: AuthorizationModel, inputs: readonly unknown[]): ParsedTuple[] => {
  const parsed = parseTuples(inputs);
  const problems: TupleProblem[] = [];
  parsed.forEach((tuple, index) => {
    const found = tupleFault(model, tuple);
    if (found)
      problems.push({ index, path: `[${index}].${found.path}`, fault: found.fault, message: found.message });
  });
  if (problems.length > 0) throw tupleError(problems);
  return parsed;
};

export const formatTuple = (tuple: ParsedTuple): string =>
  `${tuple.object.type}:${tuple.object.id}#${tuple.relation}@${formatSubject(tuple.subject)}`;
