import {
  type ConnectionKind,
  type ConnectionPolicy,
  type OidcConnectionSettings,
  type SamlConnectionSettings,
} from '@mandate/contracts';

export interface ConnectionTestRecord {
  readonly settingsVersion: number;
  readonly ok: boolean;
  readonly reason: string | null;
  readonly message: string | null;
  readonly testedAt: string;
}

/** A row of `authn.sso_connections`. */
export interface ConnectionRow {
  org_id: string;
  connection_id: string;
  kind: ConnectionKind;
  name: string;
  status: 'disabled' | 'enabled' | 'deleted';
  saml: SamlConnectionSettings | null;
  oidc: OidcConnectionSettings | null;
  policy: ConnectionPolicy;
  domains: string[];
  settings_version: number;
  last_test: ConnectionTestRecord | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}
