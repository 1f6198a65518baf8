import { type IncomingHeaders } from '@mandate/contracts';
import { type DataSource } from 'typeorm';
import { type DeadLetter, type DeadLetterSink } from '../delivery/dead-letter';
import { ensureCreated, quoteSchema } from './ddl';

export interface ParkedMessage {
  readonly id: string;
  readonly consumerGroup: string;
  readonly reason: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number;
  readonly origin: DeadLetter['message']['origin'];
  readonly headers: Readonly<Record<string, string>>;
  readonly value: string | null;
  readonly parkedAt: Date;
}

interface ParkedRow {
  id: string;
  consumer_group: string;
  reason: string;
  error_code: string;
  error_message: string;
  attempts: number;
  origin: ParkedMessage['origin'];
  headers: Record<string, string>;
  value: string | null;
  parked_at: Date;
}

const utf8 = new TextDecoder('utf-8');
const asText = (value: string | Uint8Array): string =>
  typeof value === 'string' ? value : utf8.decode(value);

const headersAsText = (headers: IncomingHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => {
      const first = Array.isArray(value) ? (value as readonly (string | Uint8Array)[])[0] : value;
      return first === undefined ? [] : [[name, asText(first as string | Uint8Array)]];
    }),
  );

/**
 * The dead letters of standalone mode, which has no Kafka: a `<schema>.dead_letters` table with
 * the message, its origin and why it could not be delivered.
 */
export class PostgresDeadLetterSink implements DeadLetterSink {
  private readonly table: string;

  private constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.dead_letters`;
  }

  static async create(
    dataSource: DataSource,
    { schema }: { schema: string },
  ): Promise<PostgresDeadLetterSink> {
    const sink = new PostgresDeadLetterSink(dataSource, schema);
    await ensureCreated(
      dataSource,
      `create schema if not exists ${quoteSchema(schema)};
       create table if not exists ${sink.table} (
         id bigint generated always as identity primary key,
         consumer_group text not null,
         reason text not null,
         error_code text not null,
         error_message text not null,
         attempts integer not null,
         origin jsonb not null,
         headers jsonb not null,
         value text,
         parked_at timestamptz not null default now()
       );`,
    );
    return sink;
  }

  async park(letter: DeadLetter): Promise<void> {
    const { origin, headers, value } = letter.message;
    await this.dataSource.query(
      `insert into ${this.table} (consumer_group, reason, error_code, error_message, attempts, origin, headers, value)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        letter.groupId,
        letter.reason,
        letter.errorCode,
        letter.errorMessage,
        letter.attempts,
        JSON.stringify(origin),
        JSON.stringify(headersAsText(headers)),
        value === null ? null : asText(value),
      ],
    );
  }

  async list(consumerGroup?: string): Promise<ParkedMessage[]> {
    const rows: ParkedRow[] = await this.dataSource.query(
      `select id::text, consumer_group, reason, error_code, error_message, attempts, origin, headers, value, parked_at
       from ${this.table} where $1::text is null or consumer_group = $1 order by id`,
      [consumerGroup ?? null],
    );
    return rows.map((row) => ({
      id: row.id,
      consumerGroup: row.consumer_group,
      reason: row.reason,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      attempts: row.attempts,
      origin: row.origin,
      headers: row.headers,
      value: row.value,
      parkedAt: row.parked_at,
    }));
  }
}
