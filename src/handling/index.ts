// The write side's command loop: read, fold, decide, append at the revision read, retry on a clash (one bound).
export { MAX_CLASH_RETRIES, decideOnStream, handleBatch, handleCommand } from './handle.js';
export type { Batch, Exhausted, HandleOptions } from './handle.js';
