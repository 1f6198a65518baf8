import { DomainError } from '@mandate/kernel';

/** Where WebAuthn ceremonies run: the RP ID credentials are scoped to, and the page origin that asks. */
export interface RelyingParty {
  readonly rpId: string;
  readonly rpName: string;
  readonly origin: string;
}

const invalid = (message: string) => new DomainError('invalid', 'AUTHN_MFA_RELYING_PARTY_INVALID', message);

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A relying party a browser would accept (WebAuthn §5.1.3, §13.4.9): the origin is https (http only
 * on localhost) with no path, and the RP ID is the origin's host or a parent domain of it.
 */
export const validRelyingParty = (input: RelyingParty): RelyingParty => {
  let origin: URL;
  try {
    origin = new URL(input.origin);
  } catch {
    throw invalid(`${input.origin} is not an origin`);
  }
  if (origin.origin !== input.origin)
    throw invalid(`${input.origin} is not an origin (scheme, host and port only)`);
  const loopback = LOOPBACK_HOSTS.has(origin.hostname);
  if (origin.protocol !== 'https:' && !(origin.protocol === 'http:' && loopback))
    throw invalid('The origin must use https (http only on localhost)');
  const rpId = input.rpId.toLowerCase();
  if (!HOST.test(rpId) && !(loopback && rpId === origin.hostname))
    throw invalid(`${input.rpId} is not a domain name`);
  if (origin.hostname !== rpId && !origin.hostname.endsWith(`.${rpId}`))
    throw invalid(`The RP ID ${rpId} is neither the origin's host nor a parent domain of it`);
  const rpName = input.rpName.trim();
  if (rpName.length === 0 || rpName.length > 100)
    throw invalid('The relying party name has 1 to 100 characters');
  return { rpId, rpName, origin: origin.origin };
};
