// TEST SUPPORT: a real Tryton ERP (trytond 6.0 from Debian, SQLite) for the posting connectors' integration tests.
// - The seeded database (scripts/tryton/seed.sh: company, chart, accounts, fiscal year 2026, journal LSYNC) is built
//   once and cached in the temp dir under a key of the set-up scripts and the installed trytond, so a test run pays
//   the ~15 s of seeding at most once; concurrent test workers wait for one seeder instead of seeding twice.
// - Each server gets its own copy of that database and its own conf, on a free port, and is ready when
//   `common.server.version` answers.
// - Where trytond is absent the tests skip with the reason in their name, except under CI (env CI set): there a
//   missing ERP is a broken build, so they run and fail.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe } from 'vitest';
import { TrytonAdmin } from '../../src/posting/connectors/index.js';
import type { TrytonConnection } from '../../src/posting/connectors/index.js';
import { revtrailBalances } from '../../src/posting/trial-balance.js';
import { dec } from '../../src/revenue/index.js';
import { seededCliStore, withCliStore } from './cli.js';

export const TRYTOND = '/usr/bin/trytond';
const TRYTOND_ADMIN = '/usr/bin/trytond-admin';
export const INSTALL_HINT = 'sudo scripts/tryton/install.sh';
const SCRIPTS = resolve(import.meta.dirname, '../../scripts/tryton');
const DATABASE = 'revtrail';
const PASSWORD = 'admin';
const YEAR = '2026';

/** What scripts/tryton/setup_ledger.py created (record ids). */
export interface TrytonSeed {
  company: number;
  currency: number;
  journal: number;
  accounts: Record<string, number>;
  fiscalyear: number;
  periods: Record<string, number>;
}

export interface TrytonTestServer {
  url: string;
  database: string;
  seed: TrytonSeed;
  /** How the connector reaches this server, as admin. */
  connection(extra?: Partial<TrytonConnection>): TrytonConnection;
  /** Stops trytond (the database stays), as an outage would. */
  stop(): Promise<void>;
  /** Starts it again on the same port and database. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
}

/** The environment that points the CLI's Tryton connector at `server`, retrying quickly and logging nothing. */
export function trytonConnectorEnv(server: TrytonTestServer): Record<string, string> {
  const c = server.connection();
  return {
    REVTRAIL_CONNECTOR: 'tryton',
    REVTRAIL_TRYTON_URL: c.url,
    REVTRAIL_TRYTON_DATABASE: c.database,
    REVTRAIL_TRYTON_USER: c.username,
    REVTRAIL_TRYTON_PASSWORD: c.password,
    REVTRAIL_POSTING_BACKOFF_MS: '10',
    REVTRAIL_LOG_LEVEL: 'silent',
  };
}

function ciIsSet(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Why tests that need `binary` should skip here, or null to run them: they run where it is installed, and under CI
 * whether or not it is (they then fail, which is the point).
 */
export function skipReasonFor(binary: string, installHint: string): string | null {
  if (existsSync(binary) || ciIsSet()) return null;
  return `${binary} is not installed (install with: ${installHint}); outside CI these tests skip`;
}

/** `describe`, or `describe.skip` with the reason in the suite's name when `binary` is missing outside CI. */
export function describeWith(binary: string, installHint: string, name: string, body: () => void): void {
  const reason = skipReasonFor(binary, installHint);
  if (reason === null) {
    describe(name, body);
    return;
  }
  console.warn(`[skipped] ${name}: ${reason}`);
  describe.skip(`${name} [skipped: ${reason}]`, body);
}

export function describeWithTryton(name: string, body: () => void): void {
  describeWith(TRYTOND, INSTALL_HINT, name, body);
}

function assertInstalled(): void {
  for (const binary of [TRYTOND, TRYTOND_ADMIN]) {
    if (!existsSync(binary)) {
      throw new Error(
        `${binary} is missing: Tryton is not installed. Install it with ${INSTALL_HINT}` +
          (ciIsSet() ? ' (CI is set, so the Tryton tests fail instead of skipping).' : '.'),
      );
    }
  }
}

/** The cache key: the set-up scripts and the installed trytond; change either and the database is seeded again. */
function seedCacheDir(): string {
  const hash = createHash('sha256');
  for (const file of ['seed.sh', 'setup_ledger.py']) hash.update(readFileSync(join(SCRIPTS, file)));
  hash.update(String(statSync(TRYTOND).mtimeMs));
  return join(tmpdir(), `revtrail-tryton-seed-${hash.digest('hex').slice(0, 16)}`);
}

async function runSeed(dir: string): Promise<TrytonSeed> {
  const child = spawn('bash', [join(SCRIPTS, 'seed.sh'), dir, DATABASE, YEAR, PASSWORD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`scripts/tryton/seed.sh failed (exit ${code}):\n${stderr.slice(-3000)}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as TrytonSeed;
}

const LOCK_STALE_MS = 5 * 60_000;
const SEED_WAIT_MS = 3 * 60_000;

/** The seeded database's folder (holding `revtrail.sqlite` and `seed.json`), seeding it first if needed. */
async function seededDatabase(): Promise<{ dir: string; seed: TrytonSeed }> {
  const dir = seedCacheDir();
  const seedFile = join(dir, 'seed.json');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + SEED_WAIT_MS;
  for (;;) {
    if (existsSync(seedFile)) return { dir, seed: JSON.parse(readFileSync(seedFile, 'utf8')) as TrytonSeed };
    if (Date.now() > deadline) throw new Error(`timed out waiting for another worker to seed ${dir}`);
    try {
      mkdirSync(lock); // atomic: one worker seeds, the others wait for seed.json
    } catch {
      // Someone else is seeding; a lock left by a worker that died is taken over after a while.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      await sleep(250);
      continue;
    }
    try {
      const work = `${dir}.tmp-${process.pid}`;
      rmSync(work, { recursive: true, force: true });
      const seed = await runSeed(work);
      writeFileSync(join(work, 'seed.json'), JSON.stringify(seed));
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const running = new Set<ChildProcess>();
// A test run that dies must not leave trytond processes behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a real trytond on a fresh copy of the seeded database. `sessionTimeoutSeconds` is Tryton's
 * `[session] timeout`: after that long idle, fresh-session methods (account.move.post) answer 401.
 */
export async function startTryton(options: { sessionTimeoutSeconds?: number } = {}): Promise<TrytonTestServer> {
  assertInstalled();
  const { dir: seedDir, seed } = await seededDatabase();
  const work = mkdtempSync(join(tmpdir(), 'revtrail-tryton-'));
  copyFileSync(join(seedDir, `${DATABASE}.sqlite`), join(work, `${DATABASE}.sqlite`));
  const conf = join(work, 'trytond.conf');
  writeFileSync(
    conf,
    [
      '[database]',
      'uri = sqlite://',
      `path = ${work}`,
      '[session]',
      `timeout = ${options.sessionTimeoutSeconds ?? 3600}`,
      '',
    ].join('\n'),
  );
  const logFile = join(work, 'trytond.log');
  let child: ChildProcess | null = null;
  let port = 0;
  let url = '';

  const launch = async (): Promise<void> => {
    const log = openSync(logFile, 'a');
    // The port comes from the environment: trytond reads TRYTOND_* first, then the conf file (which has no [web]).
    const proc = spawn(TRYTOND, ['-c', conf], {
      env: { ...process.env, TRYTOND_WEB__LISTEN: `127.0.0.1:${port}` },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    child = proc;
    const admin = new TrytonAdmin({ url, database: DATABASE, username: 'admin', password: PASSWORD, timeoutMs: 2000 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`trytond exited while starting:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      }
      try {
        await admin.version();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`trytond did not answer on ${url} within 30 s`, { cause: err });
        await sleep(100);
      }
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  // A port taken between freePort() and trytond's bind makes trytond exit: try another.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    try {
      await launch();
      break;
    } catch (err) {
      await stop();
      if (attempt >= 3) throw err;
    }
  }

  return {
    url,
    database: DATABASE,
    seed,
    connection: (extra = {}) => ({ url, database: DATABASE, username: 'admin', password: PASSWORD, ...extra }),
    stop,
    start: launch,
    dispose: async () => {
      await stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface TrytonCli {
  server: TrytonTestServer;
  /** The test's own JSON-RPC session on the server, as admin. */
  admin: TrytonAdmin;
  /** The temp dir holding the CLI's store. */
  dir: string;
  /** The environment pointing the CLI at its store and at the server. */
  env: Record<string, string>;
}

/**
 * One Tryton server for the file, and a CLI store seeded with the demo company pointing at it: started in the file's
 * beforeAll (then `setup`, given the store's environment), disposed of in its afterAll. Read the fields inside tests.
 */
export function useTrytonCli(
  prefix: string,
  demo: { contracts: number; seed: number },
  setup?: (env: Record<string, string>) => Promise<void>,
): TrytonCli {
  const cli = {} as TrytonCli;
  beforeAll(async () => {
    cli.server = await startTryton();
    cli.admin = new TrytonAdmin(cli.server.connection());
    Object.assign(cli, await seededCliStore(prefix, () => trytonConnectorEnv(cli.server), demo));
    await setup?.(cli.env);
  }, 180_000);
  afterAll(async () => {
    await cli.admin?.close();
    await cli.server?.dispose();
    if (cli.dir) rmSync(cli.dir, { recursive: true, force: true });
  });
  return cli;
}

/**
 * Both sides' trial balances of `legalEntity` through `through`, per account with two decimals: Tryton's of its posted
 * moves (accounts at zero left out) and Revtrail's from the CLI's store.
 */
export async function trialBalances(
  cli: TrytonCli,
  through: string,
  legalEntity: string,
): Promise<{ tryton: Map<string, string>; revtrail: Map<string, string> }> {
  const ours = await withCliStore(cli.env, (store) => revtrailBalances(store, { through, legalEntity }));
  const theirs = [...(await cli.admin.trialBalance())].filter(([, b]) => !dec(b).isZero());
  return {
    tryton: new Map(theirs.map(([account, b]) => [account, dec(b).toFixed(2)])),
    revtrail: new Map(ours.map((r) => [r.account, dec(r.balance).toFixed(2)])),
  };
}
