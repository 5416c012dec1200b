// Journal preparation (docs/accounting.md, "Journals"), pure: what a contract's general-ledger balances should
// be at a period end, from its billing and its revenue schedule, and the journal that takes what was already
// journaled there. Because a journal is always "target through the period minus everything journaled so far", a
// corrected mapping (a different schedule, a different account) comes out as the adjusting difference, and every
// journal balances: it is the difference of two balanced sets of balances.
//
// Target balances through a period end (debit positive):
//   receivable          Dr  billed + tax (credit memos take both back)
//   tax payable         Cr  tax
//   revenue (per line)  Cr  revenue recognised through the period (ASC 606-10-25-23), on the SKU's revenue account
//   deferred revenue    Cr  billed - recognised, when positive (a contract liability, ASC 606-10-45-2)
//   contract asset      Dr  recognised - billed, when positive (ASC 606-10-45-3)
// So an invoice is Dr receivable / Cr deferred revenue (contract asset relieved first), and recognition is
// Dr deferred revenue up to its balance, the rest Dr contract asset / Cr revenue.
// A contract with a separate modification (a separate contract, ASC 606-10-25-12) takes deferred revenue and contract
// asset per presentation group and sums each side: one group's asset is never netted against another's liability
// (ASC 606-10-45-1), so journals keep each group's position apart.
//
// A contract in another currency than its legal entity's functional currency is translated (src/revenue/fx.ts): its
// target balances are in the functional currency, one per account, dimensions and the rate they were made at, so
// every journal line carries one rate and its transaction-currency amount, and the exchange difference balances them.
import type { Dec, Schedule } from '../revenue/index.js';
import type { JournalLine, PreparedJournal } from '../../schemas/index.js';
import { ZERO, dec, formatMoney, minus, monthEnd, plus, sumMoney } from '../revenue/index.js';
import { translate } from '../revenue/fx.js';
import type { FxAmount, FxRate, MissingRate, RateBook, Translation } from '../revenue/fx.js';

export interface EntityAccounts {
  receivable: string;
  deferredRevenue: string;
  contractAsset: string;
  revenue: string;
  taxPayable: string;
  /** Where a translated contract's exchange differences go; absent: the receivable (docs/accounting.md). */
  exchangeDifference?: string;
}

/** An invoice (positive) or credit memo (negative): amount excludes tax. */
export interface BillingFact {
  date: string;
  amount: string;
  tax: string;
  eventId: string;
  /** Amount per presentation group, by the bill's lines (src/revenue/balances.ts); only with a separate modification. */
  groups?: { [group: string]: string };
}

export interface PrepareInput {
  contract: { contractId: string; legalEntity: string; customerId: string; currency: string };
  schedule: Schedule;
  billing: readonly BillingFact[];
  accounts: EntityAccounts;
  /** Revenue account of a SKU (its product mapping's, else the legal entity's). */
  revenueAccountOf: (sku: string) => string;
  /** Every line of the contract's journals prepared so far (whatever became of their posting). */
  journaled: readonly JournalLine[];
  through: string;
  postIn: string;
  accountMappingVersion: number;
  /** The correlation id of each of the contract's events that carries one (by event id); absent: none. */
  correlationIds?: ReadonlyMap<string, string>;
  /** Present when the contract's currency is not its legal entity's: journals are translated into this one. */
  fx?: { functionalCurrency: string; rates: RateBook };
}

/** The rate an amount was translated at, and the amount in the transaction currency (debit positive). */
interface BalanceFx {
  transaction: Dec;
  rate: FxRate;
}

interface Balance {
  account: string;
  dimensions: Record<string, string>;
  /** In the journal's currency (the functional currency of a translated contract), debit positive. */
  amount: Dec;
  fx?: BalanceFx;
}

const keyOf = (account: string, dimensions: Record<string, string>, rateEventId?: string): string =>
  JSON.stringify([
    account,
    Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1)),
    ...(rateEventId === undefined ? [] : [rateEventId]),
  ]);

function add(
  into: Map<string, Balance>,
  account: string,
  dimensions: Record<string, string>,
  amount: Dec,
  fx?: BalanceFx,
): void {
  const key = keyOf(account, dimensions, fx?.rate.eventId);
  const b = into.get(key);
  const sumFx = fx && b?.fx ? { transaction: plus(b.fx.transaction, fx.transaction), rate: fx.rate } : fx;
  into.set(key, { account, dimensions, amount: b ? plus(b.amount, amount) : amount, ...(sumFx ? { fx: sumFx } : {}) });
}

/** The translation of a contract through `input.through` (src/revenue/fx.ts), from its billing and schedule. */
function translationOf(input: PrepareInput, fx: NonNullable<PrepareInput['fx']>) {
  return translate({
    transactionCurrency: input.contract.currency,
    functionalCurrency: fx.functionalCurrency,
    bills: input.billing.map((b) => ({ date: b.date, amount: b.amount, tax: b.tax, eventId: b.eventId })),
    recognition: input.schedule.periods.flatMap((p) =>
      Object.entries(p.lines).map(([lineId, amount]) => ({ period: p.period, lineId, amount })),
    ),
    through: input.through,
    rates: fx.rates,
  });
}

/** The first rate a translated contract needs through `input.through` that is not published; null when none is. */
export function fxRateMissing(input: Omit<PrepareInput, 'journaled' | 'postIn'>): MissingRate | null {
  if (!input.fx) return null;
  const outcome = translationOf({ ...input, journaled: [], postIn: input.through }, input.fx);
  return 'missing' in outcome ? outcome.missing : null;
}

/**
 * A translated contract's balances at the end of `through`, per rate; or the rate its translation lacks (a posting
 * run blocks it FX_RATE_MISSING, a trial balance shows it as a difference).
 */
function translatedBalances(
  input: PrepareInput,
  fx: NonNullable<PrepareInput['fx']>,
): Map<string, Balance> | MissingRate {
  const outcome = translationOf(input, fx);
  if ('missing' in outcome) return outcome.missing;
  const out = new Map<string, Balance>();
  const t: Translation = outcome.translation;
  const { contract, accounts } = input;
  const base = { legalEntity: contract.legalEntity, contractId: contract.contractId, customerId: contract.customerId };
  const put = (account: string, dims: Record<string, string>, amounts: readonly FxAmount[], sign: 1 | -1) => {
    for (const x of amounts) {
      const signed = (d: Dec) => (sign === 1 ? d : d.neg());
      add(out, account, dims, signed(x.functional), { transaction: signed(x.transaction), rate: x.rate! });
    }
  };
  put(accounts.receivable, base, t.receivable, 1);
  put(accounts.taxPayable, base, t.taxPayable, -1);
  for (const o of input.schedule.obligations)
    put(
      input.revenueAccountOf(o.sku),
      { ...base, sku: o.sku, obligation: o.lineId },
      t.revenue.get(o.lineId) ?? [],
      -1,
    );
  put(accounts.deferredRevenue, base, t.deferredRevenue, -1);
  put(accounts.contractAsset, base, t.contractAsset, 1);
  add(out, accounts.exchangeDifference ?? accounts.receivable, base, t.exchangeDifference);
  return out;
}

/**
 * What the contract's balances should be at the end of `through` (debit positive); none for a translated contract
 * whose rates are not all published.
 */
export function targetBalances(input: PrepareInput): Map<string, Balance> {
  const target = targetOrMissing(input);
  return target instanceof Map ? target : new Map<string, Balance>();
}

function targetOrMissing(input: PrepareInput): Map<string, Balance> | MissingRate {
  if (input.fx) return translatedBalances(input, input.fx);
  const { contract, schedule, accounts } = input;
  const end = monthEnd(input.through);
  const base = { legalEntity: contract.legalEntity, contractId: contract.contractId, customerId: contract.customerId };
  const out = new Map<string, Balance>();
  const billing = input.billing.filter((b) => b.date <= end);
  const billed = sumMoney(billing.map((b) => dec(b.amount)));
  const tax = sumMoney(billing.map((b) => dec(b.tax)));
  add(out, accounts.receivable, base, plus(billed, tax));
  add(out, accounts.taxPayable, base, tax.neg());
  // Billed − recognised per presentation group ("0" alone unless the contract has a separate modification).
  const ahead = new Map<string, Dec>();
  const move = (group: string, amount: Dec) => ahead.set(group, plus(ahead.get(group) ?? ZERO, amount));
  move('0', ZERO);
  for (const b of billing) {
    if (b.groups === undefined) move('0', dec(b.amount));
    else for (const [g, amount] of Object.entries(b.groups)) move(g, dec(amount));
  }
  for (const o of schedule.obligations) {
    const r = sumMoney(
      schedule.periods.filter((p) => p.period <= input.through).map((p) => dec(p.lines[o.lineId] ?? '0')),
    );
    move(String(o.group ?? 0), r.neg());
    add(out, input.revenueAccountOf(o.sku), { ...base, sku: o.sku, obligation: o.lineId }, r.neg());
  }
  const positions = [...ahead.values()];
  add(out, accounts.deferredRevenue, base, sumMoney(positions.filter((n) => n.isPositive())).neg());
  add(out, accounts.contractAsset, base, sumMoney(positions.filter((n) => n.isNegative())).neg());
  return out;
}

/** The balances the journals so far have produced (debit positive). */
export function journaledBalances(lines: readonly JournalLine[]): Map<string, Balance> {
  const out = new Map<string, Balance>();
  for (const l of lines) {
    const debit = !dec(l.debit).isZero();
    const fx = l.fx && {
      transaction: debit ? dec(l.fx.amount) : dec(l.fx.amount).neg(),
      rate: { ...l.fx, base: l.fx.currency, quote: '', eventId: l.fx.rateEventId },
    };
    add(out, l.account, l.dimensions, minus(dec(l.debit), dec(l.credit)), fx);
  }
  return out;
}

/** The journal that brings the contract's balances to their target through `through`; null when nothing moves. */
export function prepareJournal(input: PrepareInput): PreparedJournal | null {
  // A translated contract with a rate missing has no target to journal towards (it is blocked FX_RATE_MISSING):
  // journaling towards none would reverse everything journaled so far.
  const target = targetOrMissing(input);
  if (!(target instanceof Map)) return null;
  const { contract } = input;
  const currency = input.fx?.functionalCurrency ?? contract.currency;
  const done = journaledBalances(input.journaled);
  const lines: JournalLine[] = [];
  const keys = [...new Set([...target.keys(), ...done.keys()])].sort();
  for (const key of keys) {
    const t = target.get(key);
    const d = done.get(key);
    const { account, dimensions, fx } = (t ?? d)!;
    const diff = minus(t?.amount ?? ZERO, d?.amount ?? ZERO);
    if (formatMoney(diff, currency) === formatMoney(ZERO, currency)) continue;
    const line: JournalLine = {
      account,
      debit: formatMoney(diff.isPositive() ? diff : ZERO, currency),
      credit: formatMoney(diff.isNegative() ? diff.neg() : ZERO, currency),
      description: `${contract.contractId} through ${input.through}`,
      dimensions,
    };
    if (fx) {
      // The transaction amount on the line's side (debit positive, turned for a credit line).
      const moved = minus(t?.fx?.transaction ?? ZERO, d?.fx?.transaction ?? ZERO);
      line.fx = {
        currency: contract.currency,
        amount: formatMoney(diff.isPositive() ? moved : moved.neg(), contract.currency),
        rate: fx.rate.rate,
        rateType: fx.rate.rateType,
        rateDate: fx.rate.rateDate,
        rateEventId: fx.rate.eventId,
      };
    }
    lines.push(line);
  }
  if (lines.length === 0) return null;
  const end = monthEnd(input.through);
  const movedLines = new Set(lines.map((l) => l.dimensions.obligation).filter((x): x is string => x !== undefined));
  const lineage = input.schedule.lineage.filter((l) => movedLines.has(l.lineId));
  const obligations = new Map(input.schedule.obligations.map((o) => [o.lineId, o]));
  const sourceEventIds = [
    ...new Set([
      ...input.billing.filter((b) => b.date <= end).map((b) => b.eventId),
      ...lineage.flatMap((l) => l.eventIds),
    ]),
  ];
  return {
    contractId: contract.contractId,
    legalEntity: contract.legalEntity,
    currency,
    through: input.through,
    period: input.postIn,
    date: monthEnd(input.postIn),
    lines,
    lineage: {
      sourceEventIds,
      scheduleLines: lineage.map((l) => {
        const target = input.schedule.periods
          .filter((p) => p.period <= input.through)
          .map((p) => dec(p.lines[l.lineId] ?? '0'));
        return {
          lineId: l.lineId,
          sku: obligations.get(l.lineId)?.sku ?? '',
          through: input.through,
          recognisedToDate: formatMoney(sumMoney(target), contract.currency),
          mappingVersion: l.mappingVersion,
        };
      }),
      productMappingVersion: input.schedule.mappingVersion,
      accountMappingVersion: input.accountMappingVersion,
      correlationIds: correlationIdsOf(sourceEventIds, input.correlationIds),
    },
  };
}

/** The correlation ids the events carry, sorted, each once. */
export function correlationIdsOf(eventIds: readonly string[], byEvent?: ReadonlyMap<string, string>): string[] {
  if (!byEvent) return [];
  const ids = new Set<string>();
  for (const id of eventIds) {
    const c = byEvent.get(id);
    if (c !== undefined) ids.add(c);
  }
  return [...ids].sort();
}
