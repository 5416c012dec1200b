// What the service's worker threads (the live projections' ./live-worker.ts, the ingest thread's
// ../http/ingest-worker.ts) share: their priority, and errors as data across the thread boundary.
import { setPriority } from 'node:os';

/**
 * Lowers this thread's priority to `nice` (Linux, where a thread's nice value is its own; elsewhere, or at 0 or
 * undefined, nothing), so that on a busy machine the API thread's reads are served first (docs/operations.md,
 * "Threads").
 */
export function lowerThreadPriority(nice: number | undefined): void {
  if (nice !== undefined && nice > 0 && process.platform === 'linux') setPriority(0, nice);
}

/** An error as a message can carry it. */
export interface ErrorData {
  message: string;
  stack?: string;
}

export function errorAsData(err: unknown): ErrorData {
  return {
    message: err instanceof Error ? err.message : String(err),
    ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
  };
}

/** The Error again on the receiving side, with the sender's stack. */
export function errorFromData(data: ErrorData): Error {
  return Object.assign(new Error(data.message), data.stack ? { stack: data.stack } : {});
}
