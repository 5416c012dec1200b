// `revtrail project [--follow] [--partition i/N]`: the projections outside the API. Without --follow it brings the read
// models (or one partition of them) up to the log's end and exits; with --follow it is a projection worker process:
// it serves GET /health on REVTRAIL_METRICS_PORT, prints a ready line on stdout, follows the log until SIGTERM or
// SIGINT, then stops between two commits and exits 0.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import { loadConfig, runnerSettings } from '../config.js';
import { PROJECTIONS } from '../../projections/index.js';
import { configureMetrics, metricsHandler, recordProjectionBatch } from '../metrics/index.js';
import { openReadStore } from '../readmodel/index.js';
import type { ReadStore } from '../readmodel/index.js';
import {
  PartitionLayoutChangedError,
  ProjectionRunner,
  ProjectionWorker,
  formatPartition,
  parsePartition,
  partitionScope,
} from '../runner/index.js';
import type { Partition } from '../runner/index.js';
import { buildWorkerServer, listenWorkerServer } from '../runner/worker-server.js';
import { openStore } from '../store/index.js';
import { UsageError } from './usage.js';
import type { EventStore } from '../store/index.js';

/** Exit code of a worker refused because the read models were built by another layout (PARTITION_LAYOUT_CHANGED). */
export const EXIT_LAYOUT_CHANGED = 6;

/** Where a worker serves /health when REVTRAIL_METRICS_PORT is not set. */
export const DEFAULT_METRICS_PORT = 9464;

export interface ProjectArgs {
  follow: boolean;
  partition: Partition | null;
}

const PROJECT_FLAGS = '--follow, --partition i/N';

/** `[--follow] [--partition i/N | --partition=i/N]`, each at most once, nothing else. */
export function parseProjectArgs(args: readonly string[]): ProjectArgs {
  let follow = false;
  let partition: Partition | null = null;
  let partitionSeen = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--follow') {
      if (follow) throw new UsageError('--follow given twice');
      follow = true;
      continue;
    }
    const inline = /^--partition=(.*)$/s.exec(arg);
    if (arg !== '--partition' && !inline)
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}; project takes ${PROJECT_FLAGS}`);
    if (partitionSeen) throw new UsageError('--partition given twice');
    partitionSeen = true;
    const value = inline ? inline[1]! : args[++i];
    if (value === undefined) throw new UsageError('--partition needs a value i/N (e.g. 0/2)');
    try {
      partition = parsePartition(value);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return { follow, partition };
}

/** REVTRAIL_METRICS_PORT: a TCP port, 0 for a free one; default DEFAULT_METRICS_PORT. */
export function metricsPort(env: NodeJS.ProcessEnv): number {
  const text = env.REVTRAIL_METRICS_PORT;
  if (text === undefined || text === '') return DEFAULT_METRICS_PORT;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535)
    throw new UsageError(`REVTRAIL_METRICS_PORT ${JSON.stringify(text)}: must be a port from 0 to 65535 (0: any free)`);
  return port;
}

/**
 * Runs a projection command over the configured stores and closes them after. A partition layout changed under the
 * command is refused with its own exit code; any other failure is thrown.
 */
async function overStores(
  config: Config,
  run: (store: EventStore, read: ReadStore) => Promise<number>,
): Promise<number> {
  const { store, read } = open(config);
  try {
    return await run(store, read);
  } catch (err) {
    if (!(err instanceof PartitionLayoutChangedError)) throw err;
    process.stderr.write(`${JSON.stringify({ code: err.code, message: err.message })}\n`);
    return EXIT_LAYOUT_CHANGED;
  } finally {
    await read.close();
    await store.close();
  }
}

/** Catches the projections (one partition's share, with --partition) up to the log's end and prints their status. */
export async function catchUpOnce(config: Config, partition: Partition | null): Promise<number> {
  return overStores(config, async (store, read) => {
    const worker = new ProjectionWorker(store, read, PROJECTIONS, workerOptions(config, partition));
    await worker.check();
    const runner = new ProjectionRunner(store, read, PROJECTIONS, {
      batchSize: config.runnerBatch,
      maxBatchSize: config.runnerMaxBatch,
      deriveBudget: { maxSteps: config.deriveBudget },
      ...(partition ? { scope: partitionScope(store, read, partition) } : {}),
    });
    const events = await runner.catchUp();
    process.stdout.write(`${JSON.stringify({ events, projections: await runner.status() })}\n`);
    return 0;
  });
}

/**
 * A projection worker process: refuses a changed layout before anything else, then serves /health, prints
 * `{"ready":true,"port":N,"partition":"i/N"}` and follows the log until a signal. `plugins` add routes to its server.
 */
export async function follow(
  config: Config,
  partition: Partition | null,
  plugins: readonly FastifyPluginAsync[] = [],
): Promise<number> {
  const port = metricsPort(process.env);
  return overStores(config, async (store, read) => {
    const metrics = workerMetrics(config, partition);
    const worker = new ProjectionWorker(store, read, PROJECTIONS, {
      ...workerOptions(config, partition),
      ...dieAtBatch(),
      ...(metrics ? { onProjectionBatch: recordProjectionBatch } : {}),
      onError: (err) =>
        process.stderr.write(
          `${JSON.stringify({ level: 'error', msg: 'projection worker failed; restarting from its checkpoints', err: String(err) })}\n`,
        ),
    });
    const server = await buildWorkerServer({
      status: () => worker.status(),
      plugins: metrics ? [metrics, ...plugins] : plugins,
    });
    try {
      await worker.check();
      const bound = await listenWorkerServer(server, config.host, port);
      const running = worker.run();
      const onSignal = () => void worker.stop();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      process.stdout.write(
        `${JSON.stringify({ ready: true, port: bound, partition: partition && formatPartition(partition) })}\n`,
      );
      await running;
      return 0;
    } finally {
      await server.close();
    }
  });
}

/**
 * The worker's Prometheus metrics (labelled role=worker and its partition), served at GET /metrics on the metrics
 * port beside /health, without a key: that port is the worker's only one and is meant for the scraper's network.
 * Null with REVTRAIL_METRICS=off.
 */
function workerMetrics(config: Config, partition: Partition | null): FastifyPluginAsync | null {
  if (!config.metrics.enabled) return null;
  const registry = configureMetrics({
    role: 'worker',
    partition: partition ? formatPartition(partition) : 'all',
    enabled: true,
  });
  return async (app) => {
    app.get('/metrics', metricsHandler(registry));
  };
}

function open(config: Config): { store: EventStore; read: ReadStore } {
  return {
    store: openStore(config.store, { synchronous: config.sqliteSync }),
    read: openReadStore(config.readStore, { synchronous: config.sqliteSync }),
  };
}

function workerOptions(config: Config, partition: Partition | null) {
  return { partition, ...runnerSettings(config) };
}

/**
 * With REVTRAIL_TEST_DIE_AT_BATCH=n (tests only), the worker kills itself (SIGKILL) once its n-th batch is folded and
 * before that batch commits: the crash mid-batch its restart must recover from without applying anything twice.
 */
function dieAtBatch(): { onBatch?: () => void } {
  const at = Number(process.env.REVTRAIL_TEST_DIE_AT_BATCH ?? 0);
  if (!(at > 0)) return {};
  let batches = 0;
  return {
    onBatch: () => {
      if (++batches >= at) process.kill(process.pid, 'SIGKILL');
    },
  };
}

export async function projectCommand(args: string[]): Promise<number> {
  const { follow: following, partition } = parseProjectArgs(args);
  const config = loadConfig();
  return following ? follow(config, partition) : catchUpOnce(config, partition);
}
