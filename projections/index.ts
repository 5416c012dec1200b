// The projections, in the order the runner brings them up.
import { contractVersions } from './contract-versions.js';
import type { Projection } from './types.js';

export type { Projection } from './types.js';
export { contractVersions } from './contract-versions.js';
export type { ContractVersions, ContractVersionEntry } from './contract-versions.js';

// Each projection is typed by its own document; the runner handles them as plain JSON documents.
export const PROJECTIONS: readonly Projection[] = [contractVersions];
