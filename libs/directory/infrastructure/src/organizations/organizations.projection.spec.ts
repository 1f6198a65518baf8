import { type RecordedEvent } from '@mandate/kernel';
import { newOrganizationId } from '../ids';
import { evolveOrganizationRow } from './organizations.projection';

const orgId = 'org_01m8156we5fhs97dpttrz9p4h4';
const recorded = (
  type: string,
  data: unknown,
  occurredAt = new Date('2026-11-02T00:00:00Z'),
): RecordedEvent => ({
  id: '01a20253-28f0-7e16-adec-ba630588c894',
  type,
  schemaVersion: 1,
  orgId,
  stream: `organization-${orgId}`,
  streamRevision: 0,
  position: { commit: 1n, prepare: 1n },
  occurredAt,
  actor: { type: 'system', id: 'test' },
  causationId: null,
  correlationId: 'c',
  data,
});

describe('organizations projection', () => {
  const created = recorded('directory.organization.created', {
    orgId,
    name: 'Acme',
    createdAt: '2026-11-01T00:00:00.000Z',
  });

  it('creates, renames and marks deleted', () => {
    const row = evolveOrganizationRow(null, created)!;
    expect(row).toMatchObject({ orgId, name: 'Acme', status: 'active' });
    const renamed = evolveOrganizationRow(
      row,
      recorded('directory.organization.renamed', { orgId, name: 'Acme Corp' }),
    )!;
    expect(renamed).toMatchObject({ name: 'Acme Corp', updatedAt: new Date('2026-11-02T00:00:00Z') });
    const deleted = evolveOrganizationRow(
      renamed,
      recorded('directory.organization.deleted', { orgId, deletedAt: '2026-11-03T00:00:00.000Z' }),
    )!;
    expect(deleted).toMatchObject({ status: 'deleted', name: 'Acme Corp' });
  });

  it('ignores events for an organization it never saw created, and unrelated events', () => {
    expect(
      evolveOrganizationRow(null, recorded('directory.organization.renamed', { orgId, name: 'x' })),
    ).toBeNull();
    const row = evolveOrganizationRow(null, created)!;
    expect(evolveOrganizationRow(row, recorded('directory.api_key.revoked', { orgId }))).toBe(row);
  });
});

describe('organization ids', () => {
  it('are org_ and 26 Crockford base32 characters, sortable by creation', () => {
    const ids = Array.from({ length: 50 }, () => newOrganizationId());
    for (const id of ids) expect(id).toMatch(/^org_[0-9abcdefghjkmnpqrstvwxyz]{26}$/);
    expect(new Set(ids).size).toBe(50);
    expect(ids[0]!.slice(0, 12) <= ids[49]!.slice(0, 12)).toBe(true);
  });
});
