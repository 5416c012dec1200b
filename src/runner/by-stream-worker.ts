// A worker thread of a by-stream rebuild (./by-stream.ts): opens its own connection to the embedded store, folds its
// range of streams, and hands each chunk of serialised documents to the thread that writes them. It keeps at most two
// chunks unacknowledged, so a slow writer holds the folding back instead of letting chunks pile up in memory.
import { parentPort, workerData } from 'node:worker_threads';
import { PROJECTIONS } from '../../projections/index.js';
import { SqliteEventStore } from '../store/index.js';
import type { WorkerMessage, WorkerTask } from './by-stream.js';
import { StreamFolder, foldRange } from './by-stream.js';

const IN_FLIGHT = 2;

const task = workerData as WorkerTask;
const port = parentPort!;
const projections = task.names.map((name) => {
  const p = PROJECTIONS.find((x) => x.name === name);
  if (!p) throw new Error(`unknown projection ${name}`);
  return p;
});

let acknowledged = 0;
let wake: (() => void) | null = null;
port.on('message', () => {
  acknowledged++;
  wake?.();
});

const store = new SqliteEventStore({ path: task.path });
try {
  const folder = new StreamFolder(projections, task.specs, task.budget);
  let sent = 0;
  for await (const chunk of foldRange(
    store,
    folder,
    task.prefix,
    task.upTo,
    task.range,
    task.index,
    task.commitEvery,
  )) {
    while (sent - acknowledged >= IN_FLIGHT) await new Promise<void>((r) => (wake = r));
    port.postMessage({ kind: 'chunk', chunk } satisfies WorkerMessage);
    sent++;
  }
  port.postMessage({ kind: 'done' } satisfies WorkerMessage);
} finally {
  await store.close();
}
