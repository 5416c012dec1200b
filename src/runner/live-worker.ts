// The live projections' worker thread (./live.ts): opens its own connections to the event store and the read store
// (SQLite in WAL mode: the API's connections go on appending and reading while this one is the read store's only
// writer), runs the live runner until the API asks it to stop, then closes both and exits.
import { parentPort, workerData } from 'node:worker_threads';
import { projectionsNamed } from '../../projections/index.js';
import { openReadStore } from '../readmodel/index.js';
import { SqliteEventStore, openStore } from '../store/index.js';
import type { EventStore } from '../store/index.js';
import type { LiveMessage, LiveWorkerData } from './live.js';
import { LiveRunner } from './live.js';
import { errorAsData, lowerThreadPriority } from './thread.js';

/**
 * How often this connection looks for appends made by the API's: the API's own appends wake its subscriptions at
 * once, but they cannot wake a connection in another thread (SELECT max(position) per look).
 */
const POLL_MS = 25;

const data = workerData as LiveWorkerData;
const port = parentPort!;
const send = (m: LiveMessage): void => port.postMessage(m);

function open(location: string): EventStore {
  if (/^esdb(\+discover)?:\/\//.test(location)) return openStore(location);
  return new SqliteEventStore({ path: location, synchronous: data.sqliteSync, pollIntervalMs: POLL_MS });
}

lowerThreadPriority(data.nice);

const store = open(data.store);
const read = openReadStore(data.readStore, { synchronous: data.sqliteSync });
const live = new LiveRunner(store, read, projectionsNamed(data.projections), {
  ...data,
  onPhase: (phase, eventsBehind) => send({ kind: 'phase', phase, eventsBehind }),
  ...(data.reportBatches ? { onProjectionBatch: (batch) => send({ kind: 'batch', batch }) } : {}),
  onError: (err) => send({ kind: 'error', ...errorAsData(err) }),
});
port.once('message', () => void live.stop());
try {
  await live.run();
} finally {
  await read.close();
  await store.close();
  port.close();
}
