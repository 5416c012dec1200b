// Runs the one read store conformance suite against every read store registered in adapters.ts.
import { readStores } from './adapters.js';
import { readStoreConformance } from './conformance.js';

for (const adapter of readStores) readStoreConformance(adapter);
