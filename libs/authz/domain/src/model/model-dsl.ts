import { authzError, type AuthzProblem } from '../errors';
import type { AuthorizationModel } from './authorization-model';
import type { ConditionJson, ModelJson, RewriteJson, SubjectRestrictionJson } from './model.types';
import { validateModel } from './validate-model';

/**
 * Compiles the compact text form of a model to its JSON document (see `docs/authz-model.md`):
 *
 * ```
 * model
 *   schema 1.0
 * type document
 *   relations
 *     define parent: [folder]
 *     define viewer: [user, user:*, group#member] or editor or viewer from parent
 *     define commenter: viewer but not blocked
 *     define auditor: [user with during_business_hours]
 * condition during_business_hours(now: timestamp, tz_offset_minutes: int) {
 *   hours(now, tz_offset_minutes) >= 9 && hours(now, tz_offset_minutes) < 17
 * }
 * ```
 *
 * Operators do not mix without parentheses (`a or (b and c)`). Lines starting with `#` are comments.
 * Throws `AUTHZ_DSL_INVALID` with `{ problems: [{ path: 'line N', message }] }`.
 */
export const parseModelDsl = (text: string): ModelJson => {
  const problems: AuthzProblem[] = [];
  const types: Record<string, { relations?: Record<string, RewriteJson> }> = {};
  const conditions: Record<string, ConditionJson> = {};
  const lines = text.split(/\r?\n/);
  let schema: string | undefined;
  let currentType: Record<string, RewriteJson> | undefined;
  let currentTypeName = '';
  const defined = new Set<string>();

  for (let i = 0; i < lines.length; i++) {
    const at = `line ${i + 1}`;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (message: string): void => {
      problems.push({ path: at, message });
    };
    let match: RegExpExecArray | null;
    if (line === 'model' || line === 'relations') continue;
    if ((match = /^schema\s+(\S+)$/.exec(line))) {
      schema = match[1];
      continue;
    }
    if ((match = /^type\s+(\S+)$/.exec(line))) {
      currentTypeName = match[1]!;
      if (Object.hasOwn(types, currentTypeName)) fail(`type '${currentTypeName}' is defined twice`);
      currentType = {};
      types[currentTypeName] = { relations: currentType };
      continue;
    }
    if ((match = /^define\s+(\S+?)\s*:\s*(.+)$/.exec(line))) {
      if (!currentType) {
        fail('define outside a type');
        continue;
      }
      const name = match[1]!;
      const qualified = `${currentTypeName}.${name}`;
      if (defined.has(qualified)) fail(`relation '${qualified}' is defined twice`);
      defined.add(qualified);
      try {
        currentType[name] = parseRewrite(match[2]!);
      } catch (error) {
        if (!(error instanceof DslError)) throw error;
        fail(error.message);
      }
      continue;
    }
    if ((match = /^condition\s+([^\s(]+)\s*\(([^)]*)\)\s*\{(.*)$/.exec(line))) {
      currentType = undefined;
      const name = match[1]!;
      const parameters: Record<string, string> = {};
      for (const declaration of match[2]!
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const parameter = /^(\S+)\s*:\s*(\S+)$/.exec(declaration);
        if (!parameter) fail(`malformed parameter '${declaration}'; expected name: type`);
        else parameters[parameter[1]!] = parameter[2]!;
      }
      let body = match[3]!;
      let end = body.lastIndexOf('}');
      while (end < 0 && i + 1 < lines.length) {
        body += `\n${lines[++i]!}`;
        end = body.lastIndexOf('}');
      }
      if (end < 0 || body.slice(end + 1).trim() !== '') {
        fail(`condition '${name}' is not closed with '}'`);
        continue;
      }
      if (Object.hasOwn(conditions, name)) fail(`condition '${name}' is defined twice`);
      conditions[name] = { parameters, expression: body.slice(0, end).trim() };
      continue;
    }
    fail(`cannot read '${line}'`);
  }
  if (schema !== '1.0') problems.push({ path: 'line 1', message: "the model must declare 'schema 1.0'" });
  if (problems.length > 0) {
    throw authzError(
      'AUTHZ_DSL_INVALID',
      `invalid model text: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      {
        problems,
      },
    );
  }
  return { schemaVersion: '1.0', types, ...(Object.keys(conditions).length > 0 ? { conditions } : {}) };
};

/** `parseModelDsl` then `validateModel`. */
export const compileModelDsl = (text: string): { model: AuthorizationModel } =>
  validateModel(parseModelDsl(text));

class DslError extends Error {
  override readonly name = 'DslError';
}

const parseRewrite = (source: string): RewriteJson => {
  const tokens = source.match(/\[|\]|\(|\)|,|[^\s[\](),]+/g) ?? [];
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const take = (expected?: string): string => {
    const token = tokens[at++];
    if (token === undefined) throw new DslError(`unexpected end of '${source}'`);
    if (expected !== undefined && token !== expected)
      throw new DslError(`expected '${expected}', found '${token}'`);
    return token;
  };

  const restrictions = (): SubjectRestrictionJson[] => {
    take('[');
    const list: SubjectRestrictionJson[] = [];
    while (peek() !== ']') {
      const subject = take();
      if (peek() === 'with') {
        take();
        const condition = take();
        const userset = /^([^#:]+)#(.+)$/.exec(subject);
        const wildcard = /^([^#:]+):\*$/.exec(subject);
        list.push(
          userset
            ? { type: userset[1]!, relation: userset[2]!, condition }
            : wildcard
              ? { type: wildcard[1]!, wildcard: true, condition }
              : { type: subject, condition },
        );
      } else list.push(subject);
      if (peek() === ',') take();
      else if (peek() !== ']') {
        const found = peek();
        throw new DslError(`expected ',' or ']', found ${found === undefined ? 'the end' : `'${found}'`}`);
      }
    }
    take(']');
    return list;
  };

  const term = (): RewriteJson => {
    const token = peek();
    if (token === '[') return { this: restrictions() };
    if (token === '(') {
      take();
      const inner = expression();
      take(')');
      return inner;
    }
    const name = take();
    if (['or', 'and', 'but', 'not', 'from', 'with', ')', ']', ','].includes(name))
      throw new DslError(`unexpected '${name}'`);
    if (peek() === 'from') {
      take();
      return { tupleToUserset: { tupleset: take(), computed: name } };
    }
    return { computed: name };
  };

  const expression = (): RewriteJson => {
    const first = term();
    const next = peek();
    if (next === 'or' || next === 'and') {
      const operands = [first];
      while (peek() === next) {
        take();
        operands.push(term());
      }
      if (peek() === 'or' || peek() === 'and' || peek() === 'but')
        throw new DslError('use parentheses to mix operators');
      return next === 'or' ? { union: operands } : { intersection: operands };
    }
    if (next === 'but') {
      take();
      take('not');
      const subtract = term();
      if (peek() === 'or' || peek() === 'and' || peek() === 'but')
        throw new DslError('use parentheses to mix operators');
      return { exclusion: { base: first, subtract } };
    }
    return first;
  };

  const rewrite = expression();
  if (at < tokens.length) throw new DslError(`unexpected '${tokens[at]!}'`);
  return rewrite;
};
