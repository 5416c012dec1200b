// The ingest worker thread (./ingest-thread.ts): opens its own connection to the event store, answers each
// POST /v1/events body it is sent with `answerIngest` (requests in flight together, as on the API's thread: the
// Ingestor's per-contract lock and the appends' expected revisions keep them apart), and closes the connection when
// the API stops it.
import { parentPort, workerData } from 'node:worker_threads';
import { Ingestor } from '../ingest/index.js';
import { forwardRetries } from '../metrics/index.js';
import { errorAsData, lowerThreadPriority } from '../runner/thread.js';
import { openStore } from '../store/index.js';
import { answerIngest } from './ingest-request.js';
import type { FromIngestWorker, IngestWorkerData, ToIngestWorker } from './ingest-thread.js';

const data = workerData as IngestWorkerData;
const port = parentPort!;
const send = (m: FromIngestWorker): void => port.postMessage(m);

lowerThreadPriority(data.nice);

// A clash (a command decided again after a concurrent append) is counted by the API thread, whose registry /metrics
// serves.
forwardRetries((operation, count) => send({ kind: 'retry', operation, count }));

// The same store the API thread opened (src/app.ts), on a connection of this thread's own.
const store = openStore(data.store, { synchronous: data.sqliteSync });
const ingestor = new Ingestor(store, { limits: data.limits });
let inFlight = 0;
let stopping = false;

async function stop(): Promise<void> {
  await store.close();
  port.close();
}

port.on('message', (m: ToIngestWorker) => {
  if (m === 'stop') {
    stopping = true;
    if (inFlight === 0) void stop();
    return;
  }
  const { id, text, ctx } = m;
  inFlight++;
  const log = { error: (obj: object, msg: string) => send({ kind: 'log', id, obj: plain(obj), msg }) };
  answerIngest(text, ingestor, { ...ctx, log })
    .then(
      (answer) => send({ kind: 'answer', id, answer }),
      (err: unknown) => send({ kind: 'failed', id, ...errorAsData(err) }),
    )
    .finally(() => {
      inFlight--;
      if (stopping && inFlight === 0) void stop();
    });
});

/** A log line's object as data: an Error under `err` becomes its message and stack. */
function plain(obj: object): object {
  const { err, ...rest } = obj as { err?: unknown };
  if (!(err instanceof Error)) return obj;
  return { ...rest, err: { type: err.name, message: err.message, stack: err.stack } };
}
