// Synthetic data generation: a deterministic SaaS company's inbound events, its product catalogue (publishable as
// the product mapping), a summary of any event stream, and a JSON Lines writer.
export { CATALOGUE, DEFAULT_RATES, generateCompany, summarise } from './company.js';
export type { CatalogueEntry, CompanySummary, GenerateOptions, GeneratedCurrency, Rates } from './company.js';
export { writeJsonl } from './jsonl.js';
