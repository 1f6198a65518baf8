import { type DirectoryEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { type DirectoryCommand, directoryDecider } from './directory.decide';

const given = deciderSpecification(directoryDecider);
const key = { orgId: 'org_01k00000000000000000000000', directoryId: 'dir_01k00000000000000000000000' };
const t1 = new Date('2026-11-02T09:00:00.000Z');
const token = (tokenId: string) => ({ tokenId, secretHash: 'b'.repeat(64), lastFour: 'abcd' });
const command = <C extends DirectoryCommand>(type: C['type'], data: C['data']) =>
  ({ type, data, now: t1 }) as C;

const created = (provider: 'okta' | 'bamboohr' = 'okta'): DirectoryEvent => ({
  type: 'directory.directory.created',
  data: {
    ...key,
    name: 'Okta',
    kind: provider === 'okta' ? 'scim' : 'hris',
    provider,
    linkedDirectoryId: null,
    createdAt: t1.toISOString(),
  },
});
const issued = (tokenId: string): DirectoryEvent => ({
  type: 'directory.directory.token_issued',
  data: { ...key, ...token(tokenId), issuedAt: t1.toISOString() },
});
const revoked = (tokenId: string, reason: 'revoked' | 'rotated' | 'directory_deleted'): DirectoryEvent => ({
  type: 'directory.directory.token_revoked',
  data: { ...key, tokenId, revokedAt: t1.toISOString(), reason },
});
const ta = '0123456789abcdef000a';
const tb = '0123456789abcdef000b';

describe('directory', () => {
  it('takes its kind from its provider', () => {
    given([])
      .when(command('CreateDirectory', { ...key, name: ' Okta ', provider: 'okta' }))
      .then([created()]);
    given([])
      .when(command('CreateDirectory', { ...key, name: 'Okta', provider: 'bamboohr' }))
      .then([created('bamboohr')]);
  });

  it('rotates a token: the new one is issued and the old one revoked together', () =>
    given([created(), issued(ta)])
      .when(command('RotateDirectoryToken', { tokenId: ta, newToken: token(tb) }))
      .then([issued(tb), revoked(ta, 'rotated')]));

  it('refuses to revoke a token twice', () =>
    given([created(), issued(ta), revoked(ta, 'revoked')])
      .when(command('RevokeDirectoryToken', { tokenId: ta }))
      .thenThrows('DIRECTORY_TOKEN_NOT_FOUND'));

  it('gives SCIM tokens to SCIM directories and signing secrets to HRIS ones', () => {
    given([created('bamboohr')])
      .when(command('IssueDirectoryToken', token(ta)))
      .thenThrows('DIRECTORY_DIRECTORY_KIND_MISMATCH');
    given([created()])
      .when(command('SetSigningSecret', { secretId: 's1', encryptedSecret: 'x' }))
      .thenThrows('DIRECTORY_DIRECTORY_KIND_MISMATCH');
  });

  it('keeps custom attributes out of the standard SCIM URN space', () =>
    given([created()])
      .when(
        command('DeclareAttributes', {
          resourceType: 'User',
          schemaUrn: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
          attributes: [],
        }),
      )
      .thenThrows('DIRECTORY_SCHEMA_URN_INVALID'));

  it('revokes every token when deleted; a second delete is a no-op', () => {
    given([created(), issued(ta)])
      .when(command('DeleteDirectory', {}))
      .then([
        revoked(ta, 'directory_deleted'),
        { type: 'directory.directory.deleted', data: { ...key, deletedAt: t1.toISOString() } },
      ]);
    given([created(), { type: 'directory.directory.deleted', data: { ...key, deletedAt: t1.toISOString() } }])
      .when(command('DeleteDirectory', {}))
      .thenNothingHappened();
  });
});
