import { formatVersion, ifMatchSatisfied, parseIfMatch, parseVersion } from './etag';
import { ScimError } from './scim-error';

describe('ScimError', () => {
  it('renders the RFC 7644 error body with the status as a string', () => {
    expect(new ScimError(409, 'uniqueness', 'userName already exists').toScimErrorBody()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName already exists',
    });
    expect(new ScimError(404, undefined, 'no such user').toScimErrorBody()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: 'no such user',
    });
  });
});

describe('ETags', () => {
  it('formats and parses versions', () => {
    expect(formatVersion(3)).toBe('W/"3"');
    expect(formatVersion(12n)).toBe('W/"12"');
    expect(parseVersion('W/"3"')).toBe(3n);
    expect(parseVersion('"3"')).toBe(3n);
    expect(parseVersion('W/"abc"')).toBeUndefined();
  });

  it('parses If-Match: *, lists, weak and strong tags', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('  ')).toBeUndefined();
    expect(parseIfMatch('*')).toEqual({ kind: 'any' });
    expect(parseIfMatch('W/"1", "2" ,W/"3"')).toEqual({
      kind: 'tags',
      tags: [
        { weak: true, opaque: '1' },
        { weak: false, opaque: '2' },
        { weak: true, opaque: '3' },
      ],
    });
    expect(parseIfMatch(['W/"1"', '"2"'])).toMatchObject({ tags: [{ opaque: '1' }, { opaque: '2' }] });
    expect(parseIfMatch('garbage')).toEqual({ kind: 'tags', tags: [] });
  });

  it('decides whether a write may proceed', () => {
    expect(ifMatchSatisfied(undefined, 4)).toBe(true);
    expect(ifMatchSatisfied(parseIfMatch('W/"4"'), 4)).toBe(true);
    expect(ifMatchSatisfied(parseIfMatch('"4"'), 4n)).toBe(true);
    expect(ifMatchSatisfied(parseIfMatch('W/"3", W/"5"'), 4)).toBe(false);
    expect(ifMatchSatisfied(parseIfMatch('*'), 4)).toBe(true);
    expect(ifMatchSatisfied(parseIfMatch('*'), undefined)).toBe(false);
    expect(ifMatchSatisfied(parseIfMatch('garbage'), 4)).toBe(false);
  });
});
