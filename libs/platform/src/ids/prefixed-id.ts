import { uuidv7 } from '@mandate/eventstore';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * `<prefix>_` + the 128 bits of a UUIDv7 in 26 lower-case Crockford base32 characters: sortable by
 * creation, and the prefix tells what it names (`org_`, `usr_`, `rol_`…).
 */
export const prefixedId = (prefix: string): string => {
  let value = BigInt(`0x${uuidv7().replace(/-/g, '')}`);
  let encoded = '';
  for (let i = 0; i < 26; i++) {
    encoded = CROCKFORD[Number(value & 31n)]! + encoded;
    value >>= 5n;
  }
  return `${prefix}_${encoded}`;
};
