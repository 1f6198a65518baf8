/** Why a SAML message was refused. Stable strings: they go into `authn.login.failed` audit records. */
export type SamlFailureReason =
  | 'saml_missing_response'
  | 'saml_message_too_large'
  | 'saml_malformed'
  | 'saml_doctype_forbidden'
  | 'saml_multiple_assertions'
  | 'saml_invalid_signature'
  | 'saml_decryption_failed'
  | 'saml_status_error'
  | 'saml_destination_mismatch'
  | 'saml_recipient_mismatch'
  | 'saml_audience_mismatch'
  | 'saml_issuer_mismatch'
  | 'saml_unsolicited_response'
  | 'saml_inresponseto_invalid'
  | 'saml_expired'
  | 'saml_not_yet_valid'
  | 'saml_replay'
  | 'saml_relay_state_forbidden';

/** A SAML message refused for `reason`. The message is for logs; callers branch on `reason`. */
export class SamlLoginError extends Error {
  override readonly name = 'SamlLoginError';

  constructor(
    readonly reason: SamlFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A SAML connection configuration (or IdP metadata) refused, naming the field at fault. */
export class SamlConfigError extends Error {
  override readonly name = 'SamlConfigError';
  readonly code = 'AUTHN_SAML_CONFIG_INVALID';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
