import { DomainError } from '@mandate/kernel';
import { assertOrgAccess, type Principal } from '@mandate/platform';

/** The organization a query is about: an organization key's own, or the one the admin key names. */
export const organizationOfOrThrow = (principal: Principal, orgId: string | undefined): string => {
  const resolved = orgId ?? (principal.type === 'api_key' ? principal.orgId : undefined);
  if (resolved === undefined) {
    throw new DomainError(
      'invalid',
      'AUTHZ_ORGANIZATION_REQUIRED',
      'Name the organization (orgId) this question is about',
    );
  }
  assertOrgAccess(principal, resolved);
  return resolved;
};
