export const AGENT_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Agent';

interface AgentData {
  readonly externalId: string | null;
  readonly displayName: string;
  readonly description: string | null;
  readonly ownerIds: readonly string[];
  readonly resource: Readonly<Record<string, unknown>> | null;
}

/**
 * An agent as the SCIM `Agent` resource shows it: the document its IdP provisioned, or one built
 * from the registry's details for an agent managed through the API. A suspended agent always says so.
 */
export const agentDocument = (agentId: string, agent: AgentData, active: boolean): Record<string, unknown> =>
  agent.resource === null
    ? builtAgentDocument(agentId, agent, active)
    : { ...agent.resource, id: agentId, ...(!active && { active: false }) };

const builtAgentDocument = (agentId: string, agent: AgentData, active: boolean): Record<string, unknown> => ({
  schemas: [AGENT_SCHEMA_URN],
  id: agentId,
  ...(agent.externalId !== null && { externalId: agent.externalId }),
  displayName: agent.displayName,
  ...(agent.description !== null && { description: agent.description }),
  active,
  owners: agent.ownerIds.map((value) => ({ value })),
});
