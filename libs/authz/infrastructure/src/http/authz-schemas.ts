import { objectRefSchema, permissionSchema } from '@mandate/contracts';
import { z } from 'zod';

export const subjectSchema = z
  .string()
  .min(3)
  .max(320)
  .regex(/^[a-z][a-z0-9_]{0,49}:[^\s#]{1,256}(#[a-z][a-z0-9_]{0,49})?$/);

export const tupleSchema = z.strictObject({
  object: z.string().min(3).max(300),
  relation: z.string().min(1).max(50),
  subject: subjectSchema,
  condition: z
    .strictObject({ name: z.string().min(1).max(50), context: z.record(z.string(), z.unknown()).default({}) })
    .optional(),
});

export const consistencySchema = z.strictObject({ atLeastAsFresh: z.string().max(50).optional() }).optional();

/** The fields of one question: a permission (optionally on a resource), or a relation on an object. */
export const checkFields = {
  subject: subjectSchema,
  onBehalfOf: z
    .string()
    .regex(/^user:usr_[0-9a-z]{26}$/)
    .optional(),
  permission: permissionSchema.optional(),
  resource: objectRefSchema.optional(),
  relation: z.string().min(1).max(50).optional(),
  object: objectRefSchema.optional(),
  contextualTuples: z.array(tupleSchema).max(100).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
};

interface QuestionFields {
  permission?: string | undefined;
  relation?: string | undefined;
  object?: string | undefined;
}

/** Adds the rules every question obeys to a schema of its fields. */
export const asQuestion = <S extends z.ZodType<QuestionFields>>(schema: S) =>
  schema
    .refine((check) => (check.permission !== undefined) !== (check.relation !== undefined), {
      message: 'ask either a permission (optionally on a resource) or a relation on an object',
    })
    .refine((check) => check.relation === undefined || check.object !== undefined, {
      message: 'a relation is asked about an object',
    });

export const checkSchema = asQuestion(z.strictObject(checkFields));

export type CheckBody = z.infer<typeof checkSchema>;

export const questionOf = (check: CheckBody) =>
  check.permission !== undefined
    ? ({ kind: 'permission', permission: check.permission, resource: check.resource ?? null } as const)
    : ({ kind: 'relation', relation: check.relation!, object: check.object! } as const);
