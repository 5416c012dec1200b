// The audit reports (docs/graphql.md): the revenue waterfall, the deferred revenue roll-forward and the billing vs
// revenue vs ERP reconciliation, per legal entity, from the read models (revenue-schedule, posting-status). Amounts of
// different currencies are never added: every report is split by currency.
import type { PostingStatusDoc, RevenueScheduleDoc } from '../../projections/index.js';
import { joinPostingStatus, postingStatus, revenueSchedule } from '../../projections/index.js';
import { postingMappings } from '../posting/index.js';
import type { PostingMappings } from '../posting/index.js';
import type { Dec } from '../revenue/index.js';
import { ZERO, dec, formatMoney, minus, monthsBetween, plus, previousMonth } from '../revenue/index.js';
import { billedToDate, inFunctionalCurrency } from './functional.js';
import type { ReportCurrency } from './functional.js';
import { contractsOf, docsOf } from './support.js';
import type {
  AuditDeps,
  DeferredRevenueRollforward,
  Reconciliation,
  ReconciliationBreak,
  ReconciliationRow,
  RevenueWaterfall,
  RollforwardCurrency,
  RollforwardSection,
  UntranslatedContract,
  WaterfallCurrency,
} from './types.js';

interface ReportDocs {
  basis: ReportCurrency;
  functionalCurrency: string | null;
  docs: RevenueScheduleDoc[];
  untranslated: UntranslatedContract[];
}

/**
 * A legal entity's schedule documents, each in the currency the report speaks (src/audit/functional.ts). `mappings`:
 * the mappings and rates already read, when one report asks for several entities.
 */
export async function schedulesOf(
  deps: AuditDeps,
  legalEntity: string,
  basis: ReportCurrency,
  through: string,
  mappings?: PostingMappings,
): Promise<ReportDocs> {
  const keys = (await contractsOf(deps.read, legalEntity)).map((c) => c.contractId);
  const [found, inForce] = await Promise.all([
    docsOf<RevenueScheduleDoc>(deps.read, revenueSchedule.name, keys),
    mappings ?? postingMappings(deps.store),
  ]);
  const functionalCurrency = inForce.entityCurrencies.get(legalEntity) ?? null;
  const docs = keys.map((k) => found.get(k)).filter((d): d is RevenueScheduleDoc => d !== undefined);
  if (basis === 'transaction' || functionalCurrency === null)
    return { basis, functionalCurrency, docs, untranslated: [] };
  const out: ReportDocs = { basis, functionalCurrency, docs: [], untranslated: [] };
  for (const doc of docs) {
    const converted = inFunctionalCurrency(doc, functionalCurrency, inForce.rates, through);
    if ('doc' in converted) out.docs.push(converted.doc);
    else out.untranslated.push(converted.untranslated);
  }
  return out;
}

/** Most periods a waterfall spans (ten years of months): a wider one is refused, not computed. */
export const MAX_WATERFALL_PERIODS = 120;

const months = (period: string): number => Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7));

/** Why a waterfall from `from` to `to` is refused (naming the argument and the rule), or null when it is not. */
export function waterfallSpanProblem(from: string, to: string): string | null {
  const span = months(to) - months(from) + 1;
  if (span < 1) return 'to: must not come before from';
  if (span > MAX_WATERFALL_PERIODS) return `to: must be within ${MAX_WATERFALL_PERIODS} months of from`;
  return null;
}

/** Revenue recognised per period from `from` to `to` (YYYY-MM, inclusive) by SKU, with totals, per currency. */
export async function revenueWaterfall(
  deps: AuditDeps,
  legalEntity: string,
  from: string,
  to: string,
  basis: ReportCurrency = 'functional',
): Promise<RevenueWaterfall> {
  const periods = monthsBetween(from, to);
  const inRange = new Set(periods);
  type Row = { obligations: Set<string>; amounts: Map<string, Dec> };
  const byCurrency = new Map<string, Map<string, Row>>();
  const { docs, untranslated, functionalCurrency } = await schedulesOf(deps, legalEntity, basis, to);
  for (const doc of docs) {
    const s = doc.schedule;
    if (!s || s.currency === null) continue;
    const skus = byCurrency.get(s.currency) ?? new Map<string, Row>();
    byCurrency.set(s.currency, skus);
    for (const o of s.obligations) {
      for (const p of s.periods) {
        if (!inRange.has(p.period)) continue;
        const amount = dec(p.lines[o.lineId] ?? '0');
        if (amount.isZero()) continue;
        const row: Row = skus.get(o.sku) ?? { obligations: new Set<string>(), amounts: new Map<string, Dec>() };
        skus.set(o.sku, row);
        row.obligations.add(`${doc.contractId}/${o.lineId}`);
        row.amounts.set(p.period, plus(row.amounts.get(p.period) ?? ZERO, amount));
      }
    }
  }
  const currencies: WaterfallCurrency[] = [...byCurrency.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, skus]) => {
      const fmt = (d: Dec) => formatMoney(d, currency);
      const totals = new Map<string, Dec>();
      const rows = [...skus.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([sku, row]) => {
          let total = ZERO;
          const amounts = periods.map((period) => {
            const a = row.amounts.get(period) ?? ZERO;
            total = plus(total, a);
            totals.set(period, plus(totals.get(period) ?? ZERO, a));
            return { period, amount: fmt(a) };
          });
          return { sku, obligations: row.obligations.size, periods: amounts, total: fmt(total) };
        });
      let total = ZERO;
      for (const a of totals.values()) total = plus(total, a);
      return {
        currency,
        rows,
        totals: periods.map((period) => ({ period, amount: fmt(totals.get(period) ?? ZERO) })),
        total: fmt(total),
      };
    });
  return {
    legalEntity,
    from,
    to,
    basis,
    functionalCurrency,
    periods,
    contracts: docs.length,
    currencies,
    untranslated,
  };
}

interface Sums {
  contracts: number;
  dOpen: Dec;
  aOpen: Dec;
  dClose: Dec;
  aClose: Dec;
  billed: Dec;
  recognised: Dec;
  exchangeDifference: Dec;
}

/**
 * Deferred revenue and contract asset of a legal entity rolled forward over one period: opening (the previous period
 * end), billed, recognised, closing. The net position (deferred revenue − contract asset) ties exactly; each side
 * also shows what moved across to the other (`reclassified`), so each ties on its own too.
 */
export async function deferredRevenueRollforward(
  deps: AuditDeps,
  legalEntity: string,
  period: string,
  basis: ReportCurrency = 'functional',
): Promise<DeferredRevenueRollforward> {
  const before = previousMonth(period);
  const sums = new Map<string, Sums>();
  const { docs, untranslated, functionalCurrency } = await schedulesOf(deps, legalEntity, basis, period);
  for (const doc of docs) {
    const currency = doc.schedule?.currency ?? null;
    if (currency === null || doc.balances.length === 0) continue;
    // Balances run from the first month anything moved to the last; before it all is zero, after it nothing moves.
    const at = (p: string) => [...doc.balances].reverse().find((b) => b.period <= p);
    const open = at(before);
    const close = at(period);
    const inPeriod = doc.balances.find((b) => b.period === period);
    const s = sums.get(currency) ?? {
      contracts: 0,
      dOpen: ZERO,
      aOpen: ZERO,
      dClose: ZERO,
      aClose: ZERO,
      billed: ZERO,
      recognised: ZERO,
      exchangeDifference: ZERO,
    };
    sums.set(currency, {
      contracts: s.contracts + 1,
      dOpen: plus(s.dOpen, dec(open?.deferredRevenue ?? '0')),
      aOpen: plus(s.aOpen, dec(open?.contractAsset ?? '0')),
      dClose: plus(s.dClose, dec(close?.deferredRevenue ?? '0')),
      aClose: plus(s.aClose, dec(close?.contractAsset ?? '0')),
      billed: plus(s.billed, dec(inPeriod?.billed ?? '0')),
      recognised: plus(s.recognised, dec(inPeriod?.recognised ?? '0')),
      exchangeDifference: plus(s.exchangeDifference, dec((inPeriod?.exchangeDifference as string | undefined) ?? '0')),
    });
  }
  const currencies: RollforwardCurrency[] = [...sums.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, s]) => {
      // Exchange differences (functional currency only) add to deferred revenue and to the net position what they
      // take from the contract asset: deferred revenue − contract asset = billed − recognised + exchange difference.
      const xd = s.exchangeDifference;
      const section = (
        opening: Dec,
        moved: Dec,
        reclassified: Dec,
        exchangeDifference: Dec,
        closing: Dec,
      ): RollforwardSection => ({
        opening: formatMoney(opening, currency),
        billed: formatMoney(s.billed, currency),
        recognised: formatMoney(s.recognised, currency),
        reclassified: formatMoney(reclassified, currency),
        exchangeDifference: formatMoney(exchangeDifference, currency),
        closing: formatMoney(closing, currency),
        ties: plus(plus(plus(opening, moved), reclassified), exchangeDifference).eq(closing),
      });
      // The contract asset grows with revenue and shrinks with billing.
      const billedLessRecognised = minus(s.billed, s.recognised);
      const recognisedLessBilled = minus(s.recognised, s.billed);
      return {
        currency,
        contracts: s.contracts,
        deferredRevenue: section(s.dOpen, billedLessRecognised, minus(s.aClose, s.aOpen), xd, s.dClose),
        contractAsset: section(s.aOpen, recognisedLessBilled, minus(s.dClose, s.dOpen), xd.neg(), s.aClose),
        net: section(minus(s.dOpen, s.aOpen), billedLessRecognised, ZERO, xd, minus(s.dClose, s.aClose)),
      };
    });
  return { legalEntity, period, basis, functionalCurrency, currencies, untranslated };
}

/**
 * Per contract of a legal entity, through a period: billed vs recognised vs journaled vs posted, with the breaks
 * between them (billing or revenue not journaled yet, journals not posted, a schedule in exception).
 */
export async function reconciliation(deps: AuditDeps, legalEntity: string, period: string): Promise<Reconciliation> {
  const keys = (await contractsOf(deps.read, legalEntity)).map((c) => c.contractId);
  const [posting, schedules, mappings] = await Promise.all([
    docsOf<PostingStatusDoc>(deps.read, postingStatus.name, keys),
    docsOf<RevenueScheduleDoc>(deps.read, revenueSchedule.name, keys),
    postingMappings(deps.store),
  ]);
  const accounts = mappings.entities.get(legalEntity);
  const functionalCurrency = mappings.entityCurrencies.get(legalEntity) ?? null;
  const untranslated: UntranslatedContract[] = [];
  const rows: ReconciliationRow[] = [];
  const byAccount = new Map<string, { account: string; currency: string | null; sums: [Dec, Dec, Dec] }>();
  for (const contractId of keys) {
    // Journals are kept in the functional currency: a contract in another is compared in it, translated.
    let schedule = schedules.get(contractId) ?? null;
    const converted =
      schedule && functionalCurrency
        ? inFunctionalCurrency(schedule, functionalCurrency, mappings.rates, period)
        : null;
    if (converted && 'untranslated' in converted) {
      untranslated.push(converted.untranslated);
      continue;
    }
    const translated = converted !== null && converted.doc !== schedule;
    if (converted) schedule = converted.doc;
    const joined = joinPostingStatus(contractId, posting.get(contractId) ?? null, schedule, { through: period });
    const j =
      translated && schedule && functionalCurrency
        ? { ...joined, currency: functionalCurrency, billed: billedToDate(schedule, period, functionalCurrency) }
        : joined;
    const currency = j.currency;
    for (const [k, amounts] of [j.accounts.journaled, j.accounts.posted, j.accounts.rejected].entries()) {
      for (const [account, amount] of Object.entries(amounts)) {
        const key = `${account}\u0000${currency ?? ''}`;
        const row = byAccount.get(key) ?? { account, currency, sums: [ZERO, ZERO, ZERO] };
        row.sums[k] = plus(row.sums[k]!, dec(amount));
        byAccount.set(key, row);
      }
    }
    const fmt = (d: Dec) => (currency === null ? d.toFixed() : formatMoney(d, currency));
    const billedIn = (a: { [account: string]: string }) =>
      accounts ? plus(dec(a[accounts.receivable] ?? '0'), dec(a[accounts.taxPayable] ?? '0')) : ZERO;
    const journaledBilled = billedIn(j.accounts.journaled);
    const postedBilled = billedIn(j.accounts.posted);
    const rejectedBilled = billedIn(j.accounts.rejected);
    const breaks: ReconciliationBreak[] = [];
    const gap = (code: ReconciliationBreak['code'], a: Dec, b: Dec, message: string) => {
      const d = minus(a, b);
      if (!dec(fmt(d)).isZero()) breaks.push({ code, amount: fmt(d), message });
    };
    if (j.scheduleStatus === 'exception') {
      const codes = [...new Set((schedule?.schedule?.exceptions ?? []).map((x) => x.code))].join(', ');
      breaks.push({
        code: 'SCHEDULE_EXCEPTION',
        amount: fmt(ZERO),
        message: `the revenue schedule is in exception (${codes}); nothing is journaled for it`,
      });
    }
    // A journal the ERP refused is its own break (it awaits a re-preparation), not "never journaled".
    const billedGap = minus(dec(j.billed), plus(journaledBilled, rejectedBilled));
    gap('BILLED_NOT_JOURNALED', billedGap, ZERO, 'billed minus the billing the journals carry');
    if (j.recognised !== null)
      gap(
        'RECOGNISED_NOT_JOURNALED',
        dec(j.recognised),
        plus(dec(j.journaled), dec(j.rejected)),
        'recognised minus journaled revenue',
      );
    if (!dec(j.rejected).isZero() || !rejectedBilled.isZero())
      breaks.push({
        code: 'JOURNAL_REJECTED',
        amount: j.rejected,
        message: `refused by the ERP, awaiting re-preparation: revenue ${j.rejected}, billing ${fmt(rejectedBilled)}`,
      });
    const unpostedRevenue = minus(dec(j.journaled), dec(j.posted));
    const unpostedBilling = minus(journaledBilled, postedBilled);
    if (!dec(fmt(unpostedRevenue)).isZero() || !dec(fmt(unpostedBilling)).isZero()) {
      breaks.push({
        code: 'JOURNALED_NOT_POSTED',
        amount: fmt(unpostedRevenue),
        message: `journaled but not posted: revenue ${fmt(unpostedRevenue)}, billing ${fmt(unpostedBilling)}`,
      });
    }
    const figures = [dec(j.billed), dec(j.recognised ?? '0'), journaledBilled, dec(j.journaled)];
    if (breaks.length === 0 && figures.every((f) => f.isZero())) continue;
    rows.push({
      contractId,
      currency,
      billed: j.billed,
      recognised: j.recognised,
      journaledBilled: fmt(journaledBilled),
      postedBilled: fmt(postedBilled),
      journaled: j.journaled,
      posted: j.posted,
      rejected: j.rejected,
      breaks,
    });
  }
  const accountRows = [...byAccount.values()]
    .sort((a, b) => a.account.localeCompare(b.account) || (a.currency ?? '').localeCompare(b.currency ?? ''))
    .map(({ account, currency, sums }) => {
      const fmt = (d: Dec) => (currency === null ? d.toFixed() : formatMoney(d, currency));
      return { account, currency, journaled: fmt(sums[0]), posted: fmt(sums[1]), rejected: fmt(sums[2]) };
    });
  return {
    legalEntity,
    period,
    contracts: rows,
    accounts: accountRows,
    breaks: rows.filter((r) => r.breaks.length > 0).length,
    untranslated,
  };
}
