import { type GrantRevocationReason, type SessionRevocationReason } from '@mandate/contracts';

/** What Mandate reads of an oidc-provider `Session` artifact (its `jti` is the cookie value and stays inside). */
export interface StoredSession {
  readonly uid: string;
  readonly accountId: string;
  /** Seconds since the epoch: when the person signed in. */
  readonly loginTs: number | null;
  /** Seconds since the epoch: when the session ends unless the browser uses it again. */
  readonly exp: number | null;
  readonly amr: readonly string[];
  readonly acr: string | null;
  readonly clients: readonly SignedInClient[];
}

/** An application signed in through the session: its grant, and the `sid` its ID tokens and logout tokens carry. */
export interface SignedInClient {
  readonly clientId: string;
  readonly grantId: string | null;
  readonly sid: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const seconds = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The clients of oidc-provider's `authorizations` map (`{ [clientId]: { sid, grantId } }`). */
export const signedInClients = (authorizations: unknown): SignedInClient[] => {
  if (typeof authorizations !== 'object' || authorizations === null) return [];
  return Object.entries(authorizations as Record<string, unknown>).map(([clientId, value]) => {
    const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    return { clientId, grantId: text(entry['grantId']), sid: text(entry['sid']) };
  });
};

/** A stored session payload, or null when it has no signed-in person (an anonymous browser's session). */
export const readStoredSession = (payload: Record<string, unknown>): StoredSession | null => {
  const uid = text(payload['uid']);
  const accountId = text(payload['accountId']);
  if (!uid || !accountId) return null;
  const amr = Array.isArray(payload['amr'])
    ? payload['amr'].filter((method): method is string => typeof method === 'string')
    : [];
  return {
    uid,
    accountId,
    loginTs: seconds(payload['loginTs']),
    exp: seconds(payload['exp']),
    amr,
    acr: text(payload['acr']),
    clients: signedInClients(payload['authorizations']),
  };
};

export interface SessionView {
  /** The session's public identifier; never its cookie. */
  readonly id: string;
  readonly userId: string;
  readonly authenticatedAt: string | null;
  /** Every authorization request renews a session: it was last used one idle period before it expires. */
  readonly lastSeenAt: string | null;
  readonly expiresAt: string | null;
  readonly amr: readonly string[];
  readonly acr: string | null;
  readonly clients: readonly { readonly clientId: string; readonly name: string | null }[];
}

const iso = (epochSeconds: number | null) =>
  epochSeconds === null ? null : new Date(epochSeconds * 1000).toISOString();

export const sessionView = (
  session: StoredSession,
  idleSeconds: number,
  clientNames: ReadonlyMap<string, string>,
): SessionView => ({
  id: session.uid,
  userId: session.accountId,
  authenticatedAt: iso(session.loginTs),
  lastSeenAt: session.exp === null ? null : iso(Math.max(session.exp - idleSeconds, session.loginTs ?? 0)),
  expiresAt: iso(session.exp),
  amr: session.amr,
  acr: session.acr,
  clients: session.clients.map(({ clientId }) => ({ clientId, name: clientNames.get(clientId) ?? null })),
});

/** The grants of a revoked session go for the same reason; signing out is `logout`. */
export const grantReasonFor = (reason: SessionRevocationReason): GrantRevocationReason => reason;
