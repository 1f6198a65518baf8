import type { ModelJson } from '../model/model.types';

/** The documents-in-folders model of the docs, with every operator. */
export const documentsModel = (): ModelJson => ({
  schemaVersion: '1.0',
  types: {
    folder: {
      relations: {
        parent: { this: ['folder'] },
        owner: { this: ['user', 'group#member'] },
        editor: { union: [{ this: ['user', 'group#member'] }, { computed: 'owner' }] },
        viewer: {
          union: [
            { this: ['user', 'user:*', 'group#member'] },
            { computed: 'editor' },
            { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
          ],
        },
      },
    },
    document: {
      relations: {
        parent: { this: ['folder'] },
        owner: { this: ['user', 'group#member'] },
        editor: { union: [{ this: ['user', 'group#member', 'agent'] }, { computed: 'owner' }] },
        viewer: {
          union: [
            { this: ['user', 'user:*', 'group#member'] },
            { computed: 'editor' },
            { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
          ],
        },
        blocked: { this: ['user'] },
        commenter: { exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'blocked' } } },
        approver: { this: ['user'] },
        signer: { intersection: [{ computed: 'editor' }, { computed: 'approver' }] },
        auditor: { this: [{ type: 'user', condition: 'during_business_hours' }] },
        office_viewer: { this: ['user', { type: 'user', condition: 'from_office' }, 'role#assignee'] },
      },
    },
  },
  conditions: {
    during_business_hours: {
      parameters: { now: 'timestamp', tz_offset_minutes: 'int' },
      expression:
        'dayOfWeek(now, tz_offset_minutes) in [1, 2, 3, 4, 5] && hours(now, tz_offset_minutes) >= 9 && hours(now, tz_offset_minutes) < 17',
    },
    from_office: {
      parameters: { ip: 'ipaddress', office_cidrs: 'list<string>' },
      expression: "ipInCidr(ip, '10.20.0.0/16') || ipInCidr(ip, '2001:db8:abcd::/48')",
    },
  },
});
