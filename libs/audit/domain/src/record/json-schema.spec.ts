import { checkJsonSchema, type JsonSchema, validateJson } from './json-schema';

const invoiceApproved: JsonSchema = {
  type: 'object',
  required: ['metadata'],
  properties: {
    metadata: {
      type: 'object',
      required: ['invoiceId', 'amount', 'currency'],
      additionalProperties: false,
      properties: {
        invoiceId: { type: 'string', maxLength: 20 },
        amount: { type: 'number', minimum: 0, maximum: 10_000 },
        currency: { enum: ['EUR', 'USD'] },
        lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
        approvedBy: { type: ['string', 'null'] },
      },
    },
  },
};
const valid = { metadata: { invoiceId: 'INV-1', amount: 120.5, currency: 'EUR', approvedBy: null } };
const withMetadata = (metadata: Record<string, unknown>) => ({
  metadata: { ...valid.metadata, ...metadata },
});

describe('the JSON Schema subset for custom actions', () => {
  it('accepts a conforming value', () => expect(validateJson(invoiceApproved, valid)).toBeNull());

  it.each([
    [
      'a missing required property',
      { metadata: { invoiceId: 'INV-1', currency: 'EUR' } },
      '/metadata/amount',
      'is required',
    ],
    ['a value above maximum', withMetadata({ amount: 10_001 }), '/metadata/amount', 'must be ≤ 10000'],
    ['a value below minimum', withMetadata({ amount: -1 }), '/metadata/amount', 'must be ≥ 0'],
    ['a wrong type', withMetadata({ amount: '12' }), '/metadata/amount', 'must be number'],
    [
      'a string too long',
      withMetadata({ invoiceId: 'x'.repeat(21) }),
      '/metadata/invoiceId',
      'must be at most 20 characters long',
    ],
    [
      'a value outside the enum',
      withMetadata({ currency: 'GBP' }),
      '/metadata/currency',
      'must be one of "EUR", "USD"',
    ],
    ['an undeclared property', withMetadata({ note: 'hi' }), '/metadata/note', 'is not allowed here'],
    [
      'a bad array item',
      withMetadata({ lines: [{ sku: 'a' }, { sku: 7 }] }),
      '/metadata/lines/1/sku',
      'must be string',
    ],
    ['a root of the wrong type', [], '/', 'must be object'],
  ])('given %s, then it names the failing path', (_case, value, path, message) =>
    expect(validateJson(invoiceApproved, value)).toEqual({ path, message }),
  );

  it('tells integers from numbers, and counts characters as code points', () => {
    expect(validateJson({ type: 'integer' }, 1.5)).toEqual({ path: '/', message: 'must be integer' });
    expect(validateJson({ type: 'number' }, 3)).toBeNull();
    expect(validateJson({ type: 'string', maxLength: 2 }, '😀😀')).toBeNull();
    expect(validateJson({ type: 'number' }, Number.NaN)).toEqual({ path: '/', message: 'must be number' });
  });

  it('escapes property names in paths (RFC 6901)', () =>
    expect(
      validateJson({ type: 'object', properties: { 'a/b~c': { type: 'string' } } }, { 'a/b~c': 1 }),
    ).toEqual({ path: '/a~1b~0c', message: 'must be string' }));

  it('validates undeclared properties against a schema-valued additionalProperties', () =>
    expect(validateJson({ type: 'object', additionalProperties: { type: 'string' } }, { x: 1 })).toEqual({
      path: '/x',
      message: 'must be string',
    }));

  describe('registering a schema', () => {
    it('accepts the supported keywords', () => expect(checkJsonSchema(invoiceApproved)).toBeNull());

    it.each([
      [
        { type: 'object', properties: { a: { format: 'email' } } },
        '/properties/a/format',
        'the keyword format is not supported',
      ],
      [{ type: 'decimal' }, '/type', 'must name JSON types'],
      [{ maxLength: -1 }, '/maxLength', 'must be a non-negative integer'],
      [{ pattern: '(' }, '/pattern', 'is not a valid regular expression'],
      [{ required: 'a' }, '/required', 'must be an array of property names'],
      [{ items: [] }, '/items', 'a schema must be an object'],
      ['string', '/', 'a schema must be an object'],
    ])('refuses %j at its path', (schema, path, message) =>
      expect(checkJsonSchema(schema)).toEqual({ path, message }),
    );

    it('refuses schemas nested too deep', () => {
      let schema: JsonSchema = { type: 'string' };
      for (let level = 0; level < 20; level += 1) schema = { type: 'array', items: schema };
      expect(checkJsonSchema(schema)?.message).toMatch(/levels deep/);
    });
  });
});
