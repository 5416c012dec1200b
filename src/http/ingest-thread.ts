// POST /v1/events off the API's event loop: the ingest worker thread (./ingest-worker.ts) parses, validates, decides
// and appends over a connection of its own to the event store, so that none of it (JSON of a 250 KB body, zod,
// the contract command, the transaction and its fsync) holds up the reads this thread answers meanwhile
// (bench/graphql-ingest). The API thread receives the body's bytes and sends the answer the worker made.
//
// Nothing here is needed for correctness: the worker's Ingestor is one more writer to the store, and writers on
// other connections (this thread's own replays, other API nodes) are already kept apart by the expected revision of
// every append (src/ingest). A request in flight when the worker dies fails (500) and is retried by its sender; its
// append was atomic, so the retry's events are appended or answered `duplicate`. The next request starts a new worker.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Limits } from '../../schemas/index.js';
import type { IngestContext } from '../ingest/index.js';
import { recordRetry } from '../metrics/index.js';
import type { RetryOperation } from '../metrics/index.js';
import { errorFromData } from '../runner/thread.js';
import type { ErrorData } from '../runner/thread.js';
import type { IngestAnswer } from './ingest-request.js';

/** What the worker is given: plain data. */
export interface IngestWorkerData {
  /** REVTRAIL_STORE: the event store's file, or an EventStoreDB connection string. */
  store: string;
  sqliteSync: 'full' | 'normal';
  limits: Limits;
  /** The worker thread's nice value (Linux; 0 leaves it as the API thread's): see docs/operations.md. */
  nice: number;
}

/** The request's context as data (the logger stays on this side). */
export type IngestRequestContext = Pick<IngestContext, 'actor' | 'requestId' | 'correlationId'>;

export type ToIngestWorker = { id: number; text: string; ctx: IngestRequestContext } | 'stop';

export type FromIngestWorker =
  | { kind: 'answer'; id: number; answer: IngestAnswer }
  | ({ kind: 'failed'; id: number } & ErrorData)
  | { kind: 'log'; id: number; obj: object; msg: string }
  /** Retries the worker counted (its metrics registry is its own): recorded in this thread's. */
  | { kind: 'retry'; operation: RetryOperation; count: number };

/**
 * The compiled worker: beside this module in dist/, and from the TypeScript sources (tests) the one dist/ holds (the
 * test run builds it first: test/support/global-setup.ts).
 */
const WORKER = fileURLToPath(import.meta.url).endsWith('.ts')
  ? new URL('../../dist/src/http/ingest-worker.js', import.meta.url)
  : new URL('./ingest-worker.js', import.meta.url);

interface Pending {
  resolve: (answer: IngestAnswer) => void;
  reject: (err: Error) => void;
  log: IngestContext['log'];
}

/** The ingest worker of an API process, started by the first request and again by the first after it died. */
export class IngestThread {
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closing = false;

  constructor(
    private readonly data: IngestWorkerData,
    /** After each answer: the worker may have appended (this thread's subscriptions look at once). */
    private readonly onAnswer: () => void = () => undefined,
  ) {}

  /** Whether the worker is compiled (it is run from dist/). */
  static available(): boolean {
    return existsSync(fileURLToPath(WORKER));
  }

  answer(text: string, ctx: IngestContext): Promise<IngestAnswer> {
    if (this.closing) return Promise.reject(new Error('the ingest worker is stopping'));
    const worker = this.worker ?? this.launch();
    const id = this.nextId++;
    const { actor, requestId, correlationId } = ctx;
    return new Promise<IngestAnswer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, log: ctx.log });
      const message: ToIngestWorker = { id, text, ctx: { actor, requestId, correlationId } };
      worker.postMessage(message);
    });
  }

  /** Stops the worker once it has answered what it was sent (the server answers nothing new by then). */
  async close(): Promise<void> {
    this.closing = true;
    this.worker?.postMessage('stop' satisfies ToIngestWorker);
    await this.exited;
  }

  private launch(): Worker {
    const w = new Worker(WORKER, { workerData: this.data });
    this.worker = w;
    w.on('message', (m: FromIngestWorker) => this.received(m));
    // An uncaught failure in the worker: its 'exit' follows and fails what was pending.
    w.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      w.once('exit', (code) => {
        this.worker = null;
        const err = new Error(`the ingest worker exited with ${code} before answering`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        resolve();
      }),
    );
    return w;
  }

  private received(m: FromIngestWorker): void {
    if (m.kind === 'retry') return recordRetry(m.operation, m.count);
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    if (m.kind === 'log') {
      p.log?.error(m.obj, m.msg);
      return;
    }
    this.pending.delete(m.id);
    this.onAnswer();
    if (m.kind === 'answer') p.resolve(m.answer);
    else p.reject(errorFromData(m));
  }
}
