// Runs the one conformance suite against every adapter registered in adapters.ts.
import { adapters } from './adapters.js';
import { conformanceSuite } from './conformance.js';

for (const adapter of adapters) conformanceSuite(adapter);
