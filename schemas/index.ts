// Schemas: the shapes at every edge (inbound events, stored payloads, mappings, API bodies), the error codes, and the
// stored event envelope with its identity (canonical JSON, content hash, event ids).
export * from './errors.js';
export * from './primitives.js';
export * from './envelope.js';
export * from './bounds.js';
export * from './inbound.js';
export * from './mapping.js';
export * from './period.js';
export * from './posting.js';
export * from './stored.js';
export * from './journal.js';
export * from './fx.js';
