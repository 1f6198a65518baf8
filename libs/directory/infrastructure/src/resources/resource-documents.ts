export const AGENT_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Agent';

interface AgentData {
  readonly externalId: string | null;
  readonly displayName: string;
  readonly description: string | null;
  readonly ownerIds: readonly string[];
}

/** An agent as the SCIM `Agent` resource shows it; the registry's events are its source. */
export const agentDocument = (
  agentId: string,
  agent: AgentData,
  active: boolean,
): Record<string, unknown> => ({
  schemas: [AGENT_SCHEMA_URN],
  id: agentId,
  ...(agent.externalId !== null && { externalId: agent.externalId }),
  displayName: agent.displayName,
  ...(agent.description !== null && { description: agent.description }),
  active,
  owners: agent.ownerIds.map((value) => ({ value })),
});
