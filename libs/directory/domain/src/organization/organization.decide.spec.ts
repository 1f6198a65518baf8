import { type OrganizationEvent } from '@mandate/contracts';
import { deciderSpecification, DomainError } from '@mandate/kernel';
import { type OrganizationCommand } from './organization.commands';
import { organizationDecider } from './organization.decide';

const given = deciderSpecification(organizationDecider);
const orgId = 'org_01k00000000000000000000000';
const t0 = new Date('2026-11-01T09:00:00.000Z');
const t1 = new Date('2026-11-02T09:00:00.000Z');
const keyA = '0123456789abcdef000a';
const keyB = '0123456789abcdef000b';
const hash = 'a'.repeat(64);

const created = (name = 'Acme'): OrganizationEvent => ({
  type: 'directory.organization.created',
  data: { orgId, name, createdAt: t0.toISOString() },
});
const keyIssued = (keyId = keyA): OrganizationEvent => ({
  type: 'directory.api_key.issued',
  data: { orgId, keyId, name: 'ci', secretHash: hash, lastFour: 'wxyz', issuedAt: t0.toISOString() },
});
const command = <C extends OrganizationCommand>(type: C['type'], data: C['data'], now = t1) =>
  ({ type, data, now }) as C;

describe('organization', () => {
  it('is created with a trimmed name', () =>
    given([])
      .when(command('CreateOrganization', { orgId, name: '  Acme ' }, t0))
      .then([created('Acme')]));

  it('cannot be created twice', () =>
    given([created()])
      .when(command('CreateOrganization', { orgId, name: 'Acme' }))
      .thenThrows('DIRECTORY_ORGANIZATION_EXISTS'));

  it('refuses an empty or overlong name', () => {
    given([])
      .when(command('CreateOrganization', { orgId, name: '   ' }))
      .thenThrows('DIRECTORY_ORGANIZATION_NAME_INVALID');
    given([created()])
      .when(command('RenameOrganization', { name: 'x'.repeat(201) }))
      .thenThrows(DomainError);
  });

  it('renames, and a rename to the same name changes nothing', () => {
    given([created()])
      .when(command('RenameOrganization', { name: 'Acme Corp' }))
      .then([{ type: 'directory.organization.renamed', data: { orgId, name: 'Acme Corp' } }]);
    given([created()])
      .when(command('RenameOrganization', { name: 'Acme' }))
      .thenNothingHappened();
  });

  it('revokes every key when deleted, and a second delete is a no-op', () => {
    given([created(), keyIssued(keyA), keyIssued(keyB)])
      .when(command('DeleteOrganization', {}))
      .then([
        {
          type: 'directory.api_key.revoked',
          data: { orgId, keyId: keyA, revokedAt: t1.toISOString(), reason: 'organization_deleted' },
        },
        {
          type: 'directory.api_key.revoked',
          data: { orgId, keyId: keyB, revokedAt: t1.toISOString(), reason: 'organization_deleted' },
        },
        { type: 'directory.organization.deleted', data: { orgId, deletedAt: t1.toISOString() } },
      ]);
    given([
      created(),
      { type: 'directory.organization.deleted', data: { orgId, deletedAt: t1.toISOString() } },
    ])
      .when(command('DeleteOrganization', {}))
      .thenNothingHappened();
  });

  it('refuses changes to an organization that does not exist or was deleted', () => {
    given([])
      .when(command('RenameOrganization', { name: 'x' }))
      .thenThrows('DIRECTORY_ORGANIZATION_NOT_FOUND');
    given([
      created(),
      { type: 'directory.organization.deleted', data: { orgId, deletedAt: t1.toISOString() } },
    ])
      .when(command('IssueApiKey', { keyId: keyA, name: 'ci', secretHash: hash, lastFour: 'wxyz' }))
      .thenThrows('DIRECTORY_ORGANIZATION_NOT_FOUND');
  });

  it('issues, rotates and revokes API keys', () => {
    given([created()])
      .when(command('IssueApiKey', { keyId: keyA, name: 'ci', secretHash: hash, lastFour: 'wxyz' }, t0))
      .then([keyIssued(keyA)]);
    given([created(), keyIssued(keyA)])
      .when(
        command('RotateApiKey', {
          keyId: keyA,
          newKeyId: keyB,
          secretHash: 'b'.repeat(64),
          lastFour: 'abcd',
        }),
      )
      .then([
        {
          type: 'directory.api_key.issued',
          data: {
            orgId,
            keyId: keyB,
            name: 'ci',
            secretHash: 'b'.repeat(64),
            lastFour: 'abcd',
            issuedAt: t1.toISOString(),
          },
        },
        {
          type: 'directory.api_key.revoked',
          data: { orgId, keyId: keyA, revokedAt: t1.toISOString(), reason: 'rotated' },
        },
      ]);
    given([created(), keyIssued(keyA)])
      .when(command('RevokeApiKey', { keyId: keyA }))
      .then([
        {
          type: 'directory.api_key.revoked',
          data: { orgId, keyId: keyA, revokedAt: t1.toISOString(), reason: 'revoked' },
        },
      ]);
  });

  it('refuses to revoke or rotate a key that is not active', () => {
    const revoked: OrganizationEvent = {
      type: 'directory.api_key.revoked',
      data: { orgId, keyId: keyA, revokedAt: t1.toISOString(), reason: 'revoked' },
    };
    given([created(), keyIssued(keyA), revoked])
      .when(command('RevokeApiKey', { keyId: keyA }))
      .thenThrows('DIRECTORY_API_KEY_NOT_FOUND');
    given([created()])
      .when(command('RotateApiKey', { keyId: keyA, newKeyId: keyB, secretHash: hash, lastFour: 'abcd' }))
      .thenThrows('DIRECTORY_API_KEY_NOT_FOUND');
  });

  describe('domains', () => {
    const added: OrganizationEvent = {
      type: 'directory.domain.added',
      data: { orgId, domain: 'acme.com', verificationToken: 'mandate-verify=abc', addedAt: t1.toISOString() },
    };
    const verified: OrganizationEvent = {
      type: 'directory.domain.verified',
      data: { orgId, domain: 'acme.com', verifiedAt: t1.toISOString() },
    };

    it('are stored in lower case without the trailing dot, once', () => {
      given([created()])
        .when(command('AddDomain', { domain: ' ACME.com. ', verificationToken: 'mandate-verify=abc' }))
        .then([added]);
      given([created(), added])
        .when(command('AddDomain', { domain: 'acme.com', verificationToken: 'x' }))
        .thenThrows('DIRECTORY_DOMAIN_EXISTS');
    });

    it('refuses what is not a domain name', () => {
      for (const domain of [
        'localhost',
        'acme',
        '-acme.com',
        'acme..com',
        'a_b.com',
        'x'.repeat(64) + '.com',
      ])
        given([created()])
          .when(command('AddDomain', { domain, verificationToken: 't' }))
          .thenThrows('DIRECTORY_DOMAIN_INVALID');
    });

    it('are verified only by the expected TXT record, and only once', () => {
      given([created(), added])
        .when(
          command('VerifyDomain', { domain: 'acme.com', txtRecords: ['v=spf1 -all', 'mandate-verify=zzz'] }),
        )
        .thenThrows('DIRECTORY_DOMAIN_NOT_VERIFIED');
      given([created(), added])
        .when(
          command('VerifyDomain', { domain: 'acme.com', txtRecords: ['v=spf1 -all', 'mandate-verify=abc'] }),
        )
        .then([verified]);
      given([created(), added, verified])
        .when(command('VerifyDomain', { domain: 'acme.com', txtRecords: ['mandate-verify=abc'] }))
        .thenNothingHappened();
    });

    it('are released when the organization is deleted', () =>
      given([created(), added])
        .when(command('DeleteOrganization', {}))
        .then([
          {
            type: 'directory.domain.removed',
            data: { orgId, domain: 'acme.com', removedAt: t1.toISOString(), reason: 'organization_deleted' },
          },
          { type: 'directory.organization.deleted', data: { orgId, deletedAt: t1.toISOString() } },
        ]));
  });
});
