#!/usr/bin/env node
// The `revtrail` command line: start the service, verify the store's hash chains.
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { PROJECTIONS, projectionsNamed } from '../../projections/index.js';
import { seedDemo } from '../demo.js';
import { SqliteReadStore } from '../readmodel/index.js';
import { ProjectionRunner, rebuild } from '../runner/index.js';
import { generateCompany, writeJsonl } from '../generate/index.js';
import { openStore, verify } from '../store/index.js';
import { importJsonl } from './import.js';
import { phasedProgress, progressBar } from './progress.js';

const USAGE = `usage: revtrail <command>
  start              start the HTTP service (REVTRAIL_STORE, REVTRAIL_HOST, REVTRAIL_PORT)
  verify [stream]    check the hash chain of one stream or of the whole store; exit 1 on a broken link
  project            bring every projection up to the log's end (REVTRAIL_READ_STORE), then exit
  rebuild [name...] [--dry-run] [--diff]
                     replay the log into fresh read-model tables while the current ones keep serving, then swap
                     them in; --dry-run compares and discards instead; --diff prints what changes per document
  import FILE        append the inbound events of a JSONL file through the command path; prints a summary
  generate --contracts N --seed S [--out FILE] [--start YYYY-MM-DD] [--duplicates R] [--out-of-order R]
                     write a deterministic synthetic company's inbound events as JSONL (stdout without --out)`;

async function start(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  if (config.demoContracts > 0) {
    const demo = await seedDemo(app.store, { contracts: config.demoContracts, seed: 1 });
    if (demo) app.http.log.info(demo, 'empty store: demo company generated and imported');
  }
  if (!config.apiKeys && !config.apiKeysFile) {
    app.http.log.info(
      { keyFile: config.demoKeyFile.plain },
      'no API keys configured: the local admin key is in keyFile',
    );
  }
  const shutdown = (signal: string): void => {
    app.http.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.http.listen({ host: config.host, port: config.port });
}

async function verifyCommand(stream: string | undefined): Promise<number> {
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    const report = await verify(store, stream);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function importCommand(file: string | undefined): Promise<number> {
  if (!file) throw new Error('usage: revtrail import FILE');
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    let bar: ReturnType<typeof progressBar> | null = null;
    const counts = (c: Record<string, number>): string =>
      `${c.appended} appended, ${c.duplicate} duplicate, ${c.held} held, ${c.rejected} rejected`;
    const summary = await importJsonl(store, file, {
      onProgress: (bytes, total, s) => {
        bar ??= progressBar('import', total, 'events');
        bar.update(bytes, s.lines, counts(s.counts));
      },
    });
    const { appended, duplicate, held, rejected } = summary.counts;
    (bar as ReturnType<typeof progressBar> | null)?.finish(summary.lines, counts(summary.counts));
    process.stdout.write(
      `${JSON.stringify({ file, lines: summary.lines, appended, duplicate, held, rejected, firstRejections: summary.firstRejections }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `--name value` flags; every flag takes a value. */
function flags(args: string[], allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    if (!args[i]!.startsWith('--') || !allowed.includes(name) || args[i + 1] === undefined) {
      throw new Error(
        `unexpected argument ${JSON.stringify(args[i])}; flags: ${allowed.map((a) => `--${a}`).join(' ')}`,
      );
    }
    out[name] = args[i + 1]!;
  }
  return out;
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function rate(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const r = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || r > 1)
    throw new Error(`--${name} must be a probability from 0 to 1, got ${JSON.stringify(value)}`);
  return r;
}

async function generateCommand(args: string[]): Promise<number> {
  const f = flags(args, ['contracts', 'seed', 'out', 'start', 'duplicates', 'out-of-order']);
  const rates: Record<string, number> = {};
  const dup = rate('duplicates', f.duplicates);
  const ooo = rate('out-of-order', f['out-of-order']);
  if (dup !== undefined) rates.duplicateDelivery = dup;
  if (ooo !== undefined) rates.outOfOrderAmendment = ooo;
  const events = generateCompany({
    contracts: wholeNumber('contracts', f.contracts, 100),
    seed: wholeNumber('seed', f.seed, 1),
    ...(f.start ? { startDate: f.start } : {}),
    rates,
  });
  if (f.out) {
    const { lines } = await writeJsonl(f.out, events);
    process.stderr.write(`wrote ${lines} events to ${f.out}\n`);
  } else {
    // A reader that stops early (`| head`) closes the pipe: that ends the output, it is not a failure.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
    for (const e of events) {
      if (!process.stdout.write(`${JSON.stringify(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    }
  }
  return 0;
}

async function projectCommand(): Promise<number> {
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = new SqliteReadStore(config.readStore, { synchronous: config.sqliteSync });
  try {
    const runner = new ProjectionRunner(store, read, PROJECTIONS, { batchSize: config.runnerBatch });
    const events = await runner.catchUp();
    process.stdout.write(`${JSON.stringify({ events, projections: await runner.status() })}\n`);
    return 0;
  } finally {
    await read.close();
    await store.close();
  }
}

async function rebuildCommand(args: string[]): Promise<number> {
  const dryRun = args.includes('--dry-run');
  const diff = args.includes('--diff');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--dry-run' && a !== '--diff');
  if (unknown.length > 0) throw new Error(`unexpected flag ${unknown[0]}; flags: --dry-run --diff`);
  const projections = projectionsNamed(args.filter((a) => !a.startsWith('--')));
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = new SqliteReadStore(config.readStore, { synchronous: config.sqliteSync });
  const progress = phasedProgress();
  try {
    const report = await rebuild(store, read, projections, {
      dryRun,
      batchSize: config.rebuildBatch,
      onProgress: (p) =>
        progress.update(p.phase === 'replay' ? 'rebuild' : 'derive', p.phase === 'replay' ? 'events' : 'documents', p),
      ...(diff
        ? {
            onDiff: (d) =>
              process.stdout.write(`${d.projection} ${d.key}\n${d.changes.map((c) => `  ${c}\n`).join('')}`),
          }
        : {}),
    });
    progress.finish();
    process.stdout.write(`${JSON.stringify({ dryRun, ...report })}\n`);
    return 0;
  } finally {
    await read.close();
    await store.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      await start();
      return -1; // keeps running
    case 'verify':
      return verifyCommand(args[0]);
    case 'import':
      return importCommand(args[0]);
    case 'project':
      return projectCommand();
    case 'rebuild':
      return rebuildCommand(args);
    case 'generate':
      return generateCommand(args);
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`revtrail: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
