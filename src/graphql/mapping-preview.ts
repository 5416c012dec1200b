// `mappingDryRun`: the per-period revenue effect of a proposed product mapping before it is published, as
// `POST /v1/mappings/products/dry-run` answers it (src/audit/mapping-preview.ts), with Relay-style paging of the
// changed contracts. It reads the log and the read model and writes neither.
import type { IResolvers } from 'mercurius';
import type { DeriveBudget } from '../../projections/index.js';
import { ProductMappingSet } from '../../schemas/index.js';
import { checkProposal, previewProductMapping } from '../audit/index.js';
import type { AuditDeps } from '../audit/index.js';
import type { Erp } from '../posting/erp.js';
import { decodeCursor, encodeCursor } from './contracts.js';
import { codedError, domainRefusal } from './errors.js';

/** The most changed contracts one page answers. */
const MAX_DRY_RUN_PAGE = 200;

export const mappingPreviewTypeDefs = /* GraphQL */ `
  extend type Query {
    """
    The revenue effect of a proposed product mapping before it is published: \`products\` is the body a publication
    takes (\`{products, reason, basedOnVersion}\`), checked as a publication checks it. Per period and currency in
    total (\`summary\`, on the first page only) and per contract whose revenue or schedule status changes, at most
    ${MAX_DRY_RUN_PAGE} contracts a page in contract id order. Nothing is written.
    """
    mappingDryRun(products: JSON!, first: Int = 50, after: String): MappingDryRun!
  }

  "Revenue of one period in one currency, in force and with the proposal."
  type MappingPeriodEffect {
    period: String!
    currency: String!
    before: Money!
    after: Money!
    delta: Money!
  }

  type MappingContractEffect {
    contractId: ID!
    legalEntity: String
    currency: String
    statusBefore: String
    "Null when the schedule would exceed the derivation budget (it would be quarantined)."
    statusAfter: String
    "The periods whose revenue changes."
    periods: [MappingPeriodEffect!]!
    "What changes, in words (as rebuild --dry-run --diff says it)."
    changes: [String!]!
  }

  type MappingDryRunSummary {
    "Contracts using a SKU whose entry changes."
    examined: Int!
    "Of those, the contracts whose revenue per period or schedule status changes."
    changed: Int!
    totals: [MappingPeriodEffect!]!
  }

  type MappingDryRun {
    "The proposal is the version in force already."
    unchanged: Boolean!
    currentVersion: Int!
    proposedVersion: Int!
    changedSkus: [String!]!
    "The revenue-schedule read model's position the facts were read at."
    asOf: String
    summary: MappingDryRunSummary
    contracts: [MappingContractEffect!]!
    pageInfo: PageInfo!
  }
`;

export function mappingPreviewResolvers(options: {
  deps: AuditDeps;
  connector: Erp['kind'];
  budget: DeriveBudget;
}): IResolvers {
  const { deps, connector, budget } = options;
  return {
    Query: {
      mappingDryRun: async (_root: unknown, args: { products: unknown; first: number; after?: string | null }) => {
        if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_DRY_RUN_PAGE)
          throw codedError('INVALID_ARGUMENT', `first must be between 1 and ${MAX_DRY_RUN_PAGE}`);
        const parsed = ProductMappingSet.safeParse(args.products);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw codedError('INVALID_ARGUMENT', `products: ${issue.path.join('.')}: ${issue.message}`);
        }
        const checked = await checkProposal(deps, connector, parsed.data);
        if (checked.refused !== null) throw domainRefusal(checked.errors[0]!);
        const after = args.after == null ? null : decodeCursor(args.after);
        const preview = await previewProductMapping(deps, parsed.data, { limit: args.first, after }, budget);
        const { next, ...rest } = preview;
        return {
          unchanged: checked.unchanged,
          ...rest,
          pageInfo: { hasNextPage: next !== null, endCursor: next === null ? null : encodeCursor(next) },
        };
      },
    },
  } as IResolvers;
}
