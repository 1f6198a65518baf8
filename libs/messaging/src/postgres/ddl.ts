import { type DataSource } from 'typeorm';

export const quoteSchema = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  return `"${schema}"`;
};

/**
 * What the loser of a race on `create … if not exists` gets: a unique violation on the catalog, or
 * the object (a table's row type, a schema) found there after all.
 */
const LOST_CREATION_RACE = new Set([
  '23505', // unique_violation
  '42710', // duplicate_object
  '42P06', // duplicate_schema
  '42P07', // duplicate_table
]);

/**
 * Runs idempotent DDL (`if not exists`). Two processes creating the same schema or table at once
 * can still collide on PostgreSQL's catalog; the loser finds the objects there on its second try.
 */
export const ensureCreated = async (dataSource: DataSource, ddl: string): Promise<void> => {
  try {
    await dataSource.query(ddl);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !LOST_CREATION_RACE.has(code)) throw error;
    await dataSource.query(ddl);
  }
};
