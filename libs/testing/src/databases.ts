import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface ThrowawayDatabase {
  /** The new database's connection string (the server's, with its own database name). */
  readonly url: string;
  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

const onServer = async (serverUrl: string, sql: string): Promise<void> => {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
};

/**
 * A database of its own on a real PostgreSQL server, for a spec whose tables live in a fixed schema
 * (`audit`, `authn`): created empty, dropped with `drop()`.
 */
export const throwawayDatabase = async (serverUrl: string, prefix: string): Promise<ThrowawayDatabase> => {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`),
  };
};
