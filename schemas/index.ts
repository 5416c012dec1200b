// Schemas: the shapes at every edge (inbound events, stored payloads, mappings, API bodies) and the error codes.
export * from './errors.js';
export * from './primitives.js';
export * from './bounds.js';
export * from './inbound.js';
export * from './mapping.js';
export * from './period.js';
export * from './posting.js';
export * from './stored.js';
