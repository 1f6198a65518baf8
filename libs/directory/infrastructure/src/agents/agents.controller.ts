import { ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type AgentView, AgentsService } from './agents.service';

const agentInput = z.strictObject({
  displayName: z.string().trim().min(1).max(256),
  description: z.string().max(2000).nullable().default(null),
  ownerIds: z
    .array(z.string().regex(/^usr_[0-9a-z]{26}$/))
    .min(1)
    .max(20),
  externalId: z.string().min(1).max(512).nullable().default(null),
});
const listAgents = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(40).optional(),
  ownerId: z
    .string()
    .regex(/^usr_[0-9a-z]{26}$/)
    .optional(),
});

@ApiTags('agents')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post('agents')
  @ApiOperation({
    summary: 'Register an agent',
    description: 'An agent is a principal of the organization owned by one or more active users.',
  })
  register(
    @Param('orgId') orgId: string,
    @ZodBody(agentInput) body: z.infer<typeof agentInput>,
  ): Promise<AgentView> {
    return this.agents.register(orgId, body);
  }

  @Get('agents')
  @ApiOperation({ summary: "List an organization's agents (optionally one owner's), with cursor pagination" })
  list(@Param('orgId') orgId: string, @ZodQuery(listAgents) query: z.infer<typeof listAgents>) {
    return this.agents.list(orgId, query);
  }

  @Get('users/:userId/agents')
  @ApiOperation({ summary: 'List the agents a user owns' })
  listOwned(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @ZodQuery(listAgents.omit({ ownerId: true })) query: { limit: number; after?: string },
  ) {
    return this.agents.list(orgId, { ...query, ownerId: userId });
  }

  @Get('agents/:agentId')
  @ApiOperation({ summary: 'Read an agent' })
  get(@Param('orgId') orgId: string, @Param('agentId') agentId: string): Promise<AgentView> {
    return this.agents.get(orgId, agentId);
  }

  @Put('agents/:agentId')
  @ApiOperation({ summary: "Replace an agent's name, description, owners and external id" })
  update(
    @Param('orgId') orgId: string,
    @Param('agentId') agentId: string,
    @ZodBody(agentInput) body: z.infer<typeof agentInput>,
  ): Promise<AgentView> {
    return this.agents.update(orgId, agentId, body);
  }

  @Post('agents/:agentId/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an agent' })
  suspend(@Param('orgId') orgId: string, @Param('agentId') agentId: string): Promise<AgentView> {
    return this.agents.suspend(orgId, agentId);
  }

  @Post('agents/:agentId/reactivate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reactivate a suspended agent',
    description: '412 DIRECTORY_AGENT_OWNER_INACTIVE unless every owner is an active user.',
  })
  reactivate(@Param('orgId') orgId: string, @Param('agentId') agentId: string): Promise<AgentView> {
    return this.agents.reactivate(orgId, agentId);
  }

  @Delete('agents/:agentId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an agent' })
  delete(@Param('orgId') orgId: string, @Param('agentId') agentId: string): Promise<void> {
    return this.agents.delete(orgId, agentId);
  }
}
