// HTTP routes, one fastify plugin per route group.
export { healthRoutes } from './health.js';
export type { HealthOptions } from './health.js';
