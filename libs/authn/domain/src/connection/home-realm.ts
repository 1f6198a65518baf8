import { type ConnectionKind } from '@mandate/contracts';
import { normalizeDomainName } from './connection-settings';

/** What the application or the login page knows about who is signing in. */
export interface HomeRealmRequest {
  readonly email?: string | undefined;
  readonly organizationHint?: string | undefined;
  readonly connectionHint?: string | undefined;
}

/** An enabled connection, as discovery sees it. */
export interface DiscoverableConnection {
  readonly orgId: string;
  readonly connectionId: string;
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly domains: readonly string[];
}

/** What the lookups found for a request: the owner of the email's domain, and the enabled connections concerned. */
export interface HomeRealmFacts {
  /** The organization that verified the email's domain, if any did. */
  readonly domainOwner: string | null;
  /**
   * The enabled connections of the hinted organization, of the domain's owner, and the hinted
   * connection: every connection the decision may choose from.
   */
  readonly connections: readonly DiscoverableConnection[];
}

export interface ConnectionChoice {
  readonly connectionId: string;
  readonly name: string;
  readonly kind: ConnectionKind;
}

export type HomeRealm =
  | { readonly kind: 'connection'; readonly orgId: string; readonly connectionId: string }
  | { readonly kind: 'organization'; readonly orgId: string; readonly choices: readonly ConnectionChoice[] }
  | { readonly kind: 'none' };

const NONE: HomeRealm = { kind: 'none' };

/** The domain of an email address (after its last `@`), as domains are verified; null when there is none. */
export const emailDomainOf = (email: string | undefined): string | null => {
  if (email === undefined) return null;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return null;
  return normalizeDomainName(email.slice(at + 1));
};

const pick = (orgId: string, connections: readonly DiscoverableConnection[]): HomeRealm => {
  const [only, ...others] = connections;
  if (!only) return NONE;
  if (others.length === 0) return { kind: 'connection', orgId, connectionId: only.connectionId };
  return {
    kind: 'organization',
    orgId,
    choices: [...connections]
      .sort((a, b) => a.name.localeCompare(b.name) || a.connectionId.localeCompare(b.connectionId))
      .map(({ connectionId, name, kind }) => ({ connectionId, name, kind })),
  };
};

/**
 * Where a sign-in goes. A connection hint wins when it names an enabled connection (of the hinted
 * organization, if one is hinted). Otherwise an email decides: its verified domain names the
 * organization, and the enabled connections that serve that domain are the answer — none of them
 * means the person signs in another way (organizations may have SSO and non-SSO users side by side),
 * as does a domain no organization verified, or one verified by another organization than the hinted
 * one. Without an email, an organization hint picks its only enabled connection, or offers a choice.
 */
export const decideHomeRealm = (request: HomeRealmRequest, facts: HomeRealmFacts): HomeRealm => {
  const { organizationHint, connectionHint } = request;
  const hinted = facts.connections.find((connection) => connection.connectionId === connectionHint);
  if (hinted && (organizationHint === undefined || hinted.orgId === organizationHint))
    return { kind: 'connection', orgId: hinted.orgId, connectionId: hinted.connectionId };

  const domain = emailDomainOf(request.email);
  if (request.email !== undefined) {
    const orgId = facts.domainOwner;
    if (domain === null || orgId === null) return NONE;
    if (organizationHint !== undefined && organizationHint !== orgId) return NONE;
    return pick(
      orgId,
      facts.connections.filter(
        (connection) => connection.orgId === orgId && connection.domains.includes(domain),
      ),
    );
  }
  if (organizationHint !== undefined)
    return pick(
      organizationHint,
      facts.connections.filter((connection) => connection.orgId === organizationHint),
    );
  return NONE;
};
