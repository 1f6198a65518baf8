import { prefixedId } from '@mandate/platform';

export const newId = (prefix: 'rol' | 'map' | 'mdt'): string => prefixedId(prefix);
