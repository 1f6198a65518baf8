import { type JWK } from 'jose';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const IDP_SCRIPT = join(__dirname, '../../../tools/test-idps/oidc-idp.mjs');
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** oidc-provider client metadata for a client of the test IdP. */
export type OidcTestIdpClient = {
  readonly client_id: string;
  readonly redirect_uris: readonly string[];
} & (
  | {
      readonly token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post';
      readonly client_secret: string;
    }
  | {
      readonly token_endpoint_auth_method: 'private_key_jwt';
      readonly jwks: { readonly keys: readonly JWK[] };
      readonly token_endpoint_auth_signing_alg?: string;
    }
);

export interface OidcTestIdpUser {
  /** Also the login name typed into the IdP's sign-in form. */
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
  readonly name?: string;
  readonly groups?: readonly string[];
  readonly amr?: readonly string[];
  readonly acr?: string;
  /** Extra claims released with the `openid` scope (e.g. Entra's `tid` and `oid`). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export interface OidcTestIdp {
  readonly issuer: string;
  stop(): Promise<void>;
}

const waitForReady = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    let stderr = '';
    const lines = createInterface({ input: child.stdout! });
    const settle = () => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      lines.close();
    };
    const fail = (error: Error) => {
      settle();
      child.kill('SIGKILL');
      reject(error);
    };
    const onExit = (code: number | null) =>
      fail(new Error(`the test IdP exited with code ${code}\n${stderr}`));
    const timer = setTimeout(
      () => fail(new Error(`the test IdP did not start within ${READY_TIMEOUT_MS} ms\n${stderr}`)),
      READY_TIMEOUT_MS,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', onExit);
    lines.on('line', (line) => {
      let message: { ready?: unknown; issuer?: unknown };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return; // not the readiness line
      }
      if (message.ready === true && typeof message.issuer === 'string') {
        settle();
        resolve(message.issuer);
      }
    });
  });

/**
 * Starts `tools/test-idps/oidc-idp.mjs` — oidc-provider in its own Node process on a free loopback
 * port — and resolves once it listens. Call `stop()` in `afterAll`.
 */
export const startOidcTestIdp = async (options: {
  readonly clients: readonly OidcTestIdpClient[];
  readonly users: readonly OidcTestIdpUser[];
  readonly port?: number;
}): Promise<OidcTestIdp> => {
  const config = JSON.stringify({ port: options.port ?? 0, clients: options.clients, users: options.users });
  const child = spawn(process.execPath, [IDP_SCRIPT], {
    env: { ...process.env, OIDC_IDP_CONFIG: config, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const issuer = await waitForReady(child);
  // Drain output so a chatty IdP never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
};
