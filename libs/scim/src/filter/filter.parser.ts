import { invalidFilter } from '../errors/scim-error';
import { formatAttributePath, parseAttributePath, type AttributePath } from '../schema/attribute-path';
import {
  COMPARE_OPERATORS,
  type CompareOperator,
  type FilterExpression,
  type FilterLiteral,
} from './filter.ast';

export interface FilterLimits {
  /** Longest filter accepted, in characters. */
  readonly maxLength?: number;
  /** Deepest nesting of parentheses, `not` and `[...]` accepted. */
  readonly maxDepth?: number;
}

export const DEFAULT_FILTER_LIMITS = { maxLength: 4096, maxDepth: 16 } as const;

type Token =
  | { readonly type: '(' | ')' | '[' | ']' | 'end'; readonly position: number }
  | { readonly type: 'string'; readonly value: string; readonly position: number }
  | {
      readonly type: 'word';
      readonly text: string;
      readonly position: number;
      readonly spaceBefore: boolean;
    };

const WHITESPACE = /\s/;
const DELIMITERS = new Set(['(', ')', '[', ']', '"']);
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Positions in messages are 1-based, as an editor shows them. */
const at = (position: number) => `at position ${position + 1}`;

const describe = (token: Token): string => {
  switch (token.type) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `the string ${JSON.stringify(token.value)}`;
    case 'word':
      return `'${token.text}'`;
    case '(':
    case ')':
    case '[':
    case ']':
      return `'${token.type}'`;
  }
};

const tokenize = (text: string): Token[] => {
  const tokens: Token[] = [];
  let index = 0;
  let spaceBefore = false;
  while (index < text.length) {
    const char = text.charAt(index);
    if (WHITESPACE.test(char)) {
      index += 1;
      spaceBefore = true;
      continue;
    }
    if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ type: char, position: index });
      index += 1;
    } else if (char === '"') {
      const [value, end] = readString(text, index);
      tokens.push({ type: 'string', value, position: index });
      index = end;
    } else {
      const start = index;
      while (
        index < text.length &&
        !WHITESPACE.test(text.charAt(index)) &&
        !DELIMITERS.has(text.charAt(index))
      ) {
        index += 1;
      }
      tokens.push({ type: 'word', text: text.slice(start, index), position: start, spaceBefore });
    }
    spaceBefore = false;
  }
  tokens.push({ type: 'end', position: text.length });
  return tokens;
};

/** Reads a JSON string starting at the opening quote; returns its value and the index after it. */
const readString = (text: string, start: number): [string, number] => {
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === '"') return [value, index + 1];
    if (char !== '\\') {
      value += char;
      index += 1;
      continue;
    }
    const escape = text.charAt(index + 1);
    const simple = SIMPLE_ESCAPES[escape];
    if (simple !== undefined) {
      value += simple;
      index += 2;
    } else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) {
      value += String.fromCharCode(parseInt(text.slice(index + 2, index + 6), 16));
      index += 6;
    } else {
      throw invalidFilter(`invalid escape sequence in string ${at(index)}`);
    }
  }
  throw invalidFilter(`unterminated string starting ${at(start)}`);
};

const literalFromWord = (text: string): FilterLiteral => {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === 'false') return { type: 'boolean', value: lower === 'true' };
  if (lower === 'null') return { type: 'null' };
  if (JSON_NUMBER.test(text)) return { type: 'number', value: Number(text), text };
  return { type: 'string', value: text };
};

class FilterParser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
  ) {}

  parse(): FilterExpression {
    const filter = this.parseOr(false);
    const next = this.peek();
    if (next.type !== 'end') {
      throw invalidFilter(
        `expected 'and', 'or' or the end of the filter ${at(next.position)}, found ${describe(next)}`,
      );
    }
    return filter;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: 'end', position: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.type === 'word' && token.text.toLowerCase() === keyword;
  }

  private parseOr(inValuePath: boolean): FilterExpression {
    const filters = [this.parseAnd(inValuePath)];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      filters.push(this.parseAnd(inValuePath));
    }
    return combine('or', filters);
  }

  private parseAnd(inValuePath: boolean): FilterExpression {
    const filters = [this.parseUnary(inValuePath)];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      filters.push(this.parseUnary(inValuePath));
    }
    return combine('and', filters);
  }

  private parseUnary(inValuePath: boolean): FilterExpression {
    const token = this.peek();
    if (this.isKeyword(token, 'not')) {
      this.next();
      return this.nested(token.position, () => ({ kind: 'not', filter: this.parseUnary(inValuePath) }));
    }
    if (token.type === '(') {
      this.next();
      return this.nested(token.position, () => {
        const filter = this.parseOr(inValuePath);
        this.expect(')', "')' to close the group opened " + at(token.position));
        return filter;
      });
    }
    return this.parseAttributeExpression(inValuePath);
  }

  private nested(position: number, parse: () => FilterExpression): FilterExpression {
    this.depth += 1;
    if (this.depth > this.maxDepth) {
      throw invalidFilter(`filter nested deeper than ${this.maxDepth} levels ${at(position)}`);
    }
    const filter = parse();
    this.depth -= 1;
    return filter;
  }

  private expect(type: ')' | ']', what: string): void {
    const token = this.next();
    if (token.type !== type)
      throw invalidFilter(`expected ${what} ${at(token.position)}, found ${describe(token)}`);
  }

  private parsePath(token: Token): AttributePath {
    if (token.type !== 'word') {
      throw invalidFilter(`expected an attribute name ${at(token.position)}, found ${describe(token)}`);
    }
    const path = parseAttributePath(token.text);
    if (!path) throw invalidFilter(`'${token.text}' is not an attribute path ${at(token.position)}`);
    return path;
  }

  private parseAttributeExpression(inValuePath: boolean): FilterExpression {
    const pathToken = this.next();
    const path = this.parsePath(pathToken);
    if (this.peek().type === '[') {
      const open = this.next();
      if (inValuePath) throw invalidFilter(`a value filter cannot hold another one ${at(open.position)}`);
      if (path.subAttribute !== undefined) {
        throw invalidFilter(`'[' must follow an attribute, not a sub-attribute ${at(open.position)}`);
      }
      const inner = this.nested(open.position, () => {
        const filter = this.parseOr(true);
        this.expect(']', "']' to close the value filter opened " + at(open.position));
        return filter;
      });
      const after = this.peek();
      // Entra: emails[type eq "work"].value eq "x" — the value of the selected values must match.
      if (after.type === 'word' && !after.spaceBefore && after.text.startsWith('.')) {
        this.next();
        const sub = parseAttributePath(after.text.slice(1));
        if (!sub || sub.schema !== undefined || sub.subAttribute !== undefined) {
          throw invalidFilter(`'${after.text}' is not a sub-attribute ${at(after.position)}`);
        }
        const condition = this.parseCondition(sub);
        return { kind: 'valuePath', path, filter: combine('and', [inner, condition]) };
      }
      return { kind: 'valuePath', path, filter: inner };
    }
    return this.parseCondition(path);
  }

  /** PATCH `path` (RFC 7644 §3.5.2, Figure 7): `attrPath / valuePath [subAttr]`. */
  parsePatchPath(): PatchPathExpression {
    const pathToken = this.next();
    const path = this.parsePath(pathToken);
    let filter: FilterExpression | undefined;
    let subAttribute: string | undefined;
    if (this.peek().type === '[') {
      const open = this.next();
      if (path.subAttribute !== undefined) {
        throw invalidFilter(`'[' must follow an attribute, not a sub-attribute ${at(open.position)}`);
      }
      filter = this.nested(open.position, () => {
        const inner = this.parseOr(true);
        this.expect(']', "']' to close the value filter opened " + at(open.position));
        return inner;
      });
      const after = this.peek();
      if (after.type === 'word' && !after.spaceBefore && after.text.startsWith('.')) {
        this.next();
        const sub = parseAttributePath(after.text.slice(1));
        if (!sub || sub.schema !== undefined || sub.subAttribute !== undefined) {
          throw invalidFilter(`'${after.text}' is not a sub-attribute ${at(after.position)}`);
        }
        subAttribute = sub.attribute;
      }
    }
    const end = this.peek();
    if (end.type !== 'end') throw invalidFilter(`unexpected ${describe(end)} ${at(end.position)}`);
    return { path, filter, subAttribute };
  }

  private parseCondition(path: AttributePath): FilterExpression {
    const operatorToken = this.next();
    const name = formatAttributePath(path);
    if (operatorToken.type !== 'word') {
      throw invalidFilter(
        `expected an operator after '${name}' ${at(operatorToken.position)}, found ${describe(operatorToken)}`,
      );
    }
    const operator = operatorToken.text.toLowerCase();
    if (operator === 'pr') return { kind: 'present', path };
    if (!COMPARE_OPERATORS.includes(operator as CompareOperator)) {
      throw invalidFilter(
        `unknown operator '${operatorToken.text}' after '${name}' ${at(operatorToken.position)}; ` +
          `expected one of ${COMPARE_OPERATORS.join(', ')}, pr`,
      );
    }
    const valueToken = this.next();
    let value: FilterLiteral;
    if (valueToken.type === 'string') value = { type: 'string', value: valueToken.value };
    else if (valueToken.type === 'word') value = literalFromWord(valueToken.text);
    else {
      throw invalidFilter(
        `expected a value after '${name} ${operator}' ${at(valueToken.position)}, found ${describe(valueToken)}`,
      );
    }
    return { kind: 'comparison', path, operator: operator as CompareOperator, value };
  }
}

const combine = (kind: 'and' | 'or', filters: FilterExpression[]): FilterExpression => {
  const flat = filters.flatMap((filter) => (filter.kind === kind ? filter.filters : [filter]));
  const [only] = flat;
  return flat.length === 1 && only ? only : { kind, filters: flat };
};

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) into its syntax tree. Attribute names and operators are
 * case-insensitive; also accepts Entra's `attr[filter].sub op value` and unquoted string values.
 * Throws `invalidFilter` with the position of the first problem.
 */
export const parseFilter = (text: string, limits: FilterLimits = {}): FilterExpression => {
  const maxLength = limits.maxLength ?? DEFAULT_FILTER_LIMITS.maxLength;
  const maxDepth = limits.maxDepth ?? DEFAULT_FILTER_LIMITS.maxDepth;
  if (text.length > maxLength) throw invalidFilter(`filter longer than ${maxLength} characters`);
  if (text.trim() === '') throw invalidFilter('empty filter');
  return new FilterParser(tokenize(text), maxDepth).parse();
};

export interface PatchPathExpression {
  readonly path: AttributePath;
  readonly filter: FilterExpression | undefined;
  readonly subAttribute: string | undefined;
}

/** Parses a PATCH operation's `path`; syntax errors are `invalidFilter` (the caller reports `invalidPath`). */
export const parsePatchPath = (text: string, limits: FilterLimits = {}): PatchPathExpression => {
  const maxLength = limits.maxLength ?? DEFAULT_FILTER_LIMITS.maxLength;
  const maxDepth = limits.maxDepth ?? DEFAULT_FILTER_LIMITS.maxDepth;
  if (text.length > maxLength) throw invalidFilter(`path longer than ${maxLength} characters`);
  return new FilterParser(tokenize(text), maxDepth).parsePatchPath();
};
