import { type HrisWorkerProfile } from './hris.types';

/** Keeps only the fields that carry a value, so an absent field means "unchanged". */
export const compactProfile = (
  profile: Readonly<Record<keyof HrisWorkerProfile, string | null | undefined>>,
): HrisWorkerProfile =>
  Object.fromEntries(
    Object.entries(profile).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
