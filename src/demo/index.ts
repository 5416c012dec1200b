// The demo, a developer tool rather than a port: synthetic data generation (a deterministic SaaS company's inbound
// events, its product catalogue publishable as the product mapping, a summary of any event stream, a JSON Lines
// writer) and the seeding of an empty store with it through the same command path as real traffic.
export { CATALOGUE, DEFAULT_RATES, generateCompany, summarise } from './company.js';
export type { CatalogueEntry, CompanySummary, GenerateOptions, GeneratedCurrency, Rates } from './company.js';
export { writeJsonl } from './jsonl.js';
export { DEMO_ENTITIES, publishMapping, seedDemo } from './seed.js';
export type { DemoSummary } from './seed.js';
export { generateRates } from './rates.js';
