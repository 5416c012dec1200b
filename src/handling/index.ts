// The write side's command loop: read, fold, decide, append at the revision read, retry on a clash (one bound).
export { MAX_CLASH_RETRIES, decideOnStream, handleCommand } from './handle.js';
export type { HandleOptions } from './handle.js';
