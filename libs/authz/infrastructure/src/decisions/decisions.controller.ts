import { orgIdSchema } from '@mandate/contracts';
import { CurrentPrincipal, type Principal, ZodBody } from '@mandate/platform';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  asQuestion,
  checkFields,
  checkSchema,
  consistencySchema,
  questionOf,
  subjectSchema,
  tupleSchema,
} from '../http/authz-schemas';
import { organizationOfOrThrow } from '../http/organization-of';
import { DecisionService } from './decision.service';

const withOrg = { orgId: orgIdSchema.optional(), consistency: consistencySchema };
const check = asQuestion(z.strictObject({ ...checkFields, ...withOrg }));
const batch = z.strictObject({ ...withOrg, checks: z.array(checkSchema).min(1).max(100) });
const listObjects = z.strictObject({
  ...withOrg,
  subject: subjectSchema,
  type: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/),
  relation: z.string().min(1).max(50),
  contextualTuples: z.array(tupleSchema).max(100).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});
const listSubjects = z.strictObject({
  ...withOrg,
  object: z.string().min(3).max(300),
  relation: z.string().min(1).max(50),
  subjectType: z.string().regex(/^[a-z][a-z0-9_]{0,49}(#[a-z][a-z0-9_]{0,49})?$/),
  contextualTuples: z.array(tupleSchema).max(100).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Authorization queries. Every answer is a decision — anything that cannot be evaluated is a deny with
 * its reason — and `consistency.atLeastAsFresh` (a token a write returned) waits for that write first.
 */
@ApiTags('authz: decisions')
@ApiBearerAuth()
@Controller('api/v1/authz')
export class DecisionsController {
  constructor(private readonly decisions: DecisionService) {}

  @Post('check')
  @HttpCode(200)
  @ApiOperation({
    summary: 'May this subject do this? (a permission, or a relation on an object)',
    description:
      'For an agent acting for a human, send `subject: agent:<id>` and `onBehalfOf: user:<id>`: the answer is ' +
      "mandate ∩ the human's current power, and says which side denied (`mandate`, `delegator`).",
  })
  async check(@ZodBody(check) body: z.infer<typeof check>, @CurrentPrincipal() principal: Principal) {
    const orgId = organizationOfOrThrow(principal, body.orgId);
    await this.decisions.atLeastAsFresh(body.consistency?.atLeastAsFresh);
    return this.decisions.check({ ...body, orgId, question: questionOf(body) });
  }

  @Post('check/batch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Up to 100 checks at once, answered in order' })
  async batch(@ZodBody(batch) body: z.infer<typeof batch>, @CurrentPrincipal() principal: Principal) {
    const orgId = organizationOfOrThrow(principal, body.orgId);
    await this.decisions.atLeastAsFresh(body.consistency?.atLeastAsFresh);
    const decisions = await this.decisions.checkMany(
      orgId,
      body.checks.map((one) => ({ ...one, question: questionOf(one) })),
    );
    return { decisions };
  }

  @Post('list-objects')
  @HttpCode(200)
  @ApiOperation({ summary: 'The objects of a type on which the subject has the relation' })
  async listObjects(
    @ZodBody(listObjects) body: z.infer<typeof listObjects>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const orgId = organizationOfOrThrow(principal, body.orgId);
    await this.decisions.atLeastAsFresh(body.consistency?.atLeastAsFresh);
    return this.decisions.listObjects({ ...body, orgId });
  }

  @Post('list-subjects')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The subjects (of a type, or usersets like group#member) with the relation on the object',
  })
  async listSubjects(
    @ZodBody(listSubjects) body: z.infer<typeof listSubjects>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const orgId = organizationOfOrThrow(principal, body.orgId);
    await this.decisions.atLeastAsFresh(body.consistency?.atLeastAsFresh);
    return this.decisions.listSubjects({ ...body, orgId });
  }
}
