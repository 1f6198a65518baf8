import type { DomainError } from '@mandate/kernel';

import { documentsModel } from '../testing/documents.model';
import { compileModelDsl, parseModelDsl } from './model-dsl';

const documentsDsl = `
model
  schema 1.0

# Folders nest; viewers inherit down the tree.
type folder
  relations
    define parent: [folder]
    define owner: [user, group#member]
    define editor: [user, group#member] or owner
    define viewer: [user, user:*, group#member] or editor or viewer from parent

type document
  relations
    define parent: [folder]
    define owner: [user, group#member]
    define editor: [user, group#member, agent] or owner
    define viewer: [user, user:*, group#member] or editor or viewer from parent
    define blocked: [user]
    define commenter: viewer but not blocked
    define approver: [user]
    define signer: editor and approver
    define auditor: [user with during_business_hours]
    define office_viewer: [user, user with from_office, role#assignee]

condition during_business_hours(now: timestamp, tz_offset_minutes: int) {
  dayOfWeek(now, tz_offset_minutes) in [1, 2, 3, 4, 5] && hours(now, tz_offset_minutes) >= 9 && hours(now, tz_offset_minutes) < 17
}

condition from_office(ip: ipaddress, office_cidrs: list<string>) {
  ipInCidr(ip, '10.20.0.0/16') ||
    ipInCidr(ip, '2001:db8:abcd::/48')
}
`;

const dslProblems = (text: string): string[] => {
  try {
    parseModelDsl(text);
  } catch (error) {
    expect((error as DomainError).code).toBe('AUTHZ_DSL_INVALID');
    return ((error as DomainError).details as { problems: { path: string; message: string }[] }).problems.map(
      (p) => `${p.path}: ${p.message}`,
    );
  }
  throw new Error('expected the text to be refused');
};

describe('parseModelDsl', () => {
  it('compiles to the same JSON as the hand-written model', () => {
    const json = parseModelDsl(documentsDsl);
    const expected = documentsModel();
    expect(json.types).toEqual(expected.types);
    expect(Object.keys(json.conditions ?? {})).toEqual(Object.keys(expected.conditions ?? {}));
    expect(json.conditions?.from_office?.expression.replace(/\s+/g, ' ')).toBe(
      expected.conditions?.from_office?.expression,
    );
    expect(() => compileModelDsl(documentsDsl)).not.toThrow();
  });

  it('reads parentheses, and conditioned wildcards and usersets', () => {
    const json = parseModelDsl(`model
  schema 1.0
type doc
  relations
    define a: [user:* with c, group#member with c]
    define b: a or (a and a) or (a but not a)
condition c(x: int) { x > 1 }`);
    expect(json.types.doc?.relations?.a).toEqual({
      this: [
        { type: 'user', wildcard: true, condition: 'c' },
        { type: 'group', relation: 'member', condition: 'c' },
      ],
    });
    expect(json.types.doc?.relations?.b).toEqual({
      union: [
        { computed: 'a' },
        { intersection: [{ computed: 'a' }, { computed: 'a' }] },
        { exclusion: { base: { computed: 'a' }, subtract: { computed: 'a' } } },
      ],
    });
  });

  it('refuses malformed text, naming the line', () => {
    expect(
      dslProblems(`model
  schema 1.0
type doc
  relations
    define a: [user] or b and c
    define b: [user
    define c: but not a
    define a: [user]
    whatever
condition open(x: int) {
  x > 1`),
    ).toEqual([
      'line 5: use parentheses to mix operators',
      "line 6: expected ',' or ']', found the end",
      "line 7: unexpected 'but'",
      "line 8: relation 'doc.a' is defined twice",
      "line 9: cannot read 'whatever'",
      "line 10: condition 'open' is not closed with '}'",
    ]);
    expect(dslProblems('type doc')).toEqual(["line 1: the model must declare 'schema 1.0'"]);
  });

  it('leaves semantic errors to validateModel', () => {
    expect(() =>
      compileModelDsl('model\n schema 1.0\ntype doc\n relations\n  define a: b\n  define b: a'),
    ).toThrow(expect.objectContaining({ code: 'AUTHZ_MODEL_INVALID' }) as DomainError);
  });
});
