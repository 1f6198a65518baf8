import { type JsonObject } from '../json';
import { ENTERPRISE_USER_SCHEMA } from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { aGroup, aUser, CUSTOM_USER_SCHEMA, scimErrorOf } from '../testing/builders';
import { matches } from './filter.evaluate';
import { compileFilter } from './filter.resolve';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [
      { name: 'badgeNumber', type: 'integer' },
      { name: 'clearance', type: 'decimal' },
      { name: 'contractor', type: 'boolean' },
      { name: 'photoHash', type: 'binary' },
      { name: 'tags', type: 'string', multiValued: true },
      { name: 'hiredAt', type: 'dateTime' },
      { name: 'badgeId', type: 'string', caseExact: true },
    ],
  },
]);

const userMatches = (filter: string, user: JsonObject = aUser()) =>
  matches(compileFilter(filter, registry, 'User'), user);
const groupMatches = (filter: string, group: JsonObject = aGroup()) =>
  matches(compileFilter(filter, registry, 'Group'), group);

const custom = (values: JsonObject) => aUser({ [CUSTOM_USER_SCHEMA]: values });

describe('matches', () => {
  it('compares caseExact=false strings ignoring case, and caseExact=true ones exactly', () => {
    expect(userMatches('userName eq "BJENSEN@example.com"')).toBe(true);
    expect(userMatches('USERNAME Eq "bjensen@example.com"')).toBe(true);
    expect(userMatches('externalId eq "bjensen"')).toBe(true);
    expect(userMatches('externalId eq "BJensen"')).toBe(false);
    expect(userMatches('id eq "2819C223-7F76-453A-919D-413861904646"')).toBe(false);
  });

  it('supports every string operator', () => {
    expect(userMatches('userName ne "someone"')).toBe(true);
    expect(userMatches('userName ne "bjensen@example.com"')).toBe(false);
    expect(userMatches('userName co "JENSEN@"')).toBe(true);
    expect(userMatches('userName sw "bjen"')).toBe(true);
    expect(userMatches('userName sw "jen"')).toBe(false);
    expect(userMatches('userName ew ".COM"')).toBe(true);
    expect(userMatches('userName gt "a"')).toBe(true);
    expect(userMatches('userName gt "c"')).toBe(false);
    expect(userMatches('userName ge "bjensen@example.com"')).toBe(true);
    expect(userMatches('userName lt "c"')).toBe(true);
    expect(userMatches('userName le "bjensen@example.co"')).toBe(false);
  });

  it('matches an absent attribute with neither eq nor ne, but with not (eq)', () => {
    const user = aUser({ title: null });
    expect(userMatches('title eq "x"', user)).toBe(false);
    expect(userMatches('title ne "x"', user)).toBe(false);
    expect(userMatches('not (title eq "x")', user)).toBe(true);
    expect(userMatches('title eq null', user)).toBe(true);
    expect(userMatches('title ne null', user)).toBe(false);
  });

  it('treats null, "", [] and {} as not present', () => {
    expect(userMatches('title pr')).toBe(true);
    expect(userMatches('nickName pr')).toBe(false);
    expect(userMatches('title pr', aUser({ title: '' }))).toBe(false);
    expect(userMatches('emails pr', aUser({ emails: [] }))).toBe(false);
    expect(userMatches('name pr', aUser({ name: {} }))).toBe(false);
    expect(userMatches('name pr')).toBe(true);
    expect(userMatches('emails.display pr')).toBe(false);
    expect(userMatches('emails.type pr')).toBe(true);
  });

  it('matches a multi-valued attribute when any value matches', () => {
    expect(userMatches('emails.value eq "babs@jensen.org"')).toBe(true);
    expect(userMatches('emails co "jensen.org"')).toBe(true);
    expect(userMatches('emails.type eq "other"')).toBe(false);
    expect(groupMatches('members.value eq "902c246b-6245-4190-8e05-00816be7344a"')).toBe(true);
  });

  it('requires one value to satisfy a whole value filter', () => {
    expect(userMatches('emails[type eq "work" and value co "@example.com"]')).toBe(true);
    expect(userMatches('emails[type eq "home" and value co "@example.com"]')).toBe(false);
    expect(userMatches('emails[type eq "work"].value eq "bjensen@example.com"')).toBe(true);
    expect(userMatches('emails[type eq "work"].value eq "babs@jensen.org"')).toBe(false);
    expect(userMatches('emails[not (type eq "work")]')).toBe(true);
    expect(userMatches('name[givenName eq "barbara"]')).toBe(true);
    expect(userMatches('name[not (givenName eq "x")]', aUser({ name: null }))).toBe(false);
  });

  it('evaluates the RFC 7644 logical examples', () => {
    expect(userMatches('title pr and userType eq "Employee"')).toBe(true);
    expect(userMatches('title pr and userType eq "Intern"')).toBe(false);
    expect(userMatches('nickName pr or userType eq "Employee"')).toBe(true);
    expect(
      userMatches('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")'),
    ).toBe(true);
    expect(
      userMatches(
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      ),
    ).toBe(false);
    expect(userMatches('a eq "1" or userName pr'.replace('a eq "1"', 'nickName eq "1"'))).toBe(true);
  });

  it('gives and precedence over or', () => {
    // true or (false and false) = true; (true or false) and false = false
    expect(userMatches('title pr or nickName pr and locale pr')).toBe(true);
    expect(userMatches('(title pr or nickName pr) and locale pr')).toBe(false);
    expect(userMatches('not (title pr) or title pr and not (nickName pr)')).toBe(true);
  });

  it('compares dateTimes chronologically, across offsets', () => {
    expect(userMatches('meta.lastModified gt "2011-05-13T04:42:34Z"')).toBe(true);
    expect(userMatches('meta.lastModified lt "2011-05-13T04:42:34Z"')).toBe(false);
    expect(userMatches('meta.created eq "2011-08-01T20:29:49.793+02:00"')).toBe(true);
    expect(userMatches('meta.created ge "2011-08-01T18:29:49.793Z"')).toBe(true);
    expect(userMatches('meta.created le "2011-08-01T18:29:49.792Z"')).toBe(false);
  });

  it('compares numbers numerically and booleans by value', () => {
    const user = custom({ badgeNumber: 42, clearance: 2.5, contractor: false });
    expect(userMatches(`${CUSTOM_USER_SCHEMA}:badgeNumber gt 9`, user)).toBe(true);
    expect(userMatches('badgeNumber le 41', user)).toBe(false);
    expect(userMatches('clearance eq 2.5', user)).toBe(true);
    expect(userMatches('contractor eq false', user)).toBe(true);
    expect(userMatches('contractor ne false', user)).toBe(false);
    expect(userMatches('active eq true')).toBe(true);
    expect(userMatches('active eq "False"')).toBe(false);
  });

  it('matches multi-valued simple attributes element by element', () => {
    const user = custom({ tags: ['alpha', 'Beta'] });
    expect(userMatches('tags eq "beta"', user)).toBe(true);
    expect(userMatches('tags sw "gam"', user)).toBe(false);
    expect(userMatches('schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"')).toBe(true);
  });

  it('resolves URN-prefixed and extension attributes', () => {
    expect(userMatches(`${ENTERPRISE_USER_SCHEMA}:department eq "tour operations"`)).toBe(true);
    expect(userMatches('department eq "tour operations"')).toBe(true);
    expect(userMatches(`${ENTERPRISE_USER_SCHEMA.toUpperCase()}:MANAGER.value pr`)).toBe(true);
    expect(userMatches('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b"')).toBe(true);
  });

  it('keeps an injection attempt a literal that matches nothing', () => {
    expect(userMatches(String.raw`userName eq "a\") OR 1=1--"`)).toBe(false);
    expect(userMatches('userName eq "a\\") OR 1=1--"', aUser({ userName: 'a") OR 1=1--' }))).toBe(true);
  });

  it('compares an unquoted Entra value as a string', () => {
    expect(userMatches('externalId eq bjensen')).toBe(true);
    expect(userMatches('externalId eq 701984', aUser({ externalId: '701984' }))).toBe(true);
  });

  it.each([
    ['nickname eq "x" and unknown eq "y"', "unknown attribute 'unknown'"],
    ['emails[kind eq "work"]', "unknown attribute 'kind' of 'emails'"],
    ['urn:example:unknown:1.0:User:x eq "y"', "unknown attribute 'urn:example:unknown:1.0:User:x'"],
    ['password eq "secret"', "'password' is write-only"],
    ['active gt true', 'a boolean can only be compared with eq or ne'],
    ['photoHash gt "AAAA"', 'binary values have no order'],
    ['badgeNumber co 4', 'an integer has no substrings'],
    ['badgeNumber eq "4"', 'is of type integer; the string "4" does not suit it'],
    ['badgeNumber eq 4.5', 'does not suit it'],
    ['meta.created gt "yesterday"', 'is of type dateTime'],
    ['meta.created gt "2011-05-13T04:42:34"', 'is of type dateTime'],
    ['title gt null', 'null can only be compared with eq or ne'],
    ['name eq "x"', "'name' is complex"],
    ['userName[value eq "x"]', "'userName' is not a complex attribute"],
  ])('rejects %s as invalidFilter', (filter, detail) => {
    const error = scimErrorOf(() => compileFilter(filter, registry, 'User'));
    expect(error.scimType).toBe('invalidFilter');
    expect(error.detail).toContain(detail);
  });
});
