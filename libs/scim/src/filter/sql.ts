/** A parameterized SQL fragment: `$n` placeholders in `sql`, their values in `params`, in order. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
  /** The number of the next free placeholder, to append further conditions. */
  readonly nextParam: number;
}

const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/;
// Schema URNs and attribute names as the registry admits them; nothing else reaches SQL text.
const JSON_KEY = /^[A-Za-z0-9:._~$-]+$/;

export const sqlColumn = (column: string): string => {
  if (!SQL_IDENTIFIER.test(column)) throw new Error(`Not a plain SQL column reference: ${column}`);
  return column;
};

/** A JSON key as an SQL string literal. */
export const sqlKey = (key: string): string => {
  if (!JSON_KEY.test(key)) throw new Error(`Refusing to put ${JSON.stringify(key)} into SQL`);
  return `'${key.replace(/'/g, "''")}'`;
};

/** `expression` when it is a JSON array, else an empty one: `jsonb_array_elements` fails on anything else. */
export const sqlArrayOrEmpty = (expression: string): string =>
  `case when jsonb_typeof(${expression}) = 'array' then ${expression} else '[]'::jsonb end`;

export class SqlParameters {
  readonly values: unknown[] = [];
  private aliases = 0;

  constructor(private readonly firstParam: number) {
    if (!Number.isInteger(firstParam) || firstParam < 1)
      throw new Error('firstParam must be a positive integer');
  }

  add(value: unknown, cast: 'text' | 'numeric' | 'timestamptz' | 'boolean'): string {
    this.values.push(value);
    return `$${this.firstParam + this.values.length - 1}::${cast}`;
  }

  alias(prefix: string): string {
    this.aliases += 1;
    return `${prefix}${this.aliases}`;
  }

  get nextParam(): number {
    return this.firstParam + this.values.length;
  }
}
