import { Inject, Injectable } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { IdempotencyKeyEntity } from '../persistence/platform.entities';
import { PLATFORM_DATA_SOURCE, qualifiedTable } from '../persistence/platform-data-source';
import { IDEMPOTENCY_KEY_TTL_MS, type StoredResponse } from './idempotency';

/** A request made with an Idempotency-Key: whose, which key, and what it asked for. */
export interface IdempotentRequest {
  readonly principal: string;
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly requestHash: string;
}

export type ClaimResult =
  /** This request owns the key: run it, then `complete` or `release`. */
  | { readonly type: 'claimed' }
  /** The key was used for this very request, which finished: replay its response. */
  | { readonly type: 'completed'; readonly response: StoredResponse }
  /** The key was used for this very request, which is still running. */
  | { readonly type: 'in_progress' }
  /** The key was used for a different request (body, path or method). */
  | { readonly type: 'mismatch' };

interface StoredRow {
  readonly method: string;
  readonly path: string;
  readonly request_hash: string;
  readonly status_code: number | null;
  readonly response_body: unknown;
  readonly response_headers: Record<string, string> | null;
}

export interface IdempotencyRepositoryOptions {
  /** An unfinished claim older than this is taken to be abandoned (its process died) and may be retaken. */
  readonly abandonedAfterMs?: number;
}

/**
 * The `idempotency_keys` table. Every step is one statement built on `INSERT … ON CONFLICT`, so it
 * needs no advisory lock and no session state: it behaves the same on PostgreSQL and on embedded
 * PGlite (one shared session).
 */
@Injectable()
export class IdempotencyRepository {
  /** Long enough that no live request is mistaken for an abandoned one. */
  static readonly ABANDONED_AFTER_MS = 5 * 60 * 1000;

  constructor(@Inject(PLATFORM_DATA_SOURCE) private readonly dataSource: DataSource) {}

  private get table(): string {
    return qualifiedTable(this.dataSource, IdempotencyKeyEntity);
  }

  /**
   * Takes the key for this request, or reports what it is already bound to. A row that expired (older
   * than the TTL) or an abandoned claim of the same request is taken over in the same statement.
   */
  async claim(
    request: IdempotentRequest,
    now: Date,
    options: IdempotencyRepositoryOptions = {},
  ): Promise<ClaimResult> {
    const expiredBefore = new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS);
    const abandonedBefore = new Date(
      now.getTime() - (options.abandonedAfterMs ?? IdempotencyRepository.ABANDONED_AFTER_MS),
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.dataSource.query<unknown[]>(
        `insert into ${this.table} as current (principal, key, method, path, request_hash, created_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (principal, key) do update
           set method = excluded.method, path = excluded.path, request_hash = excluded.request_hash,
               created_at = excluded.created_at, status_code = null, response_body = null,
               response_headers = null, completed_at = null
         where current.created_at < $7
            or (current.completed_at is null and current.created_at < $8
                and current.method = excluded.method and current.path = excluded.path
                and current.request_hash = excluded.request_hash)
         returning 1 as claimed`,
        [
          request.principal,
          request.key,
          request.method,
          request.path,
          request.requestHash,
          now,
          expiredBefore,
          abandonedBefore,
        ],
      );
      if (claimed.length > 0) return { type: 'claimed' };

      const [row] = await this.dataSource.query<StoredRow[]>(
        `select method, path, request_hash, status_code, response_body, response_headers
           from ${this.table} where principal = $1 and key = $2`,
        [request.principal, request.key],
      );
      // Released (a failed first attempt) between the two statements: try to claim it again.
      if (!row) continue;
      if (
        row.method !== request.method ||
        row.path !== request.path ||
        row.request_hash !== request.requestHash
      ) {
        return { type: 'mismatch' };
      }
      if (row.status_code === null) return { type: 'in_progress' };
      return {
        type: 'completed',
        response: {
          status: row.status_code,
          headers: row.response_headers ?? {},
          body: row.response_body ?? undefined,
        },
      };
    }
    return { type: 'in_progress' };
  }

  /** Stores the response of a claimed request, for its retries to replay. */
  async complete(request: IdempotentRequest, response: StoredResponse, now: Date): Promise<void> {
    await this.dataSource.query(
      `update ${this.table}
          set status_code = $3, response_body = $4::json, response_headers = $5::jsonb, completed_at = $6
        where principal = $1 and key = $2 and request_hash = $7 and completed_at is null`,
      [
        request.principal,
        request.key,
        response.status,
        response.body === undefined ? null : JSON.stringify(response.body),
        JSON.stringify(response.headers),
        now,
        request.requestHash,
      ],
    );
  }

  /** Gives the key back after a failure worth retrying (5xx), so the retry runs the request again. */
  async release(request: IdempotentRequest): Promise<void> {
    await this.dataSource.query(
      `delete from ${this.table}
        where principal = $1 and key = $2 and request_hash = $3 and completed_at is null`,
      [request.principal, request.key, request.requestHash],
    );
  }

  /** Forgets keys older than the TTL; returns how many. Run periodically (see `IdempotencyCleanup`). */
  async deleteExpired(now: Date): Promise<number> {
    const [row] = await this.dataSource.query<{ count: number }[]>(
      `with deleted as (delete from ${this.table} where created_at < $1 returning 1)
       select count(*)::int as count from deleted`,
      [new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS)],
    );
    return row?.count ?? 0;
  }
}
