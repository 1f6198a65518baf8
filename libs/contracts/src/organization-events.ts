import { type Event } from '@mandate/kernel';
import { z } from 'zod';
import { type DomainEvent } from './directory-events';
import { defineIntegrationEvent } from './integration-events';

const orgId = z.string().regex(/^org_[0-9a-z]{26}$/);
const keyId = z.string().regex(/^[0-9a-f]{20}$/);

export const OrganizationCreatedV1 = defineIntegrationEvent(
  'directory.organization.created',
  1,
  z.strictObject({ orgId, name: z.string().min(1).max(200), createdAt: z.iso.datetime() }),
);
export const OrganizationRenamedV1 = defineIntegrationEvent(
  'directory.organization.renamed',
  1,
  z.strictObject({ orgId, name: z.string().min(1).max(200) }),
);
export const OrganizationDeletedV1 = defineIntegrationEvent(
  'directory.organization.deleted',
  1,
  z.strictObject({ orgId, deletedAt: z.iso.datetime() }),
);
/**
 * An organization API key was issued. Every service verifies keys itself, so the event carries the
 * SHA-256 of the key's 256-bit random secret (never the secret): enough to check a presented key,
 * useless for forging one.
 */
export const ApiKeyIssuedV1 = defineIntegrationEvent(
  'directory.api_key.issued',
  1,
  z.strictObject({
    orgId,
    keyId,
    name: z.string().min(1).max(100),
    secretHash: z.string().regex(/^[0-9a-f]{64}$/),
    lastFour: z.string().length(4),
    issuedAt: z.iso.datetime(),
  }),
);
export const ApiKeyRevokedV1 = defineIntegrationEvent(
  'directory.api_key.revoked',
  1,
  z.strictObject({
    orgId,
    keyId,
    revokedAt: z.iso.datetime(),
    reason: z.enum(['revoked', 'rotated', 'organization_deleted']),
  }),
);

type DataOf<Definition extends { schema: z.ZodType }> = z.output<Definition['schema']>;

export type OrganizationCreated = Event<
  'directory.organization.created',
  DataOf<typeof OrganizationCreatedV1>
>;
export type OrganizationRenamed = Event<
  'directory.organization.renamed',
  DataOf<typeof OrganizationRenamedV1>
>;
export type OrganizationDeleted = Event<
  'directory.organization.deleted',
  DataOf<typeof OrganizationDeletedV1>
>;
export type ApiKeyIssued = Event<'directory.api_key.issued', DataOf<typeof ApiKeyIssuedV1>>;
export type ApiKeyRevoked = Event<'directory.api_key.revoked', DataOf<typeof ApiKeyRevokedV1>>;

export type OrganizationEvent =
  | OrganizationCreated
  | OrganizationRenamed
  | OrganizationDeleted
  | ApiKeyIssued
  | ApiKeyRevoked
  | DomainEvent;

/** The stream of one organization: its lifecycle, its API keys and its domains. */
export const organizationStream = (orgId: string): string => `organization-${orgId}`;
