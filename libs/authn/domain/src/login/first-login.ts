import { type LoginFlowFailureReason } from './login-failure';

/** What is known when an IdP has vouched for `(connectionId, subject)`. */
export interface FirstLoginFacts {
  /** The user this identity is linked to, and whether they are active. */
  readonly linked: { readonly userId: string; readonly active: boolean } | null;
  /** The organization's users with the asserted (verified) email, if the IdP asserted one. */
  readonly sameEmail: readonly {
    readonly userId: string;
    readonly active: boolean;
    readonly linked: boolean;
  }[];
  readonly jitEnabled: boolean;
  /** The connection trusts the IdP's email to link an existing user on first login. */
  readonly linkByEmail: boolean;
  /** The asserted email's domain is one the connection serves (verified by the organization). */
  readonly emailDomainServed: boolean;
  /** The id a just-in-time user would get (chosen by the caller, so the decision stays pure). */
  readonly newUserId: string;
}

export type FirstLoginDecision =
  | { readonly kind: 'signed_in'; readonly userId: string }
  | { readonly kind: 'link_existing'; readonly userId: string }
  | { readonly kind: 'provision'; readonly userId: string }
  | { readonly kind: 'refused'; readonly reason: LoginFlowFailureReason; readonly detail: string };

/**
 * Who signs in. The identity's link decides, never the email: an IdP asserting someone's email
 * through another connection reaches a different identity. Without a link, an existing user with
 * that email is linked only where the connection trusts emails for linking, for an email of a domain
 * the connection serves — and only a user no identity of this connection claims yet. Otherwise a just-in-time user is created when the
 * connection allows it — a new identity, even when the email is that of an existing user.
 */
export const decideFirstLogin = (facts: FirstLoginFacts): FirstLoginDecision => {
  if (facts.linked !== null)
    return facts.linked.active
      ? { kind: 'signed_in', userId: facts.linked.userId }
      : { kind: 'refused', reason: 'sso_user_inactive', detail: 'the linked user is not active' };
  const candidates = facts.sameEmail.filter((user) => !user.linked);
  if (facts.linkByEmail && facts.emailDomainServed && candidates.length === 1) {
    const [user] = candidates;
    return user!.active
      ? { kind: 'link_existing', userId: user!.userId }
      : { kind: 'refused', reason: 'sso_user_inactive', detail: 'the user with this email is not active' };
  }
  if (!facts.jitEnabled)
    return {
      kind: 'refused',
      reason: 'sso_user_not_provisioned',
      detail: 'no user is linked to this identity and the connection does not provision users',
    };
  return { kind: 'provision', userId: facts.newUserId };
};
