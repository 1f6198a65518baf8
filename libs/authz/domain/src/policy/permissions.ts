/** Whether a granted permission (possibly a wildcard: `documents:*`, `*`) covers a requested one. */
export const permissionCovers = (granted: string, requested: string): boolean => {
  if (granted === '*' || granted === requested) return true;
  if (!granted.endsWith(':*')) return false;
  return requested.startsWith(granted.slice(0, -1));
};

/** Whether any of `granted` covers `requested`. */
export const anyCovers = (granted: Iterable<string>, requested: string): boolean => {
  for (const permission of granted) if (permissionCovers(permission, requested)) return true;
  return false;
};

/** The permissions of `requested` that nothing in `granted` covers. */
export const uncovered = (granted: readonly string[], requested: readonly string[]): string[] =>
  requested.filter((permission) => !anyCovers(granted, permission));

export interface RoleDefinition {
  readonly permissions: readonly string[];
  readonly includes: readonly string[];
}

/**
 * Every permission a role grants, its own and those of the roles it includes, transitively. Roles
 * form a DAG (the policy refuses cycles); `seen` guards anyway.
 */
export const effectivePermissions = (
  roles: ReadonlyMap<string, RoleDefinition>,
  roleId: string,
  seen: Set<string> = new Set(),
): Set<string> => {
  const permissions = new Set<string>();
  if (seen.has(roleId)) return permissions;
  seen.add(roleId);
  const role = roles.get(roleId);
  if (!role) return permissions;
  for (const permission of role.permissions) permissions.add(permission);
  for (const included of role.includes) {
    for (const permission of effectivePermissions(roles, included, seen)) permissions.add(permission);
  }
  return permissions;
};

/** The roles that grant `permission`, directly or through a role they include. */
export const rolesGranting = (roles: ReadonlyMap<string, RoleDefinition>, permission: string): string[] =>
  [...roles.keys()].filter((roleId) => anyCovers(effectivePermissions(roles, roleId), permission));
