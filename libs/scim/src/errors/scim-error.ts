export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12, Table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  readonly schemas: readonly [typeof SCIM_ERROR_SCHEMA];
  readonly status: string;
  readonly scimType?: ScimType;
  readonly detail: string;
}

/** A SCIM protocol error: the HTTP status, the optional `scimType` and a detail safe to show the client. */
export class ScimError extends Error {
  override readonly name = 'ScimError';

  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
  ) {
    super(scimType ? `${scimType}: ${detail}` : detail);
  }

  /** The RFC 7644 §3.12 body; `status` is a JSON string. */
  toScimErrorBody(): ScimErrorBody {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }

  static badRequest(scimType: ScimType, detail: string): ScimError {
    return new ScimError(400, scimType, detail);
  }
}

export const invalidFilter = (detail: string) => ScimError.badRequest('invalidFilter', detail);
export const invalidPath = (detail: string) => ScimError.badRequest('invalidPath', detail);
export const invalidValue = (detail: string) => ScimError.badRequest('invalidValue', detail);
export const invalidSyntax = (detail: string) => ScimError.badRequest('invalidSyntax', detail);
export const noTarget = (detail: string) => ScimError.badRequest('noTarget', detail);
export const mutability = (detail: string) => ScimError.badRequest('mutability', detail);
