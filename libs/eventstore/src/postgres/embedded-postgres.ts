import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir } from 'node:fs/promises';

export interface EmbeddedPostgresOptions {
  /** Directory for the database files; in memory when absent. */
  readonly dataDir?: string;
  /** Connections the wire-protocol server accepts: every pool of the process counts. */
  readonly maxConnections?: number;
}

/**
 * PostgreSQL (PGlite, compiled to WASM) in this process, served over the wire protocol on a
 * loopback port so the same `pg` and TypeORM code runs embedded and against a real server.
 * PGlite is one shared session: LISTEN/NOTIFY and advisory locks do not work across connections,
 * so embedded mode must not rely on them.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly connectionString: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
    const server = new PGLiteSocketServer({
      db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: options.maxConnections ?? 32,
    });
    await server.start();
    const [host, port] = server.getServerConn().split(':');
    return new EmbeddedPostgres(db, server, `postgres://postgres@${host}:${port}/postgres?sslmode=disable`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
