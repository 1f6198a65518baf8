import { scimErrorOf } from '../testing/builders';
import { type FilterExpression } from './filter.ast';
import { parseFilter, parsePatchPath } from './filter.parser';

const path = (attribute: string, subAttribute?: string, schema?: string) => ({
  schema,
  attribute,
  subAttribute,
});
const eq = (attribute: string, value: string): FilterExpression => ({
  kind: 'comparison',
  path: path(attribute),
  operator: 'eq',
  value: { type: 'string', value },
});
const pr = (attribute: string): FilterExpression => ({ kind: 'present', path: path(attribute) });

describe('parseFilter', () => {
  it.each([
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    'title pr',
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
  ])('parses the RFC 7644 example %s', (filter) => {
    expect(() => parseFilter(filter)).not.toThrow();
  });

  it('parses every comparison operator, case-insensitively', () => {
    for (const operator of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']) {
      expect(parseFilter(`title ${operator.toUpperCase()} "x"`)).toEqual({
        kind: 'comparison',
        path: path('title'),
        operator,
        value: { type: 'string', value: 'x' },
      });
    }
    expect(parseFilter('title PR')).toEqual(pr('title'));
  });

  it('binds and tighter than or', () => {
    expect(parseFilter('a pr or b pr and c pr')).toEqual({
      kind: 'or',
      filters: [pr('a'), { kind: 'and', filters: [pr('b'), pr('c')] }],
    });
    expect(parseFilter('a pr and b pr or c pr')).toEqual({
      kind: 'or',
      filters: [{ kind: 'and', filters: [pr('a'), pr('b')] }, pr('c')],
    });
  });

  it('binds not tighter than and, and lets parentheses regroup', () => {
    expect(parseFilter('not (a pr) and b pr')).toEqual({
      kind: 'and',
      filters: [{ kind: 'not', filter: pr('a') }, pr('b')],
    });
    expect(parseFilter('(a pr or b pr) and c pr')).toEqual({
      kind: 'and',
      filters: [{ kind: 'or', filters: [pr('a'), pr('b')] }, pr('c')],
    });
    expect(parseFilter('NOT(a pr)')).toEqual({ kind: 'not', filter: pr('a') });
  });

  it('flattens chains of the same operator', () => {
    expect(parseFilter('a pr and b pr AND c pr')).toEqual({
      kind: 'and',
      filters: [pr('a'), pr('b'), pr('c')],
    });
  });

  it('parses value paths', () => {
    expect(parseFilter('emails[type eq "work" and value co "@x"]')).toEqual({
      kind: 'valuePath',
      path: path('emails'),
      filter: {
        kind: 'and',
        filters: [
          eq('type', 'work'),
          { kind: 'comparison', path: path('value'), operator: 'co', value: { type: 'string', value: '@x' } },
        ],
      },
    });
  });

  it('reads Entra\'s emails[type eq "work"].value eq "x" as one selected value that must match', () => {
    expect(parseFilter('emails[type eq "work"].value eq "user@contoso.com"')).toEqual({
      kind: 'valuePath',
      path: path('emails'),
      filter: { kind: 'and', filters: [eq('type', 'work'), eq('value', 'user@contoso.com')] },
    });
  });

  it('parses URN-prefixed paths, whose URN holds dots', () => {
    expect(
      parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"'),
    ).toEqual({
      kind: 'comparison',
      path: path('manager', 'value', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
      operator: 'eq',
      value: { type: 'string', value: '1' },
    });
  });

  it('accepts $ref as an attribute name', () => {
    expect(parseFilter('members.$ref pr')).toEqual({ kind: 'present', path: path('members', '$ref') });
  });

  it('parses JSON literals and string escapes', () => {
    const value = (filter: string) => {
      const parsed = parseFilter(filter);
      return parsed.kind === 'comparison' ? parsed.value : undefined;
    };
    expect(value('active eq true')).toEqual({ type: 'boolean', value: true });
    expect(value('active eq False')).toEqual({ type: 'boolean', value: false });
    expect(value('title eq null')).toEqual({ type: 'null' });
    expect(value('x eq -1.5e3')).toEqual({ type: 'number', value: -1500, text: '-1.5e3' });
    expect(value(String.raw`x eq "a\"b\\c\/d\n\u00e9"`)).toEqual({ type: 'string', value: 'a"b\\c/d\né' });
  });

  it("tolerates Entra's unquoted value: externalId eq jyoung", () => {
    expect(parseFilter('externalId eq jyoung')).toEqual(eq('externalId', 'jyoung'));
  });

  it('keeps an injection attempt inside one string literal', () => {
    expect(parseFilter(String.raw`userName eq "a\") OR 1=1--"`)).toEqual(eq('userName', 'a") OR 1=1--'));
  });

  it('rejects a quote-breaking injection attempt instead of guessing', () => {
    expect(scimErrorOf(() => parseFilter('userName eq "x" or "1" eq "1"')).scimType).toBe('invalidFilter');
  });

  it.each([
    ['', 'empty filter'],
    ['userName', "expected an operator after 'userName' at position 9"],
    ['userName equals "x"', "unknown operator 'equals' after 'userName' at position 10"],
    ['userName eq', "expected a value after 'userName eq' at position 12"],
    ['userName eq "x', 'unterminated string starting at position 13'],
    [String.raw`userName eq "\x"`, 'invalid escape sequence in string at position 14'],
    ['(userName eq "x"', "expected ')' to close the group opened at position 1 at position 17"],
    ['userName eq "x")', "expected 'and', 'or' or the end of the filter at position 16, found ')'"],
    ['emails[type eq "work"', "expected ']' to close the value filter opened at position 7"],
    ['emails[type[value pr] pr]', 'a value filter cannot hold another one at position 12'],
    ['user..name pr', "'user..name' is not an attribute path at position 1"],
    ['1abc pr', "'1abc' is not an attribute path at position 1"],
    ['a pr and', 'expected an attribute name at position 9, found the end of the filter'],
  ])('rejects %j with a positioned message', (filter, message) => {
    const error = scimErrorOf(() => parseFilter(filter));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain(message);
  });

  it('limits length and depth', () => {
    const long = `userName eq "${'a'.repeat(5000)}"`;
    expect(scimErrorOf(() => parseFilter(long)).detail).toBe('filter longer than 4096 characters');
    expect(() => parseFilter(long, { maxLength: 6000 })).not.toThrow();

    const deep = (levels: number) => `${'not ('.repeat(levels)}a pr${')'.repeat(levels)}`;
    expect(() => parseFilter(deep(8))).not.toThrow();
    expect(scimErrorOf(() => parseFilter(deep(9))).detail).toMatch(/nested deeper than 16 levels/);
    expect(scimErrorOf(() => parseFilter(deep(3), { maxDepth: 5 })).scimType).toBe('invalidFilter');
  });
});

describe('parsePatchPath', () => {
  it('parses every PATCH path form', () => {
    expect(parsePatchPath('members')).toEqual({
      path: path('members'),
      filter: undefined,
      subAttribute: undefined,
    });
    expect(parsePatchPath('name.givenName').path).toEqual(path('name', 'givenName'));
    expect(parsePatchPath('members[value eq "2819c223"]')).toEqual({
      path: path('members'),
      filter: eq('value', '2819c223'),
      subAttribute: undefined,
    });
    expect(parsePatchPath('addresses[type eq "work"].streetAddress')).toEqual({
      path: path('addresses'),
      filter: eq('type', 'work'),
      subAttribute: 'streetAddress',
    });
    expect(
      parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber').path,
    ).toEqual(
      path('employeeNumber', undefined, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'),
    );
  });

  it('rejects trailing text', () => {
    expect(scimErrorOf(() => parsePatchPath('members[value eq "1"] x')).detail).toContain("unexpected 'x'");
  });
});
