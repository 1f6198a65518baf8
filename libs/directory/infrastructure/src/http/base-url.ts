import { type Request } from 'express';

/** The URL this request reached Mandate at (scheme and host), to build the SCIM and webhook URLs it shows. */
export const baseUrlOf = (request: Request): string =>
  `${request.protocol}://${request.get('host') ?? 'localhost'}`;
