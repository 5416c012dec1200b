// A real PostgreSQL server for tests: a throwaway cluster (initdb into a temp dir, trust auth, fsync off) listening on
// a free loopback port, started once per test run by global-setup.ts and handed to test files through vitest's
// provide/inject; each test file (or case) gets its own database. REVTRAIL_TEST_POSTGRES=postgres://... uses a server
// that is already running instead (a role that may CREATE DATABASE). initdb and postgres refuse to run as root, so as
// root the cluster runs as the `postgres` user (Debian's package creates it).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** What global setup hands each test file: a superuser URL to the cluster, or why there is none. */
export type PostgresTestServer = { adminUrl: string } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresTestServer;
  }
}

export interface PostgresCluster {
  adminUrl: string;
  stop(): Promise<void>;
}

/** The directory holding initdb/pg_ctl: REVTRAIL_TEST_PG_BIN, else the newest Debian install, else PATH. */
function binDir(): string {
  if (process.env.REVTRAIL_TEST_PG_BIN) return process.env.REVTRAIL_TEST_PG_BIN;
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? join(debian, versions[0], 'bin') : '';
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

/** Connects until the server answers (pg_ctl -w already waited for it to accept connections). */
async function untilReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setImmediate(r));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** initdb + pg_ctl start into a fresh temp dir; stop() shuts the server down and removes the dir. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = binDir();
  const tool = (name: string) => (bin ? join(bin, name) : name);
  const root = process.getuid?.() === 0;
  // As root: run the tools as `postgres`, who must own the data directory.
  const as = (command: string, args: string[]) =>
    run(root ? 'runuser' : command, root ? ['-u', 'postgres', '--', command, ...args] : args, {
      maxBuffer: 16 * 1024 * 1024,
    });
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-pg-'));
  if (root) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch((err: unknown) => {
      throw new Error('tests run as root and there is no `postgres` user to run PostgreSQL as', { cause: err });
    });
    const uid = Number(stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const user = root ? 'revtrail' : userInfo().username;
  try {
    await as(tool('initdb'), ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (${bin || 'initdb on PATH'}); install PostgreSQL (scripts/postgres/install.sh): ${String(err)}`,
      { cause: err },
    );
  }
  const stop = async () => {
    await as(tool('pg_ctl'), ['-D', data, 'stop', '-m', 'immediate', '-w']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const settings = [
      `-c listen_addresses=127.0.0.1`,
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    try {
      await as(tool('pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
      const adminUrl = `postgres://${user}@127.0.0.1:${port}/postgres`;
      await untilReady(adminUrl);
      return { adminUrl, stop };
    } catch (err) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
      if (attempt < 3 && /could not bind|address already in use/i.test(log)) continue;
      await stop();
      throw new Error(`PostgreSQL did not start: ${String(err)}\n${log}`, { cause: err });
    }
  }
}

export interface TestDatabase {
  /** postgres://... of a new, empty database. */
  url: string;
  drop(): Promise<void>;
}

/** A new empty database on the test server (REVTRAIL_TEST_POSTGRES, or the cluster global setup started). */
export async function createTestDatabase(server: PostgresTestServer): Promise<TestDatabase> {
  if ('error' in server) throw new Error(`no PostgreSQL server for tests: ${server.error}`);
  const name = `revtrail_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server.adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  const url = new URL(server.adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
