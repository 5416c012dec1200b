#!/usr/bin/env node
// The `revtrail` command line: start the service, verify the store's hash chains.
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { seedDemo } from '../demo.js';
import { openStore, verify } from '../store/index.js';
import { importJsonl } from './import.js';
import { progressBar } from './progress.js';

const USAGE = `usage: revtrail <command>
  start              start the HTTP service (REVTRAIL_STORE, REVTRAIL_HOST, REVTRAIL_PORT)
  verify [stream]    check the hash chain of one stream or of the whole store; exit 1 on a broken link
  import FILE        append the inbound events of a JSONL file through the command path; prints a summary`;

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
    const summary = await importJsonl(store, file, {
      onProgress: (bytes, total, s) => {
        bar ??= progressBar('import', total);
        bar.update(
          bytes,
          `${s.counts.appended} appended, ${s.counts.duplicate} duplicate, ${s.counts.held} held, ${s.counts.rejected} rejected`,
        );
      },
    });
    const { appended, duplicate, held, rejected } = summary.counts;
    (bar as ReturnType<typeof progressBar> | null)?.finish();
    process.stdout.write(
      `${JSON.stringify({ file, lines: summary.lines, appended, duplicate, held, rejected, firstRejections: summary.firstRejections }, null, 2)}\n`,
    );
    return 0;
  } finally {
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
