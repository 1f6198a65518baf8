/**
 * Why a sign-in through an SSO connection was refused by the login flow itself; the SAML and OIDC
 * engines add their own reasons (`saml_…`, `oidc_…`). Stable strings: they go into `authn.login.failed`.
 */
export type LoginFlowFailureReason =
  | 'sso_connection_unavailable'
  | 'sso_attempt_unknown'
  | 'sso_attempt_expired'
  | 'sso_attempt_replayed'
  | 'sso_attempt_other_browser'
  | 'sso_idp_initiated_forbidden'
  | 'sso_relay_state_missing'
  | 'sso_user_not_provisioned'
  | 'sso_user_inactive'
  | 'sso_provisioning_timeout'
  | 'sso_mfa_failed'
  | 'sso_mfa_locked'
  | 'sso_organization_mismatch';

/** The HTTP status of a refused sign-in page: 413 for a message over the size cap, 400 otherwise. */
export const loginFailureStatus = (reason: string): 400 | 413 =>
  reason === 'saml_message_too_large' ? 413 : 400;

const MESSAGES: Readonly<Record<string, string>> = {
  sso_connection_unavailable: 'This sign-in method is not available. Ask your administrator.',
  sso_attempt_unknown: 'This sign-in was not started here. Start again from the application.',
  sso_attempt_expired: 'This sign-in took too long. Start again from the application.',
  sso_attempt_replayed: 'This sign-in was already used. Start again from the application.',
  sso_attempt_other_browser: 'This sign-in was started in another browser. Start again from the application.',
  sso_idp_initiated_forbidden:
    'Sign-ins started at the identity provider are not allowed for this organization.',
  sso_relay_state_missing: 'The identity provider did not say which application to open.',
  sso_user_not_provisioned: 'Your account has not been set up in this organization. Ask your administrator.',
  sso_user_inactive: 'Your account in this organization is not active.',
  sso_provisioning_timeout: 'Your account is being set up. Try signing in again in a moment.',
  sso_mfa_failed: 'That code was not accepted.',
  sso_mfa_locked: 'Too many wrong codes. Try again later.',
  sso_organization_mismatch: 'This application belongs to another organization than the one asked for.',
  saml_message_too_large: 'The identity provider sent a message that is too large.',
  saml_replay: 'This sign-in response was already used.',
  saml_expired: 'The identity provider’s answer has expired. Sign in again.',
  oidc_state_mismatch: 'This sign-in was not started here, or was already used. Start again.',
};

/** What the error page tells the person (never the technical detail, which goes to the audit log). */
export const loginFailureMessage = (reason: string): string =>
  MESSAGES[reason] ??
  (reason.startsWith('saml_') || reason.startsWith('oidc_')
    ? 'The identity provider’s answer could not be accepted. Sign in again, or ask your administrator.'
    : 'The sign-in could not be completed. Start again from the application.');
