// HTTP routes, one fastify plugin per route group, and the edge concerns they share (problem+json, body limits,
// redaction). API keys and scopes are src/auth's.
export { healthRoutes } from './health.js';
export type { HealthOptions } from './health.js';
export { eventRoutes } from './events.js';
export { adminRoutes } from './admin.js';
export { mappingPreviewRoutes } from './mapping-preview.js';
export { readModelRoutes } from './readmodels.js';
export { postingRoutes } from './posting.js';
export { traceRoutes } from './trace.js';
export { metricsRoutes } from './metrics.js';
export { exceptionRoutes } from './exceptions.js';
export { exportRoutes } from './exports.js';
export { consoleRoutes, defaultConsoleRoot } from './console.js';
export type { PostingRoutesOptions } from './posting.js';
export { installProblemHandlers, sendProblem } from './problem.js';
export { CORRELATION_HEADER, installCorrelation } from './correlation.js';
export { MAX_BODY_DEPTH, installJsonBody } from './body.js';
export { loggerOptions, redactUrl } from './redact.js';
export type { LogDestination } from './redact.js';
