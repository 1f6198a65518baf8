/** Commands carry everything a decision needs: ids and time are chosen by the caller, never inside. */
interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}

export type CreateOrganization = Command<'CreateOrganization', { orgId: string; name: string }>;
export type RenameOrganization = Command<'RenameOrganization', { name: string }>;
export type DeleteOrganization = Command<'DeleteOrganization', Record<string, never>>;
export type IssueApiKey = Command<
  'IssueApiKey',
  { keyId: string; name: string; secretHash: string; lastFour: string }
>;
export type RevokeApiKey = Command<'RevokeApiKey', { keyId: string }>;
export type RotateApiKey = Command<
  'RotateApiKey',
  { keyId: string; newKeyId: string; secretHash: string; lastFour: string }
>;

export type OrganizationCommand =
  CreateOrganization | RenameOrganization | DeleteOrganization | IssueApiKey | RevokeApiKey | RotateApiKey;
