import { ScimError } from '../errors/scim-error';
import { scimErrorOf } from '../testing/builders';
import { SEARCH_REQUEST_SCHEMA } from '../schema/builtin-schemas';
import { createSchemaRegistry } from '../schema/schema-registry';
import { listResponse, parseListQuery, parseSearchRequest } from './list-query';

const registry = createSchemaRegistry();
const options = { maxResults: 200 };
const parse = (query: Record<string, string | string[]>) => parseListQuery(registry, 'User', query, options);

describe('parseListQuery', () => {
  it('defaults to the first page of maxResults', () => {
    expect(parse({})).toEqual({
      filter: undefined,
      startIndex: 1,
      count: 200,
      sort: undefined,
      attributes: [],
      excludedAttributes: [],
    });
    expect(parseListQuery(registry, 'User', {}, { maxResults: 200, defaultCount: 50 }).count).toBe(50);
  });

  it("reads Okta's existence check", () => {
    const query = parse({ filter: 'userName eq "bjensen"', startIndex: '1', count: '100' });
    expect(query).toMatchObject({ startIndex: 1, count: 100 });
    expect(query.filter).toMatchObject({ kind: 'comparison', operator: 'eq', value: 'bjensen' });
  });

  it('clamps startIndex below 1 to 1, negative count to 0 and count above maxResults', () => {
    expect(parse({ startIndex: '0', count: '-5' })).toMatchObject({ startIndex: 1, count: 0 });
    expect(parse({ startIndex: '-3', count: '1000' })).toMatchObject({ startIndex: 1, count: 200 });
  });

  it('rejects non-integers', () => {
    expect(() => parse({ count: 'ten' })).toThrow("'count' must be an integer");
    expect(() => parse({ startIndex: '1.5' })).toThrow(ScimError);
  });

  it('reads sortBy and sortOrder, case-insensitively; a complex sortBy sorts by its value', () => {
    const query = parse({ sortby: 'Name.FamilyName', SORTORDER: 'Descending' });
    expect(query.sort).toMatchObject({ order: 'descending', attribute: { path: 'name.familyName' } });
    expect(parse({ sortBy: 'emails' }).sort?.attribute.path).toBe('emails.value');
    expect(() => parse({ sortBy: 'shoeSize' })).toThrow("cannot sort by unknown attribute 'shoeSize'");
    expect(() => parse({ sortBy: 'userName', sortOrder: 'up' })).toThrow(ScimError);
  });

  it('splits attribute lists', () => {
    expect(
      parse({ attributes: 'userName, name.givenName', excludedAttributes: ['emails', 'roles'] }),
    ).toMatchObject({
      attributes: ['userName', 'name.givenName'],
      excludedAttributes: ['emails', 'roles'],
    });
  });

  it('turns a bad filter into invalidFilter', () => {
    expect(scimErrorOf(() => parse({ filter: 'userName zz "x"' })).scimType).toBe('invalidFilter');
  });
});

describe('parseSearchRequest', () => {
  it('reads a SearchRequest body', () => {
    const query = parseSearchRequest(
      registry,
      'User',
      {
        schemas: [SEARCH_REQUEST_SCHEMA],
        attributes: ['displayName', 'userName'],
        filter: 'displayName sw "smith"',
        startIndex: 1,
        count: 10,
      },
      options,
    );
    expect(query).toMatchObject({ startIndex: 1, count: 10, attributes: ['displayName', 'userName'] });
    expect(query.filter?.kind).toBe('comparison');
  });

  it('requires the SearchRequest schema', () => {
    expect(
      scimErrorOf(() => parseSearchRequest(registry, 'User', { filter: 'title pr' }, options)).scimType,
    ).toBe('invalidSyntax');
  });
});

describe('listResponse', () => {
  it('counts with integers', () => {
    expect(listResponse([{ id: 'a' }], 12, 11)).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 12,
      itemsPerPage: 1,
      startIndex: 11,
      Resources: [{ id: 'a' }],
    });
  });
});
