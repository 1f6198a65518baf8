import {
  connectionDecider,
  connectionNotFound,
  type IdpDescription,
  idpSourceOf,
  type OidcSettingsInput,
  type PolicyInput,
  type SamlSettingsInput,
  type SecretInput,
  serviceProviderEndpoints,
  type SettingsEnvironment,
} from '@mandate/authn-domain';
import { connectionStream, type ConnectionKind, type SamlConnectionSettings } from '@mandate/contracts';
import { DomainError } from '@mandate/kernel';
import { ApiProblem, type Clock, type ContextWriter, prefixedId, type SecretBox } from '@mandate/platform';
import { X509Certificate } from 'node:crypto';
import { type DataSource } from 'typeorm';
import {
  type ConnectionProtocols,
  type ConnectionTestResult,
  type ConnectionUnderTest,
} from './connection-ports';
import { type ConnectionRow } from './connection-rows';
import { fetchIdpMetadata, type MetadataFetcher, readIdpMetadata } from './idp-metadata';
import { generateSelfSignedCertificate } from './self-signed-certificate';

/** A probe that has not answered by then counts as a failed test. */
export const CONNECTION_TEST_TIMEOUT_MS = 20_000;

/** The SAML part of a request: the IdP by one of three descriptions, and the switches. */
export interface SamlRequest {
  readonly metadataXml?: string | undefined;
  readonly metadataUrl?: string | undefined;
  readonly idpEntityId?: string | undefined;
  readonly idpSsoUrl?: string | undefined;
  readonly idpCertificates?: string[] | undefined;
  readonly wantAssertionsSigned?: boolean | undefined;
  readonly allowUnsignedAssertions?: boolean | undefined;
  readonly signAuthnRequests?: boolean | undefined;
  readonly allowIdpInitiated?: boolean | undefined;
  readonly relayStateAllowList?: string[] | undefined;
  readonly clockSkewSeconds?: number | undefined;
}

export interface OidcRequest {
  readonly issuer?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientAuth?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly privateKeyJwk?: Record<string, unknown> | undefined;
  readonly scopes?: string[] | undefined;
  readonly identity?: string | undefined;
}

export type ConnectionPatch = PolicyInput & {
  readonly name?: string | undefined;
  readonly saml?: SamlRequest | undefined;
  readonly oidc?: OidcRequest | undefined;
};

export type ConnectionRequest = ConnectionPatch & { readonly kind: ConnectionKind; readonly name: string };

const certificateView = (pem: string) => {
  const certificate = new X509Certificate(pem);
  return {
    pem,
    subject: certificate.subject,
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    fingerprint256: certificate.fingerprint256,
  };
};

/** A connection as the management API shows it: settings and SP endpoints, never a secret. */
export const connectionView = (row: ConnectionRow, issuer: string) => {
  const { saml, oidc, policy } = row;
  return {
    id: row.connection_id,
    orgId: row.org_id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    settingsVersion: row.settings_version,
    ...(saml && {
      saml: {
        idpSource: saml.idpSource,
        metadataUrl: saml.metadataUrl,
        idpEntityId: saml.idpEntityId,
        idpSsoUrl: saml.idpSsoUrl,
        idpCertificates: saml.idpCertificates.map(certificateView),
        wantAssertionsSigned: saml.wantAssertionsSigned,
        allowUnsignedAssertions: saml.allowUnsignedAssertions,
        signAuthnRequests: saml.signAuthnRequests,
        allowIdpInitiated: saml.allowIdpInitiated,
        relayStateAllowList: saml.relayStateAllowList,
        clockSkewSeconds: saml.clockSkewSeconds,
        spSigningCertificate: saml.spSigning?.certificatePem ?? null,
      },
    }),
    ...(oidc && {
      oidc: {
        issuer: oidc.issuer,
        clientId: oidc.clientId,
        clientAuth: oidc.clientAuth,
        hasClientSecret: oidc.sealedClientSecret !== null,
        hasPrivateKey: oidc.sealedPrivateKeyJwk !== null,
        privateKeyId: oidc.privateKeyId,
        scopes: oidc.scopes,
        identity: oidc.identity,
      },
    }),
    attributeMapping: policy.attributeMapping,
    groupRoleMappings: policy.groupRoleMappings,
    jit: policy.jit,
    mfa: policy.mfa,
    domains: policy.domains,
    serviceProvider: serviceProviderEndpoints(issuer, row.connection_id, row.kind),
    lastTest: row.last_test && {
      ...row.last_test,
      current: row.last_test.settingsVersion === row.settings_version,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
};

export type ConnectionView = ReturnType<typeof connectionView>;

const describesIdp = (saml: SamlRequest) =>
  saml.metadataXml !== undefined ||
  saml.metadataUrl !== undefined ||
  saml.idpEntityId !== undefined ||
  saml.idpSsoUrl !== undefined ||
  saml.idpCertificates !== undefined;

const currentSwitches = (saml: SamlConnectionSettings): SamlRequest => ({
  wantAssertionsSigned: saml.wantAssertionsSigned,
  allowUnsignedAssertions: saml.allowUnsignedAssertions,
  signAuthnRequests: saml.signAuthnRequests,
  allowIdpInitiated: saml.allowIdpInitiated,
  relayStateAllowList: saml.relayStateAllowList,
  clockSkewSeconds: saml.clockSkewSeconds,
});

const keptIdp = (saml: SamlConnectionSettings): IdpDescription => ({
  source: saml.idpSource,
  metadataUrl: saml.metadataUrl,
  entityId: saml.idpEntityId,
  ssoUrl: saml.idpSsoUrl,
  certificates: saml.idpCertificates,
});

export interface ConnectionsServiceOptions {
  readonly dataSource: DataSource;
  readonly writer: ContextWriter;
  readonly secrets: SecretBox;
  readonly protocols: ConnectionProtocols;
  readonly metadata: MetadataFetcher;
  /** Mandate's issuer (the public URL): the SP endpoints live under it. */
  readonly issuer: () => string;
  readonly environment: () => SettingsEnvironment;
  readonly clock: Clock;
}

/**
 * SSO connections of an organization: created disabled, tested against the IdP, enabled once the
 * current settings passed a test. Secrets (OIDC client secrets and private keys, SP signing keys) are
 * sealed before they reach an event, bound to their connection, and never returned.
 */
export class ConnectionsService {
  private readonly execute;

  constructor(private readonly options: ConnectionsServiceOptions) {
    this.execute = options.writer.handlerFor(connectionDecider);
  }

  async list(orgId: string): Promise<ConnectionView[]> {
    const rows: ConnectionRow[] = await this.options.dataSource.query(
      `select * from authn.sso_connections where org_id = $1 and status <> 'deleted'
        order by connection_id limit 1000`,
      [orgId],
    );
    return rows.map((row) => connectionView(row, this.options.issuer()));
  }

  async get(orgId: string, connectionId: string): Promise<ConnectionView> {
    return connectionView(await this.row(orgId, connectionId), this.options.issuer());
  }

  async create(orgId: string, request: ConnectionRequest): Promise<ConnectionView> {
    await this.assertOrganization(orgId);
    const connectionId = prefixedId('con');
    const environment = this.options.environment();
    const saml =
      request.saml === undefined
        ? null
        : await this.samlInput(
            connectionId,
            request.saml,
            await this.resolveIdp(request.saml, environment),
            null,
          );
    await this.execute(connectionStream(connectionId), orgId, 'CreateConnection', {
      orgId,
      connectionId,
      kind: request.kind,
      name: request.name,
      saml,
      oidc: request.oidc === undefined ? null : this.oidcInput(connectionId, request.oidc, null),
      policy: {
        attributeMapping: request.attributeMapping,
        groupRoleMappings: request.groupRoleMappings,
        jit: request.jit,
        mfa: request.mfa,
        domains: request.domains,
      },
      environment,
    });
    return this.get(orgId, connectionId);
  }

  /** Applies a partial change: fields left out keep their value, secrets left out are kept sealed. */
  async update(orgId: string, connectionId: string, patch: ConnectionPatch): Promise<ConnectionView> {
    const row = await this.row(orgId, connectionId);
    const environment = this.options.environment();
    let saml: SamlSettingsInput | null = null;
    if (row.saml) {
      const change = patch.saml ?? {};
      const idp = describesIdp(change) ? await this.resolveIdp(change, environment) : keptIdp(row.saml);
      saml = await this.samlInput(connectionId, { ...currentSwitches(row.saml), ...change }, idp, row.saml);
    } else if (patch.saml !== undefined) {
      saml = await this.samlInput(
        connectionId,
        patch.saml,
        await this.resolveIdp(patch.saml, environment),
        null,
      );
    }
    const { policy } = row;
    await this.execute(connectionStream(connectionId), orgId, 'UpdateConnection', {
      name: patch.name ?? row.name,
      saml,
      oidc: row.oidc || patch.oidc ? this.oidcInput(connectionId, patch.oidc ?? {}, row) : null,
      policy: {
        // A preset starts the mapping afresh; names alone change only what they name.
        attributeMapping:
          patch.attributeMapping?.preset !== undefined
            ? patch.attributeMapping
            : { ...policy.attributeMapping, ...patch.attributeMapping },
        groupRoleMappings: patch.groupRoleMappings ?? policy.groupRoleMappings,
        jit: { ...policy.jit, ...patch.jit },
        mfa: { ...policy.mfa, ...patch.mfa },
        domains: patch.domains ?? policy.domains,
      },
      environment,
      verifiedDomains: await this.verifiedDomains(orgId),
    });
    return this.get(orgId, connectionId);
  }

  async delete(orgId: string, connectionId: string): Promise<void> {
    await this.row(orgId, connectionId);
    await this.execute(connectionStream(connectionId), orgId, 'DeleteConnection', {});
  }

  /** Runs the probe of the connection's kind on its current settings and records the outcome. */
  async test(orgId: string, connectionId: string): Promise<ConnectionView> {
    const row = await this.row(orgId, connectionId);
    const probe = this.options.protocols.probeFor(row.kind);
    if (!probe)
      throw new ApiProblem(
        'PLATFORM_NOT_IMPLEMENTED',
        `This instance has no ${row.kind.toUpperCase()} connection test installed; the connection cannot be tested yet.`,
      );
    const result = await this.probe(() => probe.test(this.underTest(row)));
    await this.execute(connectionStream(connectionId), orgId, 'RecordConnectionTest', {
      settingsVersion: row.settings_version,
      ok: result.ok,
      reason: result.ok ? null : (result.reason ?? 'test_failed'),
      message: result.message?.slice(0, 2000) ?? null,
    });
    return this.get(orgId, connectionId);
  }

  async enable(orgId: string, connectionId: string): Promise<ConnectionView> {
    await this.row(orgId, connectionId);
    await this.execute(connectionStream(connectionId), orgId, 'EnableConnection', {
      verifiedDomains: await this.verifiedDomains(orgId),
    });
    return this.get(orgId, connectionId);
  }

  async disable(orgId: string, connectionId: string): Promise<ConnectionView> {
    await this.row(orgId, connectionId);
    await this.execute(connectionStream(connectionId), orgId, 'DisableConnection', {});
    return this.get(orgId, connectionId);
  }

  /** The SP metadata of a SAML connection, rendered by the SAML module. */
  async spMetadata(connectionId: string): Promise<string> {
    const rows: ConnectionRow[] = await this.options.dataSource.query(
      "select * from authn.sso_connections where connection_id = $1 and kind = 'saml' and status <> 'deleted'",
      [connectionId],
    );
    if (!rows[0]) throw connectionNotFound();
    const renderer = this.options.protocols.spMetadata;
    if (!renderer)
      throw new ApiProblem(
        'PLATFORM_NOT_IMPLEMENTED',
        'This instance has no SAML service provider installed.',
      );
    return renderer.render(this.underTest(rows[0]));
  }

  /** A connection's settings for the protocol modules, with its secrets opened only on request. */
  underTest(row: ConnectionRow): ConnectionUnderTest {
    return {
      orgId: row.org_id,
      connectionId: row.connection_id,
      kind: row.kind,
      name: row.name,
      settingsVersion: row.settings_version,
      saml: row.saml,
      oidc: row.oidc,
      policy: row.policy,
      serviceProvider: serviceProviderEndpoints(this.options.issuer(), row.connection_id, row.kind),
      openSecret: (sealed) => this.options.secrets.open(sealed, secretContext(row.connection_id)),
    };
  }

  private async probe(run: () => Promise<ConnectionTestResult>): Promise<ConnectionTestResult> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ConnectionTestResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, reason: 'test_timeout', message: 'The test did not finish in time' }),
        CONNECTION_TEST_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([run(), deadline]);
    } catch (error) {
      return {
        ok: false,
        reason: 'test_error',
        message: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private async resolveIdp(saml: SamlRequest, environment: SettingsEnvironment): Promise<IdpDescription> {
    const source = idpSourceOf(saml);
    if (source === 'fields')
      return {
        source,
        metadataUrl: null,
        entityId: saml.idpEntityId,
        ssoUrl: saml.idpSsoUrl,
        certificates: saml.idpCertificates,
      };
    const metadata =
      source === 'metadata_xml'
        ? readIdpMetadata(saml.metadataXml!, '#/saml/metadataXml')
        : await fetchIdpMetadata(saml.metadataUrl!, this.options.metadata, environment);
    return { source, metadataUrl: saml.metadataUrl ?? null, ...metadata };
  }

  /** The SAML input, with the SP key pair kept, or made when AuthnRequests are signed and there is none yet. */
  private async samlInput(
    connectionId: string,
    saml: SamlRequest,
    idp: IdpDescription,
    current: SamlConnectionSettings | null,
  ): Promise<SamlSettingsInput> {
    let spSigning = current?.spSigning ?? null;
    if ((saml.signAuthnRequests ?? true) && spSigning === null) {
      const { certificatePem, privateKeyPem } = await generateSelfSignedCertificate(
        `${connectionId}.sso.mandate`,
        this.options.clock(),
      );
      spSigning = { certificatePem, sealedPrivateKey: this.seal(connectionId, privateKeyPem) };
    }
    return {
      idp,
      wantAssertionsSigned: saml.wantAssertionsSigned,
      allowUnsignedAssertions: saml.allowUnsignedAssertions,
      signAuthnRequests: saml.signAuthnRequests,
      allowIdpInitiated: saml.allowIdpInitiated,
      relayStateAllowList: saml.relayStateAllowList,
      clockSkewSeconds: saml.clockSkewSeconds,
      spSigning,
    };
  }

  private oidcInput(
    connectionId: string,
    oidc: OidcRequest,
    current: ConnectionRow | null,
  ): OidcSettingsInput {
    const kept = current?.oidc;
    const secret = (
      plaintext: string | undefined,
      sealed: string | null | undefined,
    ): SecretInput | undefined =>
      plaintext !== undefined
        ? { plaintext, sealed: this.seal(connectionId, plaintext) }
        : sealed
          ? { sealed }
          : undefined;
    const jwk = oidc.privateKeyJwk === undefined ? undefined : JSON.stringify(oidc.privateKeyJwk);
    const privateKey = secret(jwk, kept?.sealedPrivateKeyJwk);
    return {
      issuer: oidc.issuer ?? kept?.issuer,
      clientId: oidc.clientId ?? kept?.clientId,
      clientAuth: oidc.clientAuth ?? kept?.clientAuth,
      clientSecret: secret(oidc.clientSecret, kept?.sealedClientSecret),
      privateKeyJwk: privateKey && {
        ...privateKey,
        keyId: jwk === undefined ? (kept?.privateKeyId ?? null) : null,
      },
      scopes: oidc.scopes ?? kept?.scopes,
      identity: oidc.identity ?? kept?.identity,
    };
  }

  private seal(connectionId: string, plaintext: string): string {
    return this.options.secrets.seal(plaintext, secretContext(connectionId));
  }

  private async row(orgId: string, connectionId: string): Promise<ConnectionRow> {
    const rows: ConnectionRow[] = await this.options.dataSource.query(
      "select * from authn.sso_connections where org_id = $1 and connection_id = $2 and status <> 'deleted'",
      [orgId, connectionId],
    );
    if (!rows[0]) throw connectionNotFound();
    return rows[0];
  }

  private async verifiedDomains(orgId: string): Promise<string[]> {
    const rows: { domain: string }[] = await this.options.dataSource.query(
      'select domain from authn.org_domains where org_id = $1',
      [orgId],
    );
    return rows.map((row) => row.domain);
  }

  private async assertOrganization(orgId: string): Promise<void> {
    const rows: unknown[] = await this.options.dataSource.query(
      "select 1 from authn.known_organizations where org_id = $1 and status = 'active'",
      [orgId],
    );
    if (rows.length === 0)
      throw new DomainError('not_found', 'AUTHN_ORGANIZATION_NOT_FOUND', 'There is no such organization');
  }
}

/** Sealed secrets are bound to their connection: one copied onto another connection does not open. */
const secretContext = (connectionId: string) => `connection:${connectionId}`;
