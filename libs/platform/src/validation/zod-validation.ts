import { type ArgumentMetadata, Body, type PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiProblem } from '../errors/problem';

/** One invalid field, as RFC 9457 suggests: a JSON pointer into the input and what is wrong there. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
  readonly code: string;
}

const escapePointer = (segment: PropertyKey): string =>
  String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

const pointer = (path: readonly PropertyKey[]): string =>
  `#${path.map((s) => `/${escapePointer(s)}`).join('')}`;

/** Flattens a zod error into one entry per field; an unknown field gets its own entry. */
export const fieldErrors = (error: z.ZodError): FieldError[] =>
  error.issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          pointer: pointer([...issue.path, key]),
          detail: 'Unknown field.',
          code: issue.code,
        }))
      : [{ pointer: pointer(issue.path), detail: issue.message, code: issue.code }],
  );

const where: Partial<Record<ArgumentMetadata['type'], string>> = {
  body: 'The request body is not valid.',
  query: 'The query parameters are not valid.',
  param: 'The path parameters are not valid.',
};

/** Validates (and parses) a request value with a zod schema; 400 PLATFORM_VALIDATION_FAILED otherwise. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(readonly schema: S) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw new ApiProblem(
      'PLATFORM_VALIDATION_FAILED',
      (metadata && where[metadata.type]) ?? 'The request is not valid.',
      { extensions: { errors: fieldErrors(result.error) } },
    );
  }
}

export type JsonSchema = Record<string, unknown>;

/** The OpenAPI 3.0 schema of what a zod schema accepts (`io: 'input'`) or produces (`io: 'output'`). */
export const zodToOpenApi = (schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return json;
};

const looseObjects = (node: unknown, path: string): string[] => {
  if (Array.isArray(node)) return node.flatMap((child, index) => looseObjects(child, `${path}/${index}`));
  if (typeof node !== 'object' || node === null) return [];
  const own =
    (node as { type?: unknown }).type === 'object' &&
    'properties' in node &&
    (node as { additionalProperties?: unknown }).additionalProperties !== false
      ? [path || '/']
      : [];
  return [
    ...own,
    ...Object.entries(node).flatMap(([key, child]) => looseObjects(child, `${path}/${escapePointer(key)}`)),
  ];
};

/**
 * Refuses, when the route is declared, a body schema with an object that would accept unknown fields:
 * a typo in a field name must be an error, not silently ignored. Use `z.strictObject`.
 */
export const assertStrictSchema = (schema: z.ZodType): void => {
  const loose = looseObjects(zodToOpenApi(schema), '');
  if (loose.length > 0) {
    throw new TypeError(
      `A request body schema must reject unknown fields (z.strictObject); loose objects at: ${loose.join(', ')}`,
    );
  }
};

const describe = (decorator: MethodDecorator, target: object, key: string | symbol | undefined): void => {
  if (key === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor) decorator(target, key, descriptor);
};

/**
 * The validated request body: `@ZodBody(createThing) body: z.infer<typeof createThing>`. The schema
 * must use strict objects; it also documents the body in the OpenAPI document.
 */
export const ZodBody = (schema: z.ZodType): ParameterDecorator => {
  assertStrictSchema(schema);
  const openApi = zodToOpenApi(schema);
  return (target, key, index) => {
    Body(new ZodValidationPipe(schema))(target, key, index);
    describe(ApiBody({ schema: openApi }), target, key);
  };
};

/** The validated query string, each property of the (object) schema documented as a query parameter. */
export const ZodQuery = (schema: z.ZodObject): ParameterDecorator => {
  const openApi = zodToOpenApi(schema);
  const properties = (openApi['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((openApi['required'] ?? []) as string[]);
  return (target, key, index) => {
    Query(new ZodValidationPipe(schema))(target, key, index);
    for (const [name, property] of Object.entries(properties)) {
      describe(ApiQuery({ name, required: required.has(name), schema: property }), target, key);
    }
  };
};
