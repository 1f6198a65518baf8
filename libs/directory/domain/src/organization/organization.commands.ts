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

/** `verificationToken` is chosen by the caller: the value the TXT record must hold. */
export type AddDomain = Command<'AddDomain', { domain: string; verificationToken: string }>;
/** `txtRecords`: what a DNS lookup of the domain's verification name returned, at `now`. */
export type VerifyDomain = Command<'VerifyDomain', { domain: string; txtRecords: readonly string[] }>;
export type RemoveDomain = Command<'RemoveDomain', { domain: string }>;

export type OrganizationCommand =
  | CreateOrganization
  | RenameOrganization
  | DeleteOrganization
  | IssueApiKey
  | RevokeApiKey
  | RotateApiKey
  | AddDomain
  | VerifyDomain
  | RemoveDomain;
