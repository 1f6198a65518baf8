import { type Actor } from '@mandate/kernel';
import { ApiProblem } from '../errors/problem';

/** The bootstrap admin key: administers every organization. */
export interface AdminPrincipal {
  readonly type: 'admin';
}

/** An organization-scoped API key: may act only inside its own organization. */
export interface ApiKeyPrincipal {
  readonly type: 'api_key';
  readonly keyId: string;
  readonly orgId: string;
  readonly name: string;
}

/** A directory's SCIM bearer token (or a verified HRIS delivery): acts only on that one directory. */
export interface DirectoryPrincipal {
  readonly type: 'directory';
  readonly directoryId: string;
  readonly orgId: string;
  /** The SCIM token used, or null for an HRIS delivery (authenticated by its signature). */
  readonly tokenId: string | null;
}

/** Who called: the management API's admin key or an organization key, or a directory's own credential. */
export type Principal = AdminPrincipal | ApiKeyPrincipal | DirectoryPrincipal;

export const ADMIN_PRINCIPAL: AdminPrincipal = Object.freeze({ type: 'admin' });

/** A stable identifier of the caller (`admin`, `api_key:<keyId>`), used to scope idempotency keys and in logs. */
export const principalId = (principal: Principal): string => {
  switch (principal.type) {
    case 'admin':
      return 'admin';
    case 'api_key':
      return `api_key:${principal.keyId}`;
    case 'directory':
      return `directory:${principal.directoryId}`;
  }
};

/** The actor stamped on events a principal causes. */
export const principalActor = (principal: Principal): Actor => {
  switch (principal.type) {
    case 'admin':
      return { type: 'system', id: 'admin_key' };
    case 'api_key':
      return { type: 'service', id: principalId(principal) };
    case 'directory':
      return principal.tokenId === null
        ? { type: 'directory', id: principal.directoryId }
        : { type: 'directory', id: principal.directoryId, via: `scim_token:${principal.tokenId}` };
  }
};

export const canAccessOrg = (principal: Principal, orgId: string): boolean =>
  principal.type === 'admin' || principal.orgId === orgId;

/**
 * Refuses an organization key that reaches into another organization, with 404
 * PLATFORM_ORG_NOT_FOUND — as if that organization did not exist. Call it before loading
 * anything: the answer then depends only on the key and the requested id, so another
 * organization's existence never leaks.
 */
export const assertOrgAccess = (principal: Principal, orgId: string): void => {
  if (!canAccessOrg(principal, orgId)) {
    throw new ApiProblem('PLATFORM_ORG_NOT_FOUND', 'There is no such organization for this API key.');
  }
};

/** Refuses anything but the admin key, with 403 PLATFORM_ADMIN_REQUIRED. */
export const assertAdmin = (principal: Principal): void => {
  if (principal.type !== 'admin') {
    throw new ApiProblem('PLATFORM_ADMIN_REQUIRED', 'This operation needs the admin key.');
  }
};
