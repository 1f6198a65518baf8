/**
 * RelayState as a redirect target after login, restricted to a connection's allow-list: an absolute
 * URL rule allows that origin and its path prefix; a path rule (`/app`) allows same-origin paths under it.
 */
export type RelayStateRule =
  | { readonly kind: 'absolute'; readonly origin: string; readonly path: string }
  | { readonly kind: 'path'; readonly path: string };

/** Far longer than the 80 bytes SAML Bindings §3.4.3 allows, but bounded. */
export const MAX_RELAY_STATE_LENGTH = 2048;

// Only for resolving relative paths; never a real host.
const PLACEHOLDER_ORIGIN = 'https://relay-state.invalid';

export const parseRelayStateRule = (entry: string): RelayStateRule | null => {
  if (isSafePath(entry)) {
    const resolved = new URL(entry, PLACEHOLDER_ORIGIN);
    if (resolved.origin !== PLACEHOLDER_ORIGIN) return null;
    return { kind: 'path', path: resolved.pathname };
  }
  const url = tryUrl(entry);
  if (!url || url.protocol !== 'https:' || url.username || url.password) return null;
  return { kind: 'absolute', origin: url.origin, path: url.pathname };
};

/** True when `relayState` points inside one of the allow-listed targets. */
export const isRelayStateAllowed = (relayState: string, allowList: readonly string[]): boolean => {
  // eslint-disable-next-line no-control-regex
  if (relayState.length > MAX_RELAY_STATE_LENGTH || /[\u0000-\u001f\u007f\\]/.test(relayState)) return false;
  const rules = allowList.map(parseRelayStateRule).filter((rule): rule is RelayStateRule => rule !== null);
  if (isSafePath(relayState)) {
    const target = new URL(relayState, PLACEHOLDER_ORIGIN);
    if (target.origin !== PLACEHOLDER_ORIGIN) return false;
    return rules.some((rule) => rule.kind === 'path' && underPath(target.pathname, rule.path));
  }
  const target = tryUrl(relayState);
  if (!target || target.username || target.password) return false;
  return rules.some(
    (rule) =>
      rule.kind === 'absolute' && target.origin === rule.origin && underPath(target.pathname, rule.path),
  );
};

/** A path beginning with exactly one "/" (so not protocol-relative `//host`) and no backslash. */
const isSafePath = (value: string): boolean =>
  value.startsWith('/') && !value.startsWith('//') && !value.includes('\\');

/** `/app` covers `/app` and `/app/…`, never `/apple`. */
const underPath = (path: string, prefix: string): boolean =>
  prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

const tryUrl = (value: string): URL | null => {
  try {
    return new URL(value);
  } catch {
    return null;
  }
};
