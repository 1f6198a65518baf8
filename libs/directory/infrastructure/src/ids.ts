import { uuidv7 } from '@mandate/eventstore';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix = 'org' | 'dir' | 'usr' | 'grp' | 'agt';

/** `<prefix>_` + the 128 bits of a UUIDv7 in 26 lower-case Crockford base32 characters: sortable by creation. */
export const newId = (prefix: IdPrefix): string => {
  let value = BigInt(`0x${uuidv7().replace(/-/g, '')}`);
  let encoded = '';
  for (let i = 0; i < 26; i++) {
    encoded = CROCKFORD[Number(value & 31n)]! + encoded;
    value >>= 5n;
  }
  return `${prefix}_${encoded}`;
};

export const newOrganizationId = (): string => newId('org');

const ID_PATTERN = /^(org|dir|usr|grp|agt)_[0-9a-z]{26}$/;

/** Whether `value` looks like an id of that kind: anything else cannot name a resource, and is a 404 at once. */
export const isId = (prefix: IdPrefix, value: string): boolean =>
  ID_PATTERN.test(value) && value.startsWith(`${prefix}_`);
