export type HrisProvider = 'bamboohr' | 'rippling' | 'workday' | 'generic';

/** One HTTP delivery as received: header names lower-cased, the body exactly as sent. */
export interface HrisDelivery {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
  readonly receivedAt: Date;
}

export type HrisVerificationFailure =
  /** A header the scheme needs is absent or empty. */
  | 'HRIS_SIGNATURE_MISSING'
  /** A header is present but not in the scheme's format (not hex, not an integer timestamp, …). */
  | 'HRIS_SIGNATURE_MALFORMED'
  /** No signature (or token) matches any of the configured secrets. */
  | 'HRIS_SIGNATURE_INVALID'
  /** Authentic, but signed longer ago than the tolerance: a replay or a very late retry. */
  | 'HRIS_SIGNATURE_STALE'
  /** Authentic, but signed further in the future than the tolerance: a skewed sender clock. */
  | 'HRIS_SIGNATURE_FUTURE'
  /** The configured secret cannot be used (empty, or a `whsec_` value that is not base64). */
  | 'HRIS_SECRET_INVALID';

export type HrisVerification =
  | { readonly ok: true; readonly deliveryId: string; readonly signedAt: Date | null }
  | { readonly ok: false; readonly reason: HrisVerificationFailure };

export interface HrisVerifyOptions {
  /** How far the signed timestamp may be from `now`, either way. */
  readonly toleranceSeconds?: number;
  readonly now: Date;
}

/** One secret, or several while a secret is being rotated (any of them may have signed). */
export type HrisSecret = string | readonly string[];

export interface HrisWorkerProfile {
  email?: string;
  userName?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  department?: string;
  title?: string;
  managerEmployeeId?: string;
  employeeNumber?: string;
  costCenter?: string;
  division?: string;
  location?: string;
}

export type HrisChangeKind =
  'hire' | 'update' | 'leave_of_absence' | 'return_from_leave' | 'termination' | 'rehire';

export interface HrisChange {
  readonly kind: HrisChangeKind;
  /** The HRIS's stable worker id — identity is keyed by this, never by email. */
  readonly employeeId: string;
  /** ISO date (YYYY-MM-DD) or date-time when the change takes effect; null = now. */
  readonly effectiveDate: string | null;
  /** The provider's own event/delivery id, for de-duplication. */
  readonly sourceEventId: string | null;
  /** Provider timestamp for last-writer-wins ordering, when given. */
  readonly sourceUpdatedAt: string | null;
  /** Only the fields the delivery carries (absent = unchanged). */
  readonly profile: HrisWorkerProfile;
  /** E.g. the termination reason. */
  readonly reason?: string;
}

export interface HrisProviderAdapter {
  /** Authenticates a delivery on its raw bytes; never throws for a bad delivery. */
  readonly verify: (
    delivery: HrisDelivery,
    secret: HrisSecret,
    options: HrisVerifyOptions,
  ) => HrisVerification;
  /**
   * Validates and maps a verified body (the raw `Buffer`, its text, or an already-decoded value) to
   * lifecycle changes; throws `HrisPayloadError` when it is malformed.
   */
  readonly parse: (body: unknown) => HrisChange[];
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
