import {
  type Cidr,
  type IpAddress,
  ipEquals,
  ipInCidr,
  parseCidr,
  parseDuration,
  parseIp,
  parseTimestamp,
} from './condition-values';

export const SCALAR_TYPES = [
  'string',
  'int',
  'double',
  'bool',
  'timestamp',
  'duration',
  'ipaddress',
] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];
/** A declared parameter type: a scalar or `list<scalar>`. */
export type ValueType = ScalarType | `list<${ScalarType}>`;

export const MAX_EXPRESSION_LENGTH = 4096;
const MAX_NESTING = 48;
const MAX_LIST_LITERAL = 1000;

export const parseValueType = (text: unknown): ValueType | undefined => {
  if (typeof text !== 'string') return undefined;
  const list = /^list<(\w+)>$/.exec(text);
  const scalar = list ? list[1] : text;
  if (!(SCALAR_TYPES as readonly string[]).includes(scalar ?? '')) return undefined;
  return text as ValueType;
};

const elementOf = (type: ValueType): ScalarType | undefined =>
  type.startsWith('list<') ? (type.slice(5, -1) as ScalarType) : undefined;

/** Raised while evaluating (overflow, a malformed runtime string); the condition is then unevaluable. */
export class EvaluationFailure extends Error {
  override readonly name = 'EvaluationFailure';
}

/** Raised while compiling: a syntax or type error, with the character offset. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at offset ${position})`);
  }
}

/** Converts a JSON value (from a tuple's stored context or the request context) to a parameter's runtime value. */
export const convertValue = (type: ValueType, raw: unknown): { ok: true; value: unknown } | { ok: false } => {
  const element = elementOf(type);
  if (element) {
    if (!Array.isArray(raw) || raw.length > 10_000) return { ok: false };
    const values: unknown[] = [];
    for (const item of raw) {
      const converted = convertValue(element, item);
      if (!converted.ok) return converted;
      values.push(converted.value);
    }
    return { ok: true, value: values };
  }
  switch (type as ScalarType) {
    case 'string':
      return typeof raw === 'string' ? { ok: true, value: raw } : { ok: false };
    case 'int':
      return typeof raw === 'number' && Number.isSafeInteger(raw) ? { ok: true, value: raw } : { ok: false };
    case 'double':
      return typeof raw === 'number' && Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false };
    case 'bool':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : { ok: false };
    case 'timestamp': {
      const value = typeof raw === 'string' ? parseTimestamp(raw) : undefined;
      return value === undefined ? { ok: false } : { ok: true, value };
    }
    case 'duration': {
      const value = typeof raw === 'string' ? parseDuration(raw) : undefined;
      return value === undefined ? { ok: false } : { ok: true, value };
    }
    case 'ipaddress': {
      const value = typeof raw === 'string' ? parseIp(raw) : undefined;
      return value === undefined ? { ok: false } : { ok: true, value };
    }
  }
};

// ---------------------------------------------------------------------------------------------- lexer

type Token =
  | { readonly t: 'num'; readonly v: string; readonly pos: number }
  | { readonly t: 'str'; readonly v: string; readonly pos: number }
  | { readonly t: 'id'; readonly v: string; readonly pos: number }
  | { readonly t: 'op'; readonly v: string; readonly pos: number }
  | { readonly t: 'eof'; readonly v: ''; readonly pos: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '(', ')', '[', ']', ','];

const tokenize = (source: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i))!;
      tokens.push({ t: 'num', v: match[0], pos: start });
      i += match[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ t: 'id', v: match[0], pos: start });
      i += match[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new ExpressionError('unterminated string', start);
        const ch = source[i]!;
        if (ch === c) break;
        if (ch === '\\') {
          const next = source[i + 1];
          const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };
          const replacement = next === undefined ? undefined : escapes[next];
          if (replacement === undefined) throw new ExpressionError('invalid escape', i);
          value += replacement;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ t: 'str', v: value, pos: start });
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) throw new ExpressionError(`unexpected character '${c}'`, i);
    tokens.push({ t: 'op', v: op, pos: start });
    i += op.length;
  }
  tokens.push({ t: 'eof', v: '', pos: source.length });
  return tokens;
};

// ---------------------------------------------------------------------------------------------- parser

type Ast =
  | {
      readonly k: 'int' | 'double' | 'string' | 'bool';
      readonly value: number | string | boolean;
      readonly pos: number;
    }
  | { readonly k: 'param'; readonly name: string; readonly pos: number }
  | { readonly k: 'unary'; readonly op: '!' | '-'; readonly operand: Ast; readonly pos: number }
  | {
      readonly k: 'binary';
      readonly op: string;
      readonly left: Ast;
      readonly right: Ast;
      readonly pos: number;
    }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Ast[]; readonly pos: number }
  | { readonly k: 'list'; readonly items: readonly Ast[]; readonly pos: number };

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>=', 'in'],
  ['+', '-'],
];

class Parser {
  private at = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Ast {
    const ast = this.binary(0);
    const next = this.peek();
    if (next.t !== 'eof') throw new ExpressionError(`unexpected '${next.v}'`, next.pos);
    return ast;
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private isOp(token: Token, op: string): boolean {
    return (token.t === 'op' || (op === 'in' && token.t === 'id')) && token.v === op;
  }

  private expect(op: string): void {
    const token = this.peek();
    if (!this.isOp(token, op)) throw new ExpressionError(`expected '${op}'`, token.pos);
    this.at++;
  }

  private nest<T>(pos: number, fn: () => T): T {
    if (++this.depth > MAX_NESTING) throw new ExpressionError('expression nested too deeply', pos);
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private binary(level: number): Ast {
    const ops = BINARY_LEVELS[level];
    if (!ops) return this.unary();
    return this.nest(this.peek().pos, () => {
      let left = this.binary(level + 1);
      for (;;) {
        const token = this.peek();
        const op = ops.find((candidate) => this.isOp(token, candidate));
        if (!op) return left;
        this.at++;
        const right = this.binary(level + 1);
        left = { k: 'binary', op, left, right, pos: token.pos };
      }
    });
  }

  private unary(): Ast {
    const token = this.peek();
    if (this.isOp(token, '!') || this.isOp(token, '-')) {
      this.at++;
      return this.nest(token.pos, () => ({
        k: 'unary',
        op: token.v as '!' | '-',
        operand: this.unary(),
        pos: token.pos,
      }));
    }
    return this.primary();
  }

  private primary(): Ast {
    const token = this.peek();
    this.at++;
    switch (token.t) {
      case 'num': {
        const isDouble = /[.eE]/.test(token.v);
        const value = Number(token.v);
        if (!isDouble && !Number.isSafeInteger(value))
          throw new ExpressionError('integer out of range', token.pos);
        return { k: isDouble ? 'double' : 'int', value, pos: token.pos };
      }
      case 'str':
        return { k: 'string', value: token.v, pos: token.pos };
      case 'id': {
        if (token.v === 'true' || token.v === 'false')
          return { k: 'bool', value: token.v === 'true', pos: token.pos };
        if (token.v === 'in') throw new ExpressionError("unexpected 'in'", token.pos);
        if (this.isOp(this.peek(), '(')) {
          this.at++;
          const args = this.items(')', token.pos);
          return { k: 'call', fn: token.v, args, pos: token.pos };
        }
        return { k: 'param', name: token.v, pos: token.pos };
      }
      case 'op':
        if (token.v === '(') {
          const inner = this.nest(token.pos, () => this.binary(0));
          this.expect(')');
          return inner;
        }
        if (token.v === '[') {
          const items = this.items(']', token.pos);
          if (items.length > MAX_LIST_LITERAL) throw new ExpressionError('list literal too long', token.pos);
          return { k: 'list', items, pos: token.pos };
        }
        throw new ExpressionError(`unexpected '${token.v}'`, token.pos);
      case 'eof':
        throw new ExpressionError('unexpected end of expression', token.pos);
    }
  }

  private items(close: string, pos: number): Ast[] {
    return this.nest(pos, () => {
      const items: Ast[] = [];
      if (this.isOp(this.peek(), close)) {
        this.at++;
        return items;
      }
      for (;;) {
        items.push(this.binary(0));
        if (this.isOp(this.peek(), ',')) {
          this.at++;
          continue;
        }
        this.expect(close);
        return items;
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------- compiler

type Values = readonly unknown[];
type Fn = (values: Values) => unknown;
interface Typed {
  readonly type: ValueType;
  readonly fn: Fn;
  readonly constant?: unknown;
}

const isNumeric = (type: ValueType): boolean => type === 'int' || type === 'double';
const ORDERED: readonly ValueType[] = ['int', 'double', 'string', 'timestamp', 'duration'];

const safeInt = (value: number): number => {
  if (!Number.isSafeInteger(value)) throw new EvaluationFailure('integer overflow');
  return value;
};

const equalsFor = (type: ValueType): ((a: unknown, b: unknown) => boolean) =>
  type === 'ipaddress' ? (a, b) => ipEquals(a as IpAddress, b as IpAddress) : (a, b) => a === b;

const DAY_MS = 86_400_000;
const localMs = (ts: number, offsetMinutes: number): number => {
  if (!Number.isSafeInteger(offsetMinutes) || Math.abs(offsetMinutes) > 24 * 60) {
    throw new EvaluationFailure('offset out of range');
  }
  return ts + offsetMinutes * 60_000;
};
const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** A compiled condition: typed parameters, the indexes of those the expression reads, and its evaluator. */
export interface CompiledExpression {
  readonly referenced: readonly number[];
  /** Returns the boolean result; throws {@link EvaluationFailure} when it cannot be evaluated. */
  readonly evaluate: (values: Values) => boolean;
}

export interface ExpressionParameter {
  readonly name: string;
  readonly type: ValueType;
}

/** Parses and type-checks `source` against the declared parameters; throws {@link ExpressionError}. */
export const compileExpression = (
  source: string,
  parameters: readonly ExpressionParameter[],
): CompiledExpression => {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `expression longer than ${MAX_EXPRESSION_LENGTH} characters`,
      MAX_EXPRESSION_LENGTH,
    );
  }
  const ast = new Parser(tokenize(source)).parse();
  const referenced = new Set<number>();
  const index = new Map(parameters.map((p, i) => [p.name, i] as const));

  const fail = (message: string, pos: number): never => {
    throw new ExpressionError(message, pos);
  };

  const literal = (type: ValueType, value: unknown): Typed => ({ type, fn: () => value, constant: value });

  const compile = (node: Ast): Typed => {
    switch (node.k) {
      case 'int':
      case 'double':
      case 'string':
      case 'bool':
        return literal(node.k, node.value);
      case 'param': {
        const i = index.get(node.name);
        if (i === undefined) return fail(`unknown parameter '${node.name}'`, node.pos);
        referenced.add(i);
        return { type: parameters[i]!.type, fn: (values) => values[i] };
      }
      case 'list': {
        if (node.items.length === 0) return fail('an empty list literal has no type', node.pos);
        const items = node.items.map(compile);
        const first = items[0]!.type;
        if (elementOf(first)) return fail('lists of lists are not supported', node.pos);
        const numeric = items.every((item) => isNumeric(item.type));
        const type: ScalarType = numeric
          ? items.some((i) => i.type === 'double')
            ? 'double'
            : 'int'
          : (first as ScalarType);
        if (!numeric && items.some((item) => item.type !== first))
          return fail('list items must share one type', node.pos);
        const fns = items.map((item) => item.fn);
        if (items.every((item) => 'constant' in item))
          return literal(
            `list<${type}>`,
            items.map((item) => item.constant),
          );
        return { type: `list<${type}>`, fn: (values) => fns.map((fn) => fn(values)) };
      }
      case 'unary': {
        const operand = compile(node.operand);
        if (node.op === '!') {
          if (operand.type !== 'bool') return fail("'!' needs a bool", node.pos);
          return { type: 'bool', fn: (values) => !(operand.fn(values) as boolean) };
        }
        if (operand.type === 'int' || operand.type === 'duration') {
          return { type: operand.type, fn: (values) => safeInt(-(operand.fn(values) as number)) };
        }
        if (operand.type === 'double')
          return { type: 'double', fn: (values) => -(operand.fn(values) as number) };
        return fail("'-' needs an int, a double or a duration", node.pos);
      }
      case 'binary':
        return binary(node.op, compile(node.left), compile(node.right), node.pos);
      case 'call':
        return call(node.fn, node.args.map(compile), node.pos);
    }
  };

  const binary = (op: string, l: Typed, r: Typed, pos: number): Typed => {
    const lf = l.fn;
    const rf = r.fn;
    switch (op) {
      case '||':
      case '&&':
        if (l.type !== 'bool' || r.type !== 'bool') return fail(`'${op}' needs bools`, pos);
        return op === '||'
          ? { type: 'bool', fn: (v) => lf(v) || rf(v) }
          : { type: 'bool', fn: (v) => lf(v) && rf(v) };
      case '==':
      case '!=': {
        const comparable = l.type === r.type || (isNumeric(l.type) && isNumeric(r.type));
        if (!comparable || elementOf(l.type)) return fail(`cannot compare ${l.type} with ${r.type}`, pos);
        const eq = equalsFor(l.type);
        return op === '=='
          ? { type: 'bool', fn: (v) => eq(lf(v), rf(v)) }
          : { type: 'bool', fn: (v) => !eq(lf(v), rf(v)) };
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const comparable =
          (l.type === r.type && ORDERED.includes(l.type)) || (isNumeric(l.type) && isNumeric(r.type));
        if (!comparable) return fail(`cannot order ${l.type} and ${r.type}`, pos);
        const order: Readonly<Record<string, (a: number, b: number) => boolean>> = {
          '<': (a, b) => a < b,
          '<=': (a, b) => a <= b,
          '>': (a, b) => a > b,
          '>=': (a, b) => a >= b,
        };
        const test = order[op]!;
        return { type: 'bool', fn: (v) => test(lf(v) as number, rf(v) as number) };
      }
      case 'in': {
        const element = elementOf(r.type);
        if (!element) return fail("the right side of 'in' must be a list", pos);
        if (!(element === l.type || (isNumeric(element) && isNumeric(l.type)))) {
          return fail(`cannot look for ${l.type} in ${r.type}`, pos);
        }
        const eq = equalsFor(element);
        if (r.constant !== undefined && element !== 'ipaddress') {
          const set = new Set(r.constant as unknown[]);
          return { type: 'bool', fn: (v) => set.has(lf(v)) };
        }
        return { type: 'bool', fn: (v) => (rf(v) as unknown[]).some((item) => eq(lf(v), item)) };
      }
      case '+':
      case '-': {
        const sign = op === '+' ? 1 : -1;
        const arith = (type: ValueType, exact: boolean): Typed => ({
          type,
          fn: exact
            ? (v) => safeInt((lf(v) as number) + sign * (rf(v) as number))
            : (v) => (lf(v) as number) + sign * (rf(v) as number),
        });
        if (l.type === 'int' && r.type === 'int') return arith('int', true);
        if (isNumeric(l.type) && isNumeric(r.type)) return arith('double', false);
        if (l.type === 'duration' && r.type === 'duration') return arith('duration', true);
        if (l.type === 'timestamp' && r.type === 'duration') return arith('timestamp', true);
        if (op === '+' && l.type === 'duration' && r.type === 'timestamp') return arith('timestamp', true);
        if (op === '-' && l.type === 'timestamp' && r.type === 'timestamp') return arith('duration', true);
        if (op === '+' && l.type === 'string' && r.type === 'string') {
          return { type: 'string', fn: (v) => (lf(v) as string) + (rf(v) as string) };
        }
        return fail(`cannot apply '${op}' to ${l.type} and ${r.type}`, pos);
      }
      default:
        return fail(`unknown operator '${op}'`, pos);
    }
  };

  const call = (fn: string, args: readonly Typed[], pos: number): Typed => {
    const arity = (min: number, max = min): void => {
      if (args.length < min || args.length > max)
        fail(`${fn}() takes ${min === max ? min : `${min} to ${max}`} arguments`, pos);
    };
    const want = (i: number, ...types: ValueType[]): void => {
      const arg = args[i];
      if (arg && !types.includes(arg.type))
        fail(`argument ${i + 1} of ${fn}() must be ${types.join(' or ')}`, pos);
    };
    const a0 = args[0]?.fn ?? (() => undefined);
    const a1 = args[1]?.fn ?? (() => 0);
    switch (fn) {
      case 'timestamp':
      case 'duration':
      case 'ipaddress': {
        arity(1);
        want(0, 'string');
        const parser: (text: string) => unknown =
          fn === 'timestamp' ? parseTimestamp : fn === 'duration' ? parseDuration : parseIp;
        const constant = args[0]!.constant;
        if (typeof constant === 'string') {
          const value = parser(constant);
          if (value === undefined) return fail(`invalid ${fn} literal "${constant}"`, pos);
          return literal(fn, value);
        }
        return {
          type: fn,
          fn: (v) => {
            const value = parser(a0(v) as string);
            if (value === undefined) throw new EvaluationFailure(`invalid ${fn}`);
            return value;
          },
        };
      }
      case 'ipInCidr': {
        arity(2);
        want(0, 'ipaddress', 'string');
        want(1, 'string');
        const toIp =
          args[0]!.type === 'string'
            ? (v: Values): IpAddress => {
                const ip = parseIp(a0(v) as string);
                if (!ip) throw new EvaluationFailure('invalid ip address');
                return ip;
              }
            : (v: Values): IpAddress => a0(v) as IpAddress;
        const constant = args[1]!.constant;
        if (typeof constant === 'string') {
          const cidr = parseCidr(constant);
          if (!cidr) return fail(`invalid CIDR "${constant}"`, pos);
          return { type: 'bool', fn: (v) => ipInCidr(toIp(v), cidr) };
        }
        return {
          type: 'bool',
          fn: (v) => {
            const cidr: Cidr | undefined = parseCidr(a1(v) as string);
            if (!cidr) throw new EvaluationFailure('invalid CIDR');
            return ipInCidr(toIp(v), cidr);
          },
        };
      }
      case 'hours':
      case 'minutes':
      case 'dayOfWeek': {
        arity(1, 2);
        want(0, 'timestamp');
        want(1, 'int');
        const offset = args.length === 2 ? a1 : () => 0;
        const part =
          fn === 'hours'
            ? (ms: number) => Math.floor(mod(ms, DAY_MS) / 3_600_000)
            : fn === 'minutes'
              ? (ms: number) => Math.floor(mod(ms, 3_600_000) / 60_000)
              : // 1970-01-01 was a Thursday; Sunday is 0.
                (ms: number) => mod(Math.floor(ms / DAY_MS) + 4, 7);
        return { type: 'int', fn: (v) => part(localMs(a0(v) as number, offset(v) as number)) };
      }
      case 'size': {
        arity(1);
        if (args[0]!.type !== 'string' && !elementOf(args[0]!.type))
          fail('size() takes a string or a list', pos);
        return { type: 'int', fn: (v) => (a0(v) as string | unknown[]).length };
      }
      case 'startsWith':
      case 'endsWith':
      case 'contains': {
        arity(2);
        want(0, 'string');
        want(1, 'string');
        const test =
          fn === 'startsWith'
            ? (s: string, p: string) => s.startsWith(p)
            : fn === 'endsWith'
              ? (s: string, p: string) => s.endsWith(p)
              : (s: string, p: string) => s.includes(p);
        return { type: 'bool', fn: (v) => test(a0(v) as string, a1(v) as string) };
      }
      default:
        return fail(`unknown function '${fn}'`, pos);
    }
  };

  const root = compile(ast);
  if (root.type !== 'bool') throw new ExpressionError(`a condition must be a bool, not ${root.type}`, 0);
  const rootFn = root.fn;
  return {
    referenced: [...referenced].sort((a, b) => a - b),
    evaluate: (values) => rootFn(values) as boolean,
  };
};
