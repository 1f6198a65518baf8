import { AdminOnly, ZodBody } from '@mandate/platform';
import { Controller, Delete, Get, Header, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ConnectionsService } from './connections.service';
import { HomeRealmDiscovery } from './home-realm-discovery';
import { MAX_METADATA_BYTES } from './idp-metadata';

// The shapes a request may take; what the values must be (https, certificates, ranges) the domain decides,
// naming the field at fault.
const text = (max: number) => z.string().max(max);
const saml = z.strictObject({
  metadataXml: text(MAX_METADATA_BYTES).optional(),
  metadataUrl: text(2000).optional(),
  idpEntityId: text(1024).optional(),
  idpSsoUrl: text(2000).optional(),
  idpCertificates: z.array(text(20_000)).max(5).optional(),
  wantAssertionsSigned: z.boolean().optional(),
  allowUnsignedAssertions: z.boolean().optional(),
  signAuthnRequests: z.boolean().optional(),
  allowIdpInitiated: z.boolean().optional(),
  relayStateAllowList: z.array(text(2000)).max(50).optional(),
  clockSkewSeconds: z.number().optional(),
});
const oidc = z.strictObject({
  issuer: text(2000).optional(),
  clientId: text(500).optional(),
  clientAuth: text(50).optional(),
  clientSecret: text(1000).optional(),
  privateKeyJwk: z.record(z.string(), z.unknown()).optional(),
  scopes: z.array(text(128)).max(50).optional(),
  identity: text(50).optional(),
});
const attributeMapping = z.strictObject({
  preset: text(50).optional(),
  email: text(300).optional(),
  givenName: text(300).optional(),
  familyName: text(300).optional(),
  displayName: text(300).optional(),
  groups: text(300).optional(),
});
const policy = {
  attributeMapping: attributeMapping.optional(),
  groupRoleMappings: z
    .array(z.strictObject({ group: text(500), role: text(100) }))
    .max(500)
    .optional(),
  jit: z
    .strictObject({
      enabled: z.boolean().optional(),
      defaultRoles: z.array(text(100)).max(50).optional(),
      linkByEmail: z.boolean().optional(),
    })
    .optional(),
  mfa: z.strictObject({ required: z.boolean().optional() }).optional(),
  domains: z.array(text(253)).max(100).optional(),
};

const createConnection = z.strictObject({
  kind: z.enum(['saml', 'oidc']),
  name: text(200),
  saml: saml.optional(),
  oidc: oidc.optional(),
  ...policy,
});
const updateConnection = z.strictObject({
  name: text(200).optional(),
  saml: saml.optional(),
  oidc: oidc.optional(),
  ...policy,
});
const discovery = z.strictObject({
  email: text(320).optional(),
  organizationHint: text(100).optional(),
  connectionHint: text(100).optional(),
});

/**
 * SSO connections of an organization (SAML 2.0 or OpenID Connect upstream IdPs). A connection is
 * created disabled; `POST …/test` tries its current settings against the IdP and `POST …/enable`
 * works only after such a test passed. Secrets are accepted, sealed, and never returned.
 */
@ApiTags('authn: connections')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ApiOperation({ summary: "List the organization's SSO connections" })
  async list(@Param('orgId') orgId: string) {
    return { data: await this.connections.list(orgId) };
  }

  @Post()
  @ApiOperation({
    summary: 'Create a SAML or OIDC connection (disabled until tested and enabled)',
    description:
      'SAML: exactly one of `metadataXml`, `metadataUrl` (https, fetched now) or `idpEntityId` + `idpSsoUrl` + ' +
      '`idpCertificates`. OIDC: `issuer`, `clientId`, `clientAuth` with `clientSecret` or `privateKeyJwk`. ' +
      'A malformed setting is refused with `errors[].pointer` naming it. The answer carries the SP endpoints ' +
      'to configure at the IdP.',
  })
  create(@Param('orgId') orgId: string, @ZodBody(createConnection) body: z.infer<typeof createConnection>) {
    return this.connections.create(orgId, body);
  }

  @Get(':connectionId')
  @ApiOperation({ summary: 'Read a connection (secrets are never shown)' })
  get(@Param('orgId') orgId: string, @Param('connectionId') connectionId: string) {
    return this.connections.get(orgId, connectionId);
  }

  @Patch(':connectionId')
  @ApiOperation({
    summary: 'Change a connection',
    description:
      'Fields left out keep their value; secrets left out are kept. Changing the SAML or OIDC settings of an ' +
      'enabled connection disables it until the new settings pass a test.',
  })
  update(
    @Param('orgId') orgId: string,
    @Param('connectionId') connectionId: string,
    @ZodBody(updateConnection) body: z.infer<typeof updateConnection>,
  ) {
    return this.connections.update(orgId, connectionId, body);
  }

  @Delete(':connectionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connection' })
  async delete(@Param('orgId') orgId: string, @Param('connectionId') connectionId: string) {
    await this.connections.delete(orgId, connectionId);
  }

  @Post(':connectionId/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Test the current settings against the IdP and record the outcome' })
  test(@Param('orgId') orgId: string, @Param('connectionId') connectionId: string) {
    return this.connections.test(orgId, connectionId);
  }

  @Post(':connectionId/enable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Enable the connection',
    description:
      'Only after a successful test of the current settings, and when every domain it serves is verified.',
  })
  enable(@Param('orgId') orgId: string, @Param('connectionId') connectionId: string) {
    return this.connections.enable(orgId, connectionId);
  }

  @Post(':connectionId/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable the connection' })
  disable(@Param('orgId') orgId: string, @Param('connectionId') connectionId: string) {
    return this.connections.disable(orgId, connectionId);
  }
}

/**
 * Home-realm discovery for operators and the login flow's tests: it crosses organizations (an email's
 * domain names its organization), so only the admin key may ask.
 */
@ApiTags('authn: connections')
@ApiBearerAuth()
@AdminOnly()
@Controller('api/v1/sso/discovery')
export class HomeRealmDiscoveryController {
  constructor(private readonly discovery: HomeRealmDiscovery) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Where a sign-in goes: a connection, a choice within an organization, or none' })
  resolve(@ZodBody(discovery) body: z.infer<typeof discovery>) {
    return this.discovery.resolve(body);
  }
}

/** The SP metadata an IdP fetches for a SAML connection (public, like any SAML metadata). */
@ApiTags('authn: connections')
@Controller('sso/saml/:connectionId/metadata')
export class SpMetadataController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @Header('content-type', 'application/samlmetadata+xml')
  @ApiOperation({ summary: "A SAML connection's service provider metadata" })
  metadata(@Param('connectionId') connectionId: string) {
    return this.connections.spMetadata(connectionId);
  }
}
