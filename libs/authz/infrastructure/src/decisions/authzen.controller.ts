import { DomainError } from '@mandate/kernel';
import { CurrentPrincipal, type Principal, ZodBody } from '@mandate/platform';
import { Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { organizationOfOrThrow } from '../http/organization-of';
import { type Decision, DecisionService, type Question } from './decision.service';

const entity = z.strictObject({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/),
  id: z.string().min(1).max(256),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const action = z.strictObject({
  name: z.string().min(1).max(128),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const evaluation = z.strictObject({
  subject: entity,
  action,
  resource: entity,
  context: z.record(z.string(), z.unknown()).optional(),
});
const partial = evaluation.partial();
const evaluations = partial.extend({ evaluations: z.array(partial).min(1).max(100) });

const onBehalfOf = (subject: z.infer<typeof entity>): string | undefined => {
  const delegator = subject.properties?.['on_behalf_of'];
  if (delegator && typeof delegator === 'object' && 'id' in delegator && typeof delegator.id === 'string') {
    return `user:${delegator.id}`;
  }
  return undefined;
};

/** `documents:read` is a permission (RBAC, on the resource); a bare name (`viewer`) a relation of the model. */
const questionOf = (name: string, resource: z.infer<typeof entity>): Question => {
  const object = `${resource.type}:${resource.id}`;
  return name.includes(':')
    ? { kind: 'permission', permission: name, resource: object }
    : { kind: 'relation', relation: name, object };
};

const toAuthZen = (decision: Decision) => ({
  decision: decision.allowed,
  ...(decision.allowed
    ? decision.mandateId && { context: { mandate_id: decision.mandateId } }
    : {
        context: {
          reason_admin: {
            reason: decision.reason,
            ...(decision.mandate && { mandate: decision.mandate, delegator: decision.delegator }),
          },
        },
      }),
});

/**
 * The OpenID AuthZEN Authorization API 1.0 evaluation endpoints over the same decisions as
 * `/api/v1/authz/check`. The organization is the API key's, or `X-Mandate-Organization` with the admin
 * key. An agent acting for a human carries `properties.on_behalf_of: { type: "user", id }`.
 */
@ApiTags('authz: AuthZEN')
@ApiBearerAuth()
@Controller('access/v1')
export class AuthZenController {
  constructor(private readonly decisions: DecisionService) {}

  @Post('evaluation')
  @HttpCode(200)
  @ApiOperation({ summary: 'AuthZEN Access Evaluation API' })
  async evaluation(
    @ZodBody(evaluation) body: z.infer<typeof evaluation>,
    @CurrentPrincipal() principal: Principal,
    @Headers('x-mandate-organization') organization?: string,
  ) {
    const orgId = organizationOfOrThrow(principal, organization);
    return toAuthZen(
      await this.decisions.check({
        orgId,
        subject: `${body.subject.type}:${body.subject.id}`,
        onBehalfOf: onBehalfOf(body.subject),
        question: questionOf(body.action.name, body.resource),
        context: body.context,
      }),
    );
  }

  @Post('evaluations')
  @HttpCode(200)
  @ApiOperation({ summary: 'AuthZEN Access Evaluations API (each item inherits the top-level defaults)' })
  async evaluations(
    @ZodBody(evaluations) body: z.infer<typeof evaluations>,
    @CurrentPrincipal() principal: Principal,
    @Headers('x-mandate-organization') organization?: string,
  ) {
    const orgId = organizationOfOrThrow(principal, organization);
    const { evaluations: list, ...defaults } = body;
    const items = list.map((item, index) => {
      const parsed = evaluation.safeParse({ ...defaults, ...item });
      if (!parsed.success) {
        throw new DomainError(
          'invalid',
          'AUTHZ_EVALUATION_INCOMPLETE',
          `evaluations[${index}] needs a subject, an action and a resource (its own or the request's)`,
        );
      }
      return parsed.data;
    });
    const decisions = await this.decisions.checkMany(
      orgId,
      items.map((item) => ({
        subject: `${item.subject.type}:${item.subject.id}`,
        onBehalfOf: onBehalfOf(item.subject),
        question: questionOf(item.action.name, item.resource),
        context: item.context ?? body.context,
      })),
    );
    return { evaluations: decisions.map(toAuthZen) };
  }
}
