/** Quotes a schema name for SQL; only plain identifiers are accepted. */
export const quoteSchema = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  return `"${schema}"`;
};

/**
 * The event-store tables. `transaction_id` records the appending transaction so readers of `$all`
 * can see only events of transactions older than every transaction still in progress
 * (`pg_snapshot_xmin`), and read them ordered by (transaction_id, global_position): an event that
 * commits late can then never land behind a position a reader has already passed.
 * The SQL stays within what PostgreSQL 15 and PGlite (18) both run.
 */
export const eventStoreSchemaSql = (schema: string): string => {
  const s = quoteSchema(schema);
  return `
create schema if not exists ${s};
create table if not exists ${s}.events (
  global_position bigint generated always as identity primary key,
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id uuid not null unique,
  stream_id text not null,
  stream_revision bigint not null,
  org_id text not null,
  event_type text not null,
  schema_version integer not null,
  data jsonb not null,
  actor jsonb not null,
  causation_id text,
  correlation_id text not null,
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  unique (stream_id, stream_revision)
);
create index if not exists events_commit_order on ${s}.events (transaction_id, global_position);
create table if not exists ${s}.streams (
  stream_id text primary key,
  org_id text not null,
  revision bigint not null
);
create table if not exists ${s}.subscription_checkpoints (
  subscription_id text primary key,
  commit_position bigint not null,
  prepare_position bigint not null,
  updated_at timestamptz not null default now()
);`;
};
