import { prefixedId } from '@mandate/platform';

export type IdPrefix = 'org' | 'dir' | 'usr' | 'grp' | 'agt';

export const newId = (prefix: IdPrefix): string => prefixedId(prefix);

export const newOrganizationId = (): string => newId('org');
