import {
  AgentDeletedV1,
  AgentReactivatedV1,
  AgentRegisteredV1,
  AgentSuspendedV1,
  AgentUpdatedV1,
  ApiKeyIssuedV1,
  ApiKeyRevokedV1,
  type Context,
  DirectoryAttributesDeclaredV1,
  DirectoryCreatedV1,
  DirectoryDeletedV1,
  DirectoryRenamedV1,
  DirectorySigningSecretSetV1,
  DirectoryTokenIssuedV1,
  DirectoryTokenRevokedV1,
  DomainAddedV1,
  DomainRemovedV1,
  DomainVerifiedV1,
  GrantRevokedV1,
  GroupCreatedV1,
  GroupDeletedV1,
  GroupMappingCreatedV1,
  GroupMappingDeletedV1,
  GroupMemberAddedV1,
  GroupMemberRemovedV1,
  GroupUpdatedV1,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateResumedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
  ModelWrittenV1,
  OrganizationCreatedV1,
  OrganizationDeletedV1,
  OrganizationRenamedV1,
  PrincipalPermissionsChangedV1,
  RoleAssignedV1,
  RoleCreatedV1,
  RoleDeletedV1,
  RoleUnassignedV1,
  RoleUpdatedV1,
  TuplesDeletedV1,
  TuplesWrittenV1,
  UserDeactivatedV1,
  UserDeactivationScheduledV1,
  UserDeletedV1,
  UserProvisionedV1,
  UserReactivatedV1,
  UserUpdatedV1,
} from '@mandate/contracts';
import { type z } from 'zod';

/** The integration events a service can subscribe to, at the versions this SDK knows. */
export const IDENTITY_EVENTS = [
  OrganizationCreatedV1,
  OrganizationRenamedV1,
  OrganizationDeletedV1,
  ApiKeyIssuedV1,
  ApiKeyRevokedV1,
  DomainAddedV1,
  DomainVerifiedV1,
  DomainRemovedV1,
  DirectoryCreatedV1,
  DirectoryRenamedV1,
  DirectoryTokenIssuedV1,
  DirectoryTokenRevokedV1,
  DirectorySigningSecretSetV1,
  DirectoryAttributesDeclaredV1,
  DirectoryDeletedV1,
  UserProvisionedV1,
  UserUpdatedV1,
  UserDeactivatedV1,
  UserReactivatedV1,
  UserDeletedV1,
  UserDeactivationScheduledV1,
  GroupCreatedV1,
  GroupUpdatedV1,
  GroupDeletedV1,
  GroupMemberAddedV1,
  GroupMemberRemovedV1,
  AgentRegisteredV1,
  AgentUpdatedV1,
  AgentSuspendedV1,
  AgentReactivatedV1,
  AgentDeletedV1,
  RoleCreatedV1,
  RoleUpdatedV1,
  RoleDeletedV1,
  RoleAssignedV1,
  RoleUnassignedV1,
  GroupMappingCreatedV1,
  GroupMappingDeletedV1,
  ModelWrittenV1,
  TuplesWrittenV1,
  TuplesDeletedV1,
  MandateGrantedV1,
  MandateNarrowedV1,
  MandateRevokedV1,
  MandateSuspendedV1,
  MandateResumedV1,
  PrincipalPermissionsChangedV1,
  GrantRevokedV1,
] as const;

type Definition = (typeof IDENTITY_EVENTS)[number];
export type IdentityEventType = Definition['type'];
export type IdentityEventData<T extends IdentityEventType> = z.output<
  Extract<Definition, { type: T }>['schema']
>;

/** Who caused an event: `onBehalfOf` names the human an agent acted for, `via` the client or connection. */
export interface IdentityEventActor {
  readonly type: 'user' | 'agent' | 'service' | 'system' | 'directory';
  readonly id: string;
  readonly onBehalfOf?: string;
  readonly via?: string;
}

/** An integration event as a handler receives it: the envelope, and data validated against its schema. */
export interface IdentityEvent<T extends IdentityEventType = IdentityEventType> {
  readonly id: string;
  readonly type: T;
  readonly schemaVersion: number;
  readonly orgId: string;
  readonly stream: string;
  readonly streamRevision: number;
  readonly position: { readonly commit: bigint; readonly prepare: bigint };
  readonly occurredAt: Date;
  readonly actor: IdentityEventActor;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly data: IdentityEventData<T>;
}

/** The event types of the given contexts (`directory.user.deactivated` is a `directory` event). */
export type EventTypesOf<C extends Context> = Extract<IdentityEventType, `${C}.${string}`>;

/** Where a delivered message came from. */
export interface DeliveryInfo {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export type IdentityEventHandler<T extends IdentityEventType> = (
  event: IdentityEvent<T>,
  delivery: DeliveryInfo,
) => Promise<void> | void;

/** One optional handler per event type of the subscribed contexts, typed by that event's data. */
export type IdentityEventHandlers<C extends Context> = {
  readonly [T in EventTypesOf<C>]?: IdentityEventHandler<T>;
};

const definitions = new Map<string, Definition>(
  IDENTITY_EVENTS.map((definition) => [definition.type, definition]),
);

/** The definition this SDK knows for an event type, or undefined. */
export const identityEventDefinition = (type: string): Definition | undefined => definitions.get(type);
