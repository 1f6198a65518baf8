import { type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';

/** The DataSource (the service's schema) the platform's tables live in; `PlatformModule` binds it. */
export const PLATFORM_DATA_SOURCE = Symbol('PLATFORM_DATA_SOURCE');

/** The time source of the platform (expiry, revocation); `PlatformModule` binds it. */
export const PLATFORM_CLOCK = Symbol('PLATFORM_CLOCK');
export type Clock = () => Date;

/** `"schema"."table"` of an entity, for the statements the query builder cannot express. */
export const qualifiedTable = (
  source: DataSource | EntityManager,
  entity: EntityTarget<ObjectLiteral>,
): string => {
  const connection = 'manager' in source ? source : source.connection;
  const metadata = connection.getMetadata(entity);
  const escape = (name: string) => connection.driver.escape(name);
  return metadata.schema
    ? `${escape(metadata.schema)}.${escape(metadata.tableName)}`
    : escape(metadata.tableName);
};
