import {
  type ConnectionKind,
  type ConnectionPolicy,
  type OidcConnectionSettings,
  type SamlConnectionSettings,
} from '@mandate/contracts';
import { type ServiceProviderEndpoints } from '@mandate/authn-domain';

/** A connection as the protocol modules see it: its current settings, its endpoints, and its secrets on demand. */
export interface ConnectionUnderTest {
  readonly orgId: string;
  readonly connectionId: string;
  readonly kind: ConnectionKind;
  readonly name: string;
  readonly settingsVersion: number;
  readonly saml: SamlConnectionSettings | null;
  readonly oidc: OidcConnectionSettings | null;
  readonly policy: ConnectionPolicy;
  readonly serviceProvider: ServiceProviderEndpoints;
  /** Opens one of this connection's sealed secrets (client secret, private JWK, SP private key). */
  openSecret(sealed: string): string;
}

/** What a test of a connection found: `reason` is a stable code (`oidc_discovery_failed`), `message` for people. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly reason?: string;
  readonly message?: string;
}

/** Tries a connection's settings against its IdP (OIDC discovery and client authentication, SAML metadata, …). */
export interface ConnectionProbe {
  test(connection: ConnectionUnderTest): Promise<ConnectionTestResult>;
}

/** Renders the SP metadata document of a SAML connection (entity id, ACS, signing certificate). */
export interface SpMetadataRenderer {
  render(connection: ConnectionUnderTest): string;
}

/**
 * The protocol implementations installed in this instance, one probe per connection kind and the
 * SAML metadata renderer. The SAML and OIDC modules register theirs; a kind with no probe cannot be
 * tested (and so not enabled) — nothing is ever assumed to pass.
 */
export class ConnectionProtocols {
  private readonly probes = new Map<ConnectionKind, ConnectionProbe>();
  private metadataRenderer: SpMetadataRenderer | undefined;

  registerProbe(kind: ConnectionKind, probe: ConnectionProbe): this {
    this.probes.set(kind, probe);
    return this;
  }

  registerSpMetadataRenderer(renderer: SpMetadataRenderer): this {
    this.metadataRenderer = renderer;
    return this;
  }

  probeFor(kind: ConnectionKind): ConnectionProbe | undefined {
    return this.probes.get(kind);
  }

  get spMetadata(): SpMetadataRenderer | undefined {
    return this.metadataRenderer;
  }
}
