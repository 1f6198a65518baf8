import { runStandalone } from '@mandate/runtime';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { directoryContext } from '../directory.registration';
import { DirectoryModule } from '../directory.module';
import { type DomainResolver } from '../domains/domains.service';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> | null;
  readonly text: string;
}

export interface CallOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** The bearer credential; the admin key by default, `null` for none. */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
  /** Sent as is, instead of JSON-encoding `body`. */
  readonly raw?: string | Buffer;
  readonly contentType?: string;
}

/** A TXT-record table standing in for DNS. */
export class FakeResolver implements DomainResolver {
  readonly records = new Map<string, string[]>();

  txtRecords(name: string): Promise<string[]> {
    return Promise.resolve(this.records.get(name) ?? []);
  }
}

/**
 * The directory context in a standalone Mandate on embedded PostgreSQL, served over HTTP on a
 * random loopback port, for black-box tests. DNS is the `FakeResolver`.
 */
export const startDirectoryApp = async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mandate-directory-'));
  const resolver = new FakeResolver();
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  const started = await runStandalone(
    [
      {
        ...directoryContext,
        module: (eventStore, { secretKey }) =>
          DirectoryModule.forRoot({ eventStore, secretKey, domainResolver: resolver }),
      },
    ],
    { PORT: '0', MANDATE_DATA_DIR: dataDir, LOG_LEVEL: 'error' },
  ).finally(() => {
    process.stdout.write = write;
  });
  const adminKey = started.generatedAdminKey!;

  const call = async (path: string, options: CallOptions = {}): Promise<HttpAnswer> => {
    const key = options.key === undefined ? adminKey : options.key;
    const response = await fetch(`${started.url}${path}`, {
      method: options.method ?? (options.body === undefined && options.raw === undefined ? 'GET' : 'POST'),
      headers: {
        ...(key !== null && { authorization: `Bearer ${key}` }),
        ...((options.body !== undefined || options.raw !== undefined) && {
          'content-type': options.contentType ?? 'application/json',
        }),
        ...options.headers,
      },
      ...(options.raw !== undefined
        ? { body: typeof options.raw === 'string' ? options.raw : new Uint8Array(options.raw) }
        : options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    return { status: response.status, headers: response.headers, body, text };
  };

  const createOrganization = async (name = 'Acme'): Promise<string> => {
    const answer = await call('/api/v1/organizations', { body: { name } });
    if (answer.status !== 201)
      throw new Error(`creating an organization answered ${answer.status}: ${answer.text}`);
    return answer.body!['id'] as string;
  };

  return {
    url: started.url,
    adminKey,
    resolver,
    call,
    createOrganization,
    eventually: async <T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== null && value !== undefined) return value;
        if (Date.now() > deadline) throw new Error('Timed out waiting');
        await sleep(20);
      }
    },
    stop: async () => {
      await started.app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

export type DirectoryApp = Awaited<ReturnType<typeof startDirectoryApp>>;
