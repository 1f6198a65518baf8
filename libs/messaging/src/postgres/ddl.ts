import { type DataSource } from 'typeorm';

export const quoteSchema = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  return `"${schema}"`;
};

const UNIQUE_VIOLATION = '23505';

/**
 * Runs idempotent DDL (`if not exists`). Two processes creating the same schema or table at once
 * can still collide on PostgreSQL's catalog; the loser finds the objects there on its second try.
 */
export const ensureCreated = async (dataSource: DataSource, ddl: string): Promise<void> => {
  try {
    await dataSource.query(ddl);
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await dataSource.query(ddl);
  }
};
