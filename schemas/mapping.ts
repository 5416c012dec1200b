// Mapping sets (docs/accounting.md, "Mappings"): products (SKU -> pattern, SSP, accounts, dimensions) and accounts
// (per legal entity). Each publication is a new version in its stream (mapping-products, mapping-accounts).
import { z } from 'zod';
import { Currency, Id, Money } from './primitives.js';

export const Pattern = z.enum(['ratable', 'point_in_time', 'milestone', 'usage']);
export const Convention = z.enum(['daily', 'monthly']);
export const Trigger = z.enum(['activation', 'service_start']);

const AccountCode = z.string().min(1).max(64);

export const ProductMapping = z.strictObject({
  sku: Id,
  pattern: Pattern,
  /** Standalone selling price per unit, in the currency of the contracts it prices (relative SSP is what matters). */
  ssp: Money,
  convention: Convention.optional(),
  trigger: Trigger.optional(),
  accounts: z.strictObject({ revenue: AccountCode }).catchall(AccountCode).optional(),
  dimensions: z.record(z.string().min(1).max(64), z.string().max(256)).optional(),
});
export type ProductMapping = z.infer<typeof ProductMapping>;

export const ProductMappingSet = z
  .strictObject({
    products: z.array(ProductMapping).min(1).max(10_000),
    /** Why this version exists: the audit trail of a mapping fix. */
    reason: z.string().min(1).max(2000),
    /** Optimistic concurrency: the version this change was made against (omit for the first). */
    basedOnVersion: z.number().int().min(1).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.products.forEach((p, i) => {
      if (seen.has(p.sku)) {
        ctx.addIssue({
          code: 'custom',
          path: ['products', i, 'sku'],
          message: `sku ${p.sku} appears twice`,
          params: { code: 'INVALID_VALUE' },
        });
      }
      seen.add(p.sku);
    });
  });
export type ProductMappingSet = z.infer<typeof ProductMappingSet>;

export const EntityAccounts = z.strictObject({
  legalEntity: Id,
  currency: Currency,
  accounts: z.strictObject({
    receivable: AccountCode,
    deferredRevenue: AccountCode,
    contractAsset: AccountCode,
    revenue: AccountCode,
    taxPayable: AccountCode,
    /** Exchange differences of translated contracts (docs/accounting.md, "Foreign currency"); absent: the receivable. */
    exchangeDifference: AccountCode.optional(),
  }),
});

export const AccountMappingSet = z
  .strictObject({
    entities: z.array(EntityAccounts).min(1).max(1000),
    reason: z.string().min(1).max(2000),
    basedOnVersion: z.number().int().min(1).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.entities.forEach((e, i) => {
      if (seen.has(e.legalEntity)) {
        ctx.addIssue({
          code: 'custom',
          path: ['entities', i, 'legalEntity'],
          message: `${e.legalEntity} appears twice`,
          params: { code: 'INVALID_VALUE' },
        });
      }
      seen.add(e.legalEntity);
    });
  });
export type AccountMappingSet = z.infer<typeof AccountMappingSet>;

export const MappingKind = z.enum(['products', 'accounts']);
export type MappingKind = z.infer<typeof MappingKind>;
