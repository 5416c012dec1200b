// Mapping sets (docs/accounting.md, "Mappings"): products (SKU -> pattern, SSP, accounts, dimensions), accounts
// (per legal entity) and the entity register (each legal entity's functional currency and ERP). Each publication is
// a new version in its stream (mapping-products, mapping-accounts, mapping-entities).
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
  .superRefine((m, ctx) =>
    onceEach(
      m.products.map((p) => p.sku),
      (i) => ['products', i, 'sku'],
      (sku) => `sku ${sku}`,
      ctx,
    ),
  );
export type ProductMappingSet = z.infer<typeof ProductMappingSet>;

/**
 * Refuses a key that an earlier entry of the list already has: with two entries for one key, which applies would be
 * left to chance. `path` names the key of entry `i`; `name` the key in the message.
 */
function onceEach(
  keys: readonly string[],
  path: (i: number) => (string | number)[],
  name: (key: string) => string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (seen.has(key))
      ctx.addIssue({
        code: 'custom',
        path: path(i),
        message: `${name(key)} appears twice`,
        params: { code: 'INVALID_VALUE' },
      });
    seen.add(key);
  });
}

/** A legal entity has one entry in a per-entity mapping. */
function eachLegalEntityOnce(m: { entities: readonly { legalEntity: string }[] }, ctx: z.RefinementCtx): void {
  onceEach(
    m.entities.map((e) => e.legalEntity),
    (i) => ['entities', i, 'legalEntity'],
    (legalEntity) => legalEntity,
    ctx,
  );
}

export const EntityAccounts = z.strictObject({
  legalEntity: Id,
  /**
   * The entity's currency. Optional once an entity register is published (it holds the functional currency); where
   * both name one they must agree, or the later publication is refused.
   */
  currency: Currency.optional(),
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
  .superRefine(eachLegalEntityOnce);
export type AccountMappingSet = z.infer<typeof AccountMappingSet>;

/**
 * An environment variable's name. The register is published into the log, which is kept forever and read by every
 * auditor, so secrets and addresses are named here and read from the environment of the process that posts.
 */
const EnvName = z
  .string()
  .max(128)
  .regex(/^[A-Z_][A-Z0-9_]*$/, {
    message: 'must be an environment variable name (A-Z, 0-9 and _, not starting with a digit), not a value',
  });

/** Where a legal entity's journals are posted: one of the connectors (docs/posting.md). */
export const EntityErp = z.discriminatedUnion('connector', [
  z.strictObject({
    connector: z.literal('tryton'),
    urlEnv: EnvName,
    databaseEnv: EnvName,
    /** Default: the user `admin`. */
    userEnv: EnvName.optional(),
    passwordEnv: EnvName,
    /** The Tryton journal code (default: REVTRAIL_TRYTON_JOURNAL's). */
    journal: z.string().min(1).max(64).optional(),
  }),
  z.strictObject({ connector: z.literal('file'), dir: z.string().min(1).max(1024) }),
  z.strictObject({ connector: z.literal('simulated') }),
]);
export type EntityErp = z.infer<typeof EntityErp>;

export const RegisteredEntity = z.strictObject({
  legalEntity: Id,
  /** The currency the entity keeps its books in: its journals are in it. */
  functionalCurrency: Currency,
  erp: EntityErp,
});
export type RegisteredEntity = z.infer<typeof RegisteredEntity>;

export const EntityRegisterSet = z
  .strictObject({
    entities: z.array(RegisteredEntity).min(1).max(1000),
    /** The group's reporting currency. */
    reportingCurrency: Currency.optional(),
    reason: z.string().min(1).max(2000),
    basedOnVersion: z.number().int().min(1).optional(),
  })
  .superRefine(eachLegalEntityOnce);
export type EntityRegisterSet = z.infer<typeof EntityRegisterSet>;

/** Any published mapping set. */
export type MappingSet = ProductMappingSet | AccountMappingSet | EntityRegisterSet;

export const MappingKind = z.enum(['products', 'accounts', 'entities']);

/** The schema of each kind's publication. */
export const MAPPING_SETS = {
  products: ProductMappingSet,
  accounts: AccountMappingSet,
  entities: EntityRegisterSet,
} as const;
export type MappingKind = z.infer<typeof MappingKind>;
