import { type LoginSucceeded, type RoleAssigned, type RoleUnassigned } from '@mandate/contracts';
import { type Event, type RecordedEvent } from '@mandate/kernel';
import { type AssignmentView, type RoleView } from '../policy/policy.service';
import { SSO_ROLE_UNKNOWN, type SsoLoginLedger, SsoRolesHandler } from './sso-roles.handler';

const orgId = 'org_01k00000000000000000000000';
const userId = 'usr_01k00000000000000000000001';
const okta = 'con_01k00000000000000000000001';
const entra = 'con_01k00000000000000000000002';
const approver = 'rol_01k00000000000000000000001';
const member = 'rol_01k00000000000000000000002';
const auditor = 'rol_01k00000000000000000000003';
const subject = `user:${userId}`;

const role = (id: string, key: string): RoleView => ({
  id,
  key,
  name: key,
  description: '',
  permissions: [],
  includes: [],
  system: false,
  updatedAt: '2026-11-01T00:00:00.000Z',
});

const login = (
  roles: string[],
  overrides: Partial<LoginSucceeded['data']> = {},
): RecordedEvent<LoginSucceeded> => ({
  id: `evt-${Math.random()}`,
  type: 'authn.login.succeeded',
  schemaVersion: 1,
  orgId,
  stream: 'login-1',
  streamRevision: 0,
  position: { commit: 1n, prepare: 1n },
  occurredAt: new Date('2026-11-02T09:00:00Z'),
  actor: { type: 'system', id: 'authn' },
  causationId: null,
  correlationId: 'corr-1',
  data: {
    orgId,
    userId,
    connectionId: okta,
    method: 'saml',
    subject: 'ada@acme.example',
    amr: ['pwd'],
    acr: 'urn:mandate:acr:sso',
    mfaFactor: null,
    groups: [],
    roles,
    clientId: null,
    idpInitiated: false,
    request: { ip: null, userAgent: null, requestId: null },
    succeededAt: '2026-11-02T09:00:00.000Z',
    ...overrides,
  },
});

/** The assignments read model, kept by the writer as the projection would keep it. */
class World {
  assignments: AssignmentView[] = [];
  appended: Event[][] = [];
  warnings: Record<string, unknown>[] = [];
  private readonly applied = new Map<string, Date>();

  readonly ledger: SsoLoginLedger = {
    lastApplied: (_org, user, connection) =>
      Promise.resolve(this.applied.get(`${user}/${connection}`) ?? null),
    recordApplied: (_org, user, connection, at) => {
      const key = `${user}/${connection}`;
      const last = this.applied.get(key);
      if (!last || last < at) this.applied.set(key, at);
      return Promise.resolve();
    },
  };

  readonly handler = new SsoRolesHandler(
    this.ledger,
    {
      append: (_stream, _org, events) => {
        this.appended.push([...events]);
        for (const event of events as (RoleAssigned | RoleUnassigned)[]) {
          const { roleId, source = null } = event.data;
          if (event.type === 'authz.role.assigned') {
            this.assignments.push({
              roleId,
              subject: event.data.subject,
              resource: null,
              mappingId: null,
              source,
              assignedAt: '2026-11-02T09:00:00.000Z',
            });
          } else {
            this.assignments = this.assignments.filter((a) => !(a.roleId === roleId && a.source === source));
          }
        }
        return Promise.resolve({ commit: 2n, prepare: 2n });
      },
    },
    {
      roles: () =>
        Promise.resolve([role(approver, 'approver'), role(member, 'member'), role(auditor, 'auditor')]),
      assignments: (_org, filter) =>
        Promise.resolve(
          this.assignments.filter(
            (a) =>
              a.subject === filter.subject && (filter.source === undefined || a.source === filter.source),
          ),
        ),
    },
    { warn: (message) => this.warnings.push(message as Record<string, unknown>) },
  );

  held(source: string | null) {
    return this.assignments
      .filter((a) => a.source === source)
      .map((a) => a.roleId)
      .sort();
  }
}

describe('SsoRolesHandler', () => {
  it('assigns the asserted roles with the connection as their source', async () => {
    const world = new World();
    await world.handler.handle(login(['approver', 'member']));
    expect(world.held(`sso:${okta}`)).toEqual([approver, member]);
    expect(world.appended[0]).toEqual([
      {
        type: 'authz.role.assigned',
        data: { orgId, roleId: approver, subject, resource: null, mappingId: null, source: `sso:${okta}` },
      },
      expect.objectContaining({ type: 'authz.role.assigned' }),
    ]);
  });

  it('unassigns what the IdP no longer asserts, leaving admin and other connections alone', async () => {
    const world = new World();
    world.assignments.push(
      { roleId: approver, subject, resource: null, mappingId: null, source: null, assignedAt: '' },
      { roleId: auditor, subject, resource: null, mappingId: null, source: `sso:${entra}`, assignedAt: '' },
    );
    await world.handler.handle(login(['approver', 'member']));
    await world.handler.handle(login(['member'], { succeededAt: '2026-11-02T10:00:00.000Z' }));
    expect(world.held(`sso:${okta}`)).toEqual([member]);
    expect(world.held(null)).toEqual([approver]);
    expect(world.held(`sso:${entra}`)).toEqual([auditor]);
    expect(world.appended[1]).toEqual([
      {
        type: 'authz.role.unassigned',
        data: {
          orgId,
          roleId: approver,
          subject,
          resource: null,
          mappingId: null,
          source: `sso:${okta}`,
          reason: 'idp_unasserted',
        },
      },
    ]);
  });

  it('writes nothing when the same sign-in is delivered again', async () => {
    const world = new World();
    const event = login(['approver']);
    await world.handler.handle(event);
    await world.handler.handle(event);
    expect(world.appended).toHaveLength(1);
    expect(world.held(`sso:${okta}`)).toEqual([approver]);
  });

  it('skips an older sign-in delivered late, so it cannot restore what a later one removed', async () => {
    const world = new World();
    const earlier = login(['approver']);
    await world.handler.handle(earlier);
    await world.handler.handle(login([], { succeededAt: '2026-11-02T10:00:00.000Z' }));
    await world.handler.handle(earlier);
    expect(world.held(`sso:${okta}`)).toEqual([]);
  });

  it('skips role keys the organization lacks with a coded warning, and applies the rest', async () => {
    const world = new World();
    await world.handler.handle(login(['ghost', 'member']));
    expect(world.held(`sso:${okta}`)).toEqual([member]);
    expect(world.warnings).toEqual([
      expect.objectContaining({ code: SSO_ROLE_UNKNOWN, roles: ['ghost'], connectionId: okta, userId }),
    ]);
  });

  it('ignores other events', async () => {
    const world = new World();
    await world.handler.handle({ ...login(['member']), type: 'authn.login.failed' });
    expect(world.appended).toEqual([]);
  });
});
