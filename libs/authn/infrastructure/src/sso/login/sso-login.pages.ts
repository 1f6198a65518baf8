import { type ConnectionChoice } from '@mandate/authn-domain';
import { type MfaFactorKind } from '@mandate/contracts';
import { INTERACTION_PATH } from '../../oauth/authorization-server';

export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;

const alert = (message: string | undefined) => (message ? `<p role="alert">${escapeHtml(message)}</p>` : '');

const action = (uid: string, path: string) => `${INTERACTION_PATH}/${escapeHtml(uid)}/${path}`;

/**
 * The sign-in page of an authorization request: the work email first (home-realm discovery sends
 * it to the organization's IdP), and a login ticket for people of the organization without SSO.
 */
export const signInPage = (page: {
  readonly uid: string;
  readonly clientName: string;
  readonly email?: string;
  readonly error?: string;
  readonly notice?: string;
}): string =>
  layout(
    `Sign in to ${page.clientName}`,
    `${alert(page.error)}${page.notice ? `<p>${escapeHtml(page.notice)}</p>` : ''}
<form method="post" action="${action(page.uid, 'sso')}">
<label>Work email <input type="email" name="email" autocomplete="username" value="${escapeHtml(page.email ?? '')}" required></label>
<button type="submit">Continue</button></form>
<form method="post" action="${action(page.uid, 'login')}">
<label>Login ticket <input name="ticket" autocomplete="one-time-code" required></label>
<button type="submit">Sign in with a ticket</button></form>`,
  );

/** An organization with several connections: the person picks theirs. */
export const connectionChoicePage = (page: {
  readonly uid: string;
  readonly clientName: string;
  readonly choices: readonly ConnectionChoice[];
}): string =>
  layout(
    `Sign in to ${page.clientName}`,
    page.choices
      .map(
        (choice) => `<form method="post" action="${action(page.uid, 'sso')}">
<input type="hidden" name="connection" value="${escapeHtml(choice.connectionId)}">
<button type="submit">Continue with ${escapeHtml(choice.name)}</button></form>`,
      )
      .join('\n'),
  );

/** The second factor after the IdP: an authenticator code, a security key or passkey, or a recovery code. */
export const mfaPage = (page: {
  readonly uid: string;
  readonly factors: readonly MfaFactorKind[];
  readonly error?: string;
}): string =>
  layout(
    'Confirm it is you',
    `${alert(page.error)}
${
  page.factors.includes('totp')
    ? `<form method="post" action="${action(page.uid, 'mfa')}">
<label>Code from your authenticator app <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>
<button type="submit">Verify</button></form>`
    : ''
}
${
  page.factors.includes('webauthn')
    ? `<form method="post" action="${action(page.uid, 'mfa/webauthn')}" data-webauthn-options="${action(page.uid, 'mfa/webauthn/options')}">
<input type="hidden" name="credential">
<button type="submit">Use your security key or passkey</button></form>`
    : ''
}
${
  page.factors.includes('recovery_codes')
    ? `<form method="post" action="${action(page.uid, 'mfa')}">
<label>Recovery code <input name="recovery_code" autocomplete="one-time-code" required></label>
<button type="submit">Use a recovery code</button></form>`
    : ''
}`,
  );

/** The organization requires a second factor and the person has none: set up an authenticator app first. */
export const mfaEnrolStartPage = (page: { readonly uid: string }): string =>
  layout(
    'Set up two-step verification',
    `<p>Your organization requires a second factor. Set up an authenticator app to continue.</p>
<form method="post" action="${action(page.uid, 'mfa/enrol')}"><button type="submit">Set up an authenticator app</button></form>`,
  );

export const mfaEnrolPage = (page: {
  readonly uid: string;
  readonly factorId: string;
  readonly otpauthUri: string;
  readonly secret: string;
  readonly error?: string;
}): string =>
  layout(
    'Set up two-step verification',
    `${alert(page.error)}
<p>Add this account to your authenticator app (scan the link as a QR code, or type the key), then enter the code it shows.</p>
<p><a id="otpauth" href="${escapeHtml(page.otpauthUri)}">${escapeHtml(page.otpauthUri)}</a></p>
<p>Key: <code>${escapeHtml(page.secret)}</code></p>
<form method="post" action="${action(page.uid, 'mfa/enrol/confirm')}">
<input type="hidden" name="factor_id" value="${escapeHtml(page.factorId)}">
<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>
<button type="submit">Confirm</button></form>`,
  );

/** A refused sign-in: what happened in words, and the stable reason for support. */
export const loginErrorPage = (page: { readonly message: string; readonly reason: string }): string =>
  layout(
    'Sign-in failed',
    `<p role="alert">${escapeHtml(page.message)}</p>
<p>Reason: <code data-reason="${escapeHtml(page.reason)}">${escapeHtml(page.reason)}</code></p>`,
  );
