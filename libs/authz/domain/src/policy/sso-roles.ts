/** A role of the organization, as the SSO reconciliation needs it. */
export interface OrganizationRole {
  readonly roleId: string;
  readonly key: string;
}

export interface SsoRolesInput {
  /** Role keys the connection's IdP asserted at this sign-in (mapped groups, a JIT user's defaults). */
  readonly asserted: readonly string[];
  /** Every role of the organization. */
  readonly roles: readonly OrganizationRole[];
  /** Role ids the user holds organization-wide from this connection, from earlier sign-ins. */
  readonly heldFromConnection: readonly string[];
}

export interface SsoRolesChange {
  /** Role ids the connection newly asserts. */
  readonly assign: readonly string[];
  /** Role ids the connection asserted before and no longer does. */
  readonly unassign: readonly string[];
  /** Asserted keys the organization has no role for: skipped, never fatal. */
  readonly unknownKeys: readonly string[];
}

/**
 * What one SSO sign-in changes in the user's assignments from that connection: the asserted set
 * becomes exactly what the connection grants. Assignments from admins, group mappings or other
 * connections are not the connection's to change, so they are not part of the input at all.
 * Applying the answer and asking again with the same assertion answers nothing to do.
 */
export const reconcileSsoRoles = ({ asserted, roles, heldFromConnection }: SsoRolesInput): SsoRolesChange => {
  const roleIdByKey = new Map(roles.map((role) => [role.key, role.roleId]));
  const wanted = new Set<string>();
  const unknownKeys = new Set<string>();
  for (const key of asserted) {
    const roleId = roleIdByKey.get(key);
    if (roleId === undefined) unknownKeys.add(key);
    else wanted.add(roleId);
  }
  const held = new Set(heldFromConnection);
  return {
    assign: [...wanted].filter((roleId) => !held.has(roleId)).sort(),
    unassign: [...held].filter((roleId) => !wanted.has(roleId)).sort(),
    unknownKeys: [...unknownKeys].sort(),
  };
};
