import { randomBytes } from 'node:crypto';
import { parseBambooHrPayload } from './bamboohr.payload';
import { verifyBambooHr } from './bamboohr.signature';
import { parseGenericPayload } from './generic.payload';
import { type HrisProvider, type HrisProviderAdapter } from './hris.types';
import { parseRipplingPayload } from './rippling.payload';
import { verifyRippling } from './rippling.auth';
import { STANDARD_WEBHOOKS, verifyStandardWebhook } from './standard-webhooks.signature';
import { parseWorkdayPayload } from './workday.payload';

export const hrisProviders: Readonly<Record<HrisProvider, HrisProviderAdapter>> = {
  bamboohr: { verify: verifyBambooHr, parse: parseBambooHrPayload },
  rippling: { verify: verifyRippling, parse: parseRipplingPayload },
  workday: { verify: verifyStandardWebhook, parse: parseWorkdayPayload },
  generic: { verify: verifyStandardWebhook, parse: parseGenericPayload },
};

export const isHrisProvider = (value: string): value is HrisProvider => Object.hasOwn(hrisProviders, value);

/** Providers whose secret Mandate generates and the admin pastes into the HR system (BambooHR generates its own). */
export type MandateIssuedHrisProvider = Exclude<HrisProvider, 'bamboohr'>;

export const issuesHrisSecret = (provider: HrisProvider): provider is MandateIssuedHrisProvider =>
  provider !== 'bamboohr';

const SECRET_BYTES = 32;

/**
 * A new secret for a directory: a Standard Webhooks `whsec_<base64>` signing secret for `generic` and
 * `workday`, a base64url bearer token for `rippling`. `random` is for tests.
 */
export const generateHrisSecret = (
  provider: MandateIssuedHrisProvider,
  random: (size: number) => Buffer = randomBytes,
): string => {
  const bytes = random(SECRET_BYTES);
  switch (provider) {
    case 'generic':
    case 'workday':
      return `${STANDARD_WEBHOOKS.secretPrefix}${bytes.toString('base64')}`;
    case 'rippling':
      return bytes.toString('base64url');
  }
};
