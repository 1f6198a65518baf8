import { z } from 'zod';
import { ApiProblem } from '../errors/problem';
import { assertStrictSchema, fieldErrors, ZodValidationPipe, zodToOpenApi } from './zod-validation';

const createUser = z.strictObject({
  email: z.email(),
  name: z.strictObject({ given: z.string().min(1), family: z.string().optional() }),
  groups: z.array(z.strictObject({ 'a/b~c': z.string() })).optional(),
});

describe('ZodValidationPipe', () => {
  const pipe = new ZodValidationPipe(createUser);

  it('returns the parsed value', () => {
    expect(pipe.transform({ email: 'ada@example.com', name: { given: 'Ada' } }, { type: 'body' })).toEqual({
      email: 'ada@example.com',
      name: { given: 'Ada' },
    });
  });

  it('refuses invalid input with 400 PLATFORM_VALIDATION_FAILED and a pointer per field', () => {
    let thrown: unknown;
    try {
      pipe.transform(
        { email: 'nope', name: { given: '', nickname: 'x' }, groups: [{ 'a/b~c': 1 }], role: 'admin' },
        { type: 'body' },
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiProblem);
    const problem = thrown as ApiProblem;
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('PLATFORM_VALIDATION_FAILED');
    expect(problem.detail).toBe('The request body is not valid.');
    expect(problem.extensions['errors']).toEqual([
      expect.objectContaining({ pointer: '#/email', code: 'invalid_format' }),
      expect.objectContaining({ pointer: '#/name/given', code: 'too_small' }),
      { pointer: '#/name/nickname', detail: 'Unknown field.', code: 'unrecognized_keys' },
      expect.objectContaining({ pointer: '#/groups/0/a~1b~0c', code: 'invalid_type' }),
      { pointer: '#/role', detail: 'Unknown field.', code: 'unrecognized_keys' },
    ]);
  });

  it('points at the whole input when it is not an object at all', () => {
    const result = createUser.safeParse(undefined);
    expect(result.success).toBe(false);
    expect(result.error && fieldErrors(result.error)).toEqual([expect.objectContaining({ pointer: '#' })]);
  });
});

describe('request body schemas', () => {
  it('must reject unknown fields at every level', () => {
    expect(() => assertStrictSchema(createUser)).not.toThrow();
    expect(() => assertStrictSchema(z.object({ a: z.string() }))).toThrow(/loose objects at: \//);
    expect(() =>
      assertStrictSchema(z.strictObject({ inner: z.array(z.object({ b: z.number() })).optional() })),
    ).toThrow(/loose objects at: \/properties\/inner/);
    expect(() =>
      assertStrictSchema(z.strictObject({ labels: z.record(z.string(), z.string()) })),
    ).not.toThrow();
  });

  it('are described for OpenAPI 3.0', () => {
    expect(zodToOpenApi(z.strictObject({ at: z.iso.datetime().nullable() }))).toEqual({
      type: 'object',
      properties: {
        at: expect.objectContaining({ type: 'string', format: 'date-time', nullable: true }) as unknown,
      },
      required: ['at'],
      additionalProperties: false,
    });
  });
});
