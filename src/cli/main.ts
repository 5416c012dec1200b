#!/usr/bin/env node
// The `revtrail` command line. Each command's module is loaded when that command runs: a `verify` or a `post` does not
// pay for loading the HTTP server, GraphQL and the demo generator it never uses (about 0.7 s a process).
import { loadConfig } from '../config.js';
import { EVIDENCE_USAGE, EXCEPTIONS_USAGE, MAPPINGS_USAGE, UsageError } from './usage.js';

const USAGE = `usage: revtrail <command>
  start              start the HTTP service (REVTRAIL_STORE, REVTRAIL_HOST, REVTRAIL_PORT)
  verify [stream] [--anchor] [--against DIGEST]
                     check the store's hash chains and heads (one stream's, or the whole log's); prints every problem
                     at its stream, revision and position and exits 1 if there is one; --anchor prints only the digest
                     of the log's head, to keep elsewhere; --against DIGEST checks the log up to it is unchanged
  project [--follow] [--partition i/N]
                     bring every projection up to the log's end (REVTRAIL_READ_STORE), then exit; --follow keeps
                     following the log as a projection worker (GET /health on REVTRAIL_METRICS_PORT, a ready line on
                     stdout, SIGTERM stops it); --partition i/N: worker i (from 0) of N, owning the contracts whose id
                     hashes to i; exit 6 (PARTITION_LAYOUT_CHANGED on stderr) when the read models were built by
                     another number of workers
  rebuild [name...] [--dry-run] [--diff]
                     replay the log into fresh read-model tables while the current ones keep serving, then swap
                     them in; --dry-run compares and discards instead; --diff prints what changes per document
  post --period YYYY-MM [--legal-entity LE]
                     prepare every contract's journal for the period and post the unposted ones to the ERP
                     (REVTRAIL_CONNECTOR, or each entity's ERP once an entity register is published); prints the
                     summary, with each legal entity's outcome under \`entities\`; exit 3 when the run left something
                     unposted (a contract blocked, a journal refused or still retrying, an entity's ERP not
                     configured); exit 4 (POSTING_RUN_IN_PROGRESS on stderr) when
                     another posting run holds the store's lock; exit 5 (POSTING_RUN_LOCK_LOST on stderr, the summary
                     so far on stdout) when another run took the lock over part-way
  reconcile --period YYYY-MM [--legal-entity LE]
                     ERP tie-out: the ERP's balances per account (file connector: hledger on its journals; Tryton:
                     its posted move lines over JSON-RPC) against what Revtrail recorded as posted through the
                     period; prints each difference with its journals; exit 3 when they differ
  reprepare [JOURNAL_ID...] [--legal-entity LE] [--into YYYY-MM]
                     once the cause is fixed, re-prepare journals the ERP refused, any code (all of them without
                     ids): PERIOD_CLOSED re-dated into the first open period (or --into), UNKNOWN_ACCOUNT and
                     UNBALANCED prepared anew under today's mappings, connector failures reopened under their own
                     id; the next \`post\` submits them
  import FILE        append the inbound events of a JSONL file through the command path; prints a summary
  generate --contracts N --seed S [--out FILE] [--start YYYY-MM-DD] [--duplicates R] [--out-of-order R]
                     write a deterministic synthetic company's inbound events as JSONL (stdout without --out)
${EXCEPTIONS_USAGE}
${MAPPINGS_USAGE}
${EVIDENCE_USAGE}`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS = new Map<string, Command>(
  Object.entries({
    start: async () => {
      await (await import('./service.js')).start();
      return -1; // keeps running
    },
    verify: async (args) => (await import('./verify.js')).verifyCommand(args),
    import: async (args) => (await import('./import.js')).importCommand(args[0]),
    project: async (args) => (await import('./follow.js')).projectCommand(args),
    rebuild: async (args) => (await import('./rebuild.js')).rebuildCommand(args),
    generate: async (args) => (await import('./generate.js')).generateCommand(args),
    post: async (args) => (await import('./post.js')).postCommand(args),
    reprepare: async (args) => (await import('./post.js')).reprepareCommand(args),
    reconcile: async (args) => (await import('./post.js')).reconcileCommand(args),
    evidence: async (args) => (await import('./evidence.js')).evidenceCommand(loadConfig(), args),
    mappings: async (args) => (await import('./mappings.js')).mappingsCommand(loadConfig(), args),
    exceptions: async (args) =>
      (await import('./exceptions.js')).exceptionsCommand(loadConfig(), args).catch((err: unknown) => {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`revtrail: ${err.message}\n`);
        return 2;
      }),
  } satisfies Record<string, Command>),
);

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const run = command === undefined ? undefined : COMMANDS.get(command);
  if (run) return run(args);
  process.stderr.write(`${USAGE}\n`);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`revtrail: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
