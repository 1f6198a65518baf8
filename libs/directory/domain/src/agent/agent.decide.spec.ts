import { type AgentEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { type AgentCommand, agentDecider } from './agent.decide';

const given = deciderSpecification(agentDecider);
const orgId = 'org_01k00000000000000000000000';
const agentId = 'agt_01k00000000000000000000000';
const ada = 'usr_01k00000000000000000000001';
const bob = 'usr_01k00000000000000000000002';
const t1 = new Date('2026-11-02T09:00:00.000Z');

const details = {
  externalId: null,
  displayName: 'Invoice bot',
  description: 'Approves invoices',
  ownerIds: [ada],
  resource: null,
};
const command = <C extends AgentCommand>(type: C['type'], data: C['data']) => ({ type, data, now: t1 }) as C;
const registered = (): AgentEvent => ({
  type: 'directory.agent.registered',
  data: { orgId, agentId, directoryId: null, ...details, source: 'admin', registeredAt: t1.toISOString() },
});
const suspended = (): AgentEvent => ({
  type: 'directory.agent.suspended',
  data: { orgId, agentId, reason: 'owner_left', ownerId: ada, suspendedAt: t1.toISOString() },
});

describe('agent', () => {
  it('is registered under active owners only', () => {
    given([])
      .when(
        command('RegisterAgent', {
          orgId,
          agentId,
          directoryId: null,
          ...details,
          source: 'admin',
          activeOwnerIds: [ada],
        }),
      )
      .then([registered()]);
    given([])
      .when(
        command('RegisterAgent', {
          orgId,
          agentId,
          directoryId: null,
          ...details,
          source: 'admin',
          activeOwnerIds: [],
        }),
      )
      .thenThrows('DIRECTORY_AGENT_OWNER_INACTIVE');
    given([])
      .when(
        command('RegisterAgent', {
          orgId,
          agentId,
          directoryId: null,
          ...details,
          ownerIds: [],
          source: 'admin',
          activeOwnerIds: [],
        }),
      )
      .thenThrows('DIRECTORY_AGENT_OWNERS_INVALID');
  });

  it('is suspended when its owner leaves, and only once', () => {
    given([registered()])
      .when(command('SuspendAgent', { reason: 'owner_left', ownerId: ada }))
      .then([suspended()]);
    given([registered(), suspended()])
      .when(command('SuspendAgent', { reason: 'owner_left', ownerId: ada }))
      .thenNothingHappened();
  });

  it('is reactivated only when every owner is active again', () => {
    given([registered(), suspended()])
      .when(command('ReactivateAgent', { activeOwnerIds: [] }))
      .thenThrows('DIRECTORY_AGENT_OWNER_INACTIVE');
    given([registered(), suspended()])
      .when(command('ReactivateAgent', { activeOwnerIds: [ada] }))
      .then([
        { type: 'directory.agent.reactivated', data: { orgId, agentId, reactivatedAt: t1.toISOString() } },
      ]);
  });

  it('a suspended agent can be handed to a new owner, then reactivated', () =>
    given([registered(), suspended()])
      .when(command('UpdateAgent', { ...details, ownerIds: [bob], source: 'admin', activeOwnerIds: [bob] }))
      .then([
        {
          type: 'directory.agent.updated',
          data: {
            orgId,
            agentId,
            directoryId: null,
            ...details,
            ownerIds: [bob],
            changed: ['ownerIds'],
            source: 'admin',
          },
        },
      ]));

  it('is not found once deleted', () =>
    given([
      registered(),
      {
        type: 'directory.agent.deleted',
        data: { orgId, agentId, reason: 'admin', deletedAt: t1.toISOString() },
      },
    ])
      .when(command('SuspendAgent', { reason: 'admin', ownerId: null }))
      .thenThrows('DIRECTORY_AGENT_NOT_FOUND'));
});
