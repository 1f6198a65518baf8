import { groupSourceSchema, objectRefSchema, permissionSchema, roleSubjectSchema } from '@mandate/contracts';
import { ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PolicyService } from './policy.service';

const roleInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  permissions: z.array(permissionSchema).max(500).default([]),
  includes: z
    .array(z.string().regex(/^rol_[0-9a-z]{26}$/))
    .max(50)
    .default([]),
});
const createRole = roleInput.extend({ key: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/) });
const assignment = z.strictObject({
  subject: roleSubjectSchema,
  resource: objectRefSchema.nullable().default(null),
});
const assignmentQuery = z.strictObject({
  subject: roleSubjectSchema.optional(),
  resource: objectRefSchema.optional(),
});
const mapping = z.strictObject({
  source: groupSourceSchema,
  roleId: z.string().regex(/^rol_[0-9a-z]{26}$/),
  resource: objectRefSchema.nullable().default(null),
});

/**
 * RBAC: roles (`resource:action` permissions, a hierarchy through `includes`), their assignments to
 * users, agents and groups (organization-wide or on one resource), and group mappings that assign
 * roles to directory groups. Writes answer with a consistency `token` to pass to checks.
 */
@ApiTags('authz: roles')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  @Post('roles')
  @ApiOperation({ summary: 'Create a custom role' })
  createRole(@Param('orgId') orgId: string, @ZodBody(createRole) body: z.infer<typeof createRole>) {
    const { key, ...input } = body;
    return this.policy.createRole(orgId, key, input);
  }

  @Get('roles')
  @ApiOperation({ summary: "List the organization's roles, system roles first" })
  async roles(@Param('orgId') orgId: string) {
    return { data: await this.policy.roles(orgId) };
  }

  @Get('roles/:roleId')
  @ApiOperation({ summary: 'Read a role' })
  role(@Param('orgId') orgId: string, @Param('roleId') roleId: string) {
    return this.policy.role(orgId, roleId);
  }

  @Put('roles/:roleId')
  @ApiOperation({
    summary: "Replace a custom role's name, permissions and included roles",
    description: 'Mandates from users who lose a permission this way are narrowed.',
  })
  updateRole(
    @Param('orgId') orgId: string,
    @Param('roleId') roleId: string,
    @ZodBody(roleInput) body: z.infer<typeof roleInput>,
  ) {
    return this.policy.updateRole(orgId, roleId, body);
  }

  @Delete('roles/:roleId')
  @ApiOperation({ summary: 'Delete a custom role, its assignments and mappings' })
  async deleteRole(@Param('orgId') orgId: string, @Param('roleId') roleId: string) {
    return { token: await this.policy.deleteRole(orgId, roleId) };
  }

  @Post('roles/:roleId/assignments')
  @ApiOperation({
    summary: 'Assign a role to a user, an agent or a group, organization-wide or on one resource',
  })
  assign(
    @Param('orgId') orgId: string,
    @Param('roleId') roleId: string,
    @ZodBody(assignment) body: z.infer<typeof assignment>,
  ) {
    return this.policy.assign(orgId, roleId, body.subject, body.resource);
  }

  @Get('roles/:roleId/assignments')
  @ApiOperation({ summary: "List a role's assignments" })
  async assignments(
    @Param('orgId') orgId: string,
    @Param('roleId') roleId: string,
    @ZodQuery(assignmentQuery) query: z.infer<typeof assignmentQuery>,
  ) {
    return { data: await this.policy.assignments(orgId, { roleId, ...query }) };
  }

  @Delete('roles/:roleId/assignments')
  @ApiOperation({ summary: 'Remove an assignment (subject and resource in the query)' })
  async unassign(
    @Param('orgId') orgId: string,
    @Param('roleId') roleId: string,
    @ZodQuery(assignment) query: z.infer<typeof assignment>,
  ) {
    return { token: await this.policy.unassign(orgId, roleId, query.subject, query.resource) };
  }

  @Post('role-mappings')
  @ApiOperation({
    summary: 'Map a directory group (or an IdP group seen at SSO) to a role',
    description:
      'Organization-wide, or on one resource (`resource: "project:42"`): every member of the group holds the role ' +
      'there, and joiners, movers and leavers follow the directory.',
  })
  createMapping(@Param('orgId') orgId: string, @ZodBody(mapping) body: z.infer<typeof mapping>) {
    return this.policy.createMapping(orgId, body);
  }

  @Get('role-mappings')
  @ApiOperation({ summary: "List the organization's group mappings" })
  async mappings(@Param('orgId') orgId: string) {
    return { data: await this.policy.mappings(orgId) };
  }

  @Get('role-mappings/:mappingId')
  @ApiOperation({ summary: 'Read a group mapping' })
  mapping(@Param('orgId') orgId: string, @Param('mappingId') mappingId: string) {
    return this.policy.mapping(orgId, mappingId);
  }

  @Delete('role-mappings/:mappingId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a group mapping' })
  async deleteMapping(@Param('orgId') orgId: string, @Param('mappingId') mappingId: string) {
    return { token: await this.policy.deleteMapping(orgId, mappingId) };
  }
}
