// Foreign-currency translation of a contract into its legal entity's functional currency (docs/accounting.md,
// "Foreign currency"; ASC 830-20-30-1, IAS 21.21-22, IFRIC 22). Pure: the rates come in as data.
//
//   billing (receivable, and deferred revenue for what it bills ahead) at the spot rate of the invoice date;
//   revenue released from deferred revenue at the historical rate of the billing it comes from, first billed first
//     released (each billing is a layer; IFRIC 22: an advance is non-monetary and is never retranslated);
//   revenue recognised before billing (contract asset) at the average rate of its period, relieved first recognised
//     first relieved by later billing; the billing's receivable is still at its spot rate, and what the two rates
//     make differ is an exchange difference (IAS 21.28).
//   A credit memo is billing with the sign reversed: it takes back the latest billing first (at that billing's rate),
//   and what it credits beyond the deferred revenue is a contract asset at its own spot rate.
//
// Every functional amount is rounded half up to the functional currency's minor unit when it is made; a layer's
// last release takes the layer's remainder, so a billing's functional amount is released exactly, whatever the
// rounding of each month. The receivable and tax are whole-bill translations; the exchange difference is what makes
// the whole balance, so the translated balances of a contract always balance to the cent.
import type { RateType } from '../../schemas/index.js';
import type { Dec } from './money.js';
import { ZERO, dec, minMoney, minus, plus, translateMoney } from './money.js';
import { addDays, monthEnd, monthOf } from './calendar.js';

/** One published rate: 1 `base` = `rate` `quote` (an `FxRatesPublished` event). */
export interface FxRate {
  base: string;
  quote: string;
  rateType: RateType;
  rateDate: string;
  rate: string;
  eventId: string;
}

/**
 * The spot rate of a date is the latest spot published for a date in the SPOT_LOOKBACK_DAYS days ending on it: rate
 * sources publish none on weekends and bank holidays (the ECB: TARGET2 closing days, four in a row at Easter), so an
 * invoice dated on a Saturday takes Friday's rate. A week is the longest such gap; a rate older than that is missing.
 */
export const SPOT_LOOKBACK_DAYS = 7;

/** A rate translation needs that no publication gives. */
export interface MissingRate {
  base: string;
  quote: string;
  rateType: RateType;
  /** The date (spot) or period (average) it is needed for. */
  needed: string;
  message: string;
}

/**
 * Published rates by pair and type, each type's sorted by date. A pair's rates are only read as published: a rate
 * for USD->EUR is never derived from a EUR->USD one (inverting rounds, and which quote is authoritative is the
 * publisher's call, not ours). Two publications for the same pair, type and date: the later (in log order) stands.
 */
export class RateBook {
  private readonly byKey = new Map<string, FxRate[]>();

  constructor(rates: Iterable<FxRate>) {
    const latest = new Map<string, FxRate>();
    for (const r of rates) latest.set(`${r.base}|${r.quote}|${r.rateType}|${r.rateDate}`, r);
    for (const r of latest.values()) {
      const key = `${r.base}|${r.quote}|${r.rateType}`;
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), r]);
    }
    for (const list of this.byKey.values()) list.sort((a, b) => (a.rateDate < b.rateDate ? -1 : 1));
  }

  /** The spot rate of `date`: the latest spot dated within SPOT_LOOKBACK_DAYS days up to it. */
  spot(base: string, quote: string, date: string): FxRate | MissingRate {
    const from = addDays(date, -(SPOT_LOOKBACK_DAYS - 1));
    const list = this.byKey.get(`${base}|${quote}|spot`) ?? [];
    const found = list.filter((r) => r.rateDate >= from && r.rateDate <= date).at(-1);
    return (
      found ?? {
        base,
        quote,
        rateType: 'spot',
        needed: date,
        message: `no spot rate ${base}/${quote} dated ${from} to ${date} (the spot rate of ${date})`,
      }
    );
  }

  /** The average rate of a period `YYYY-MM`: the average published with a rate date inside it (the latest if several). */
  average(base: string, quote: string, period: string): FxRate | MissingRate {
    return this.ofPeriod(base, quote, 'average', period);
  }

  /**
   * The closing rate of a period `YYYY-MM` (the spot at its end, what balances are translated at in a group view): the
   * closing published with a rate date inside it (the latest if several).
   */
  closing(base: string, quote: string, period: string): FxRate | MissingRate {
    return this.ofPeriod(base, quote, 'closing', period);
  }

  private ofPeriod(base: string, quote: string, rateType: 'average' | 'closing', period: string): FxRate | MissingRate {
    const list = this.byKey.get(`${base}|${quote}|${rateType}`) ?? [];
    const found = list.filter((r) => monthOf(r.rateDate) === period).at(-1);
    return (
      found ?? {
        base,
        quote,
        rateType,
        needed: period,
        message: `no ${rateType} rate ${base}/${quote} dated in ${period} (the ${rateType} rate of ${period})`,
      }
    );
  }
}

export const isMissing = (r: FxRate | MissingRate): r is MissingRate => 'needed' in r;

/** A bill in the transaction currency: an invoice (positive) or a credit memo (negative); amount excludes tax. */
export interface FxBill {
  date: string;
  amount: string;
  tax: string;
  eventId: string;
}

/** Revenue recognised on one obligation in one month, in the transaction currency (negative: reversed). */
export interface FxRecognition {
  period: string;
  lineId: string;
  amount: string;
}

export interface TranslationInput {
  transactionCurrency: string;
  functionalCurrency: string;
  bills: readonly FxBill[];
  recognition: readonly FxRecognition[];
  /** Translate what happened through the end of this month. */
  through: string;
  rates: RateBook;
}

/** An amount in both currencies at one rate (null: several rates, or none, as the exchange difference). */
export interface FxAmount {
  transaction: Dec;
  functional: Dec;
  rate: FxRate | null;
}

/** A contract's balances through `through` in the functional currency, each split by the rate it was made at. */
export interface Translation {
  /** Debit: billed + tax, each bill at its spot rate. */
  receivable: FxAmount[];
  /** Credit: tax, at its bill's spot rate. */
  taxPayable: FxAmount[];
  /** Credit, per obligation: recognised to date, at the rates of the layers it came from. */
  revenue: Map<string, FxAmount[]>;
  /** Credit: billed ahead of revenue, the layers still held, each at its billing's spot rate. */
  deferredRevenue: FxAmount[];
  /** Debit: revenue ahead of billing, at the average rates of the periods it was recognised in. */
  contractAsset: FxAmount[];
  /** Debit: the exchange difference (negative: a gain), functional currency only. */
  exchangeDifference: Dec;
}

/** Billed ahead (deferred revenue) or recognised ahead (contract asset) at one rate, not yet used up. */
interface Layer {
  remaining: Dec;
  functional: Dec;
  rate: FxRate;
}

/** Adds an amount at a rate to a list kept one entry per rate event. */
function accumulate(into: FxAmount[], rate: FxRate, transaction: Dec, functional: Dec): void {
  const found = into.find((x) => x.rate?.eventId === rate.eventId);
  if (found) {
    found.transaction = plus(found.transaction, transaction);
    found.functional = plus(found.functional, functional);
  } else into.push({ transaction, functional, rate });
}

/**
 * Takes up to `amount` (positive) out of the layers, oldest first or newest first: a layer used up gives all its
 * functional remainder, a part of one gives that part at the layer's rate. Returns what it took per layer and the
 * amount it could not find.
 */
function take(
  layers: Layer[],
  amount: Dec,
  from: 'oldest' | 'newest',
  functional: string,
): { taken: FxAmount[]; rest: Dec } {
  const taken: FxAmount[] = [];
  let rest = amount;
  while (rest.gt(ZERO) && layers.length > 0) {
    const layer = from === 'oldest' ? layers[0]! : layers[layers.length - 1]!;
    const part = minMoney(rest, layer.remaining);
    const whole = part.eq(layer.remaining);
    const f = whole ? layer.functional : translateMoney(part, layer.rate.rate, functional);
    accumulate(taken, layer.rate, part, f);
    layer.remaining = minus(layer.remaining, part);
    layer.functional = minus(layer.functional, f);
    if (whole) layers.splice(from === 'oldest' ? 0 : layers.length - 1, 1);
    rest = minus(rest, part);
  }
  return { taken, rest };
}

interface Translating {
  input: TranslationInput;
  deferred: Layer[];
  asset: Layer[];
  out: Translation;
}

const pairOf = (input: TranslationInput): [string, string] => [input.transactionCurrency, input.functionalCurrency];

/** A bill at its date's spot rate: the receivable, and what it bills beyond the contract asset as a new layer. */
function applyBill(t: Translating, bill: FxBill): MissingRate | null {
  const amount = dec(bill.amount);
  const tax = dec(bill.tax);
  if (amount.isZero() && tax.isZero()) return null;
  const rate = t.input.rates.spot(...pairOf(t.input), bill.date);
  if (isMissing(rate)) return rate;
  const currency = t.input.functionalCurrency;
  const functional = translateMoney(amount, rate.rate, currency);
  const functionalTax = translateMoney(tax, rate.rate, currency);
  accumulate(t.out.receivable, rate, plus(amount, tax), plus(functional, functionalTax));
  if (!tax.isZero()) accumulate(t.out.taxPayable, rate, tax, functionalTax);
  if (amount.gt(ZERO)) {
    // An invoice first relieves the contract asset (at its carrying amount), then bills ahead.
    const { rest } = take(t.asset, amount, 'oldest', currency);
    const layer = rest.eq(amount) ? functional : translateMoney(rest, rate.rate, currency);
    if (rest.gt(ZERO)) t.deferred.push({ remaining: rest, functional: layer, rate });
  } else if (amount.lt(ZERO)) {
    // A credit memo takes back the latest billing first; beyond the deferred revenue it is a contract asset.
    const { rest } = take(t.deferred, amount.neg(), 'newest', currency);
    if (rest.gt(ZERO)) t.asset.push({ remaining: rest, functional: translateMoney(rest, rate.rate, currency), rate });
  }
  return null;
}

/** Revenue of one obligation in one month: released from billing layers first, the rest at the period's average. */
function applyRecognition(t: Translating, r: FxRecognition): MissingRate | null {
  const amount = dec(r.amount);
  if (amount.isZero()) return null;
  const currency = t.input.functionalCurrency;
  const revenue = t.out.revenue.get(r.lineId) ?? [];
  t.out.revenue.set(r.lineId, revenue);
  const forward = amount.gt(ZERO);
  // Recognition releases the oldest billing; a reversal takes back the newest revenue recognised ahead of billing.
  const { taken, rest } = forward
    ? take(t.deferred, amount, 'oldest', currency)
    : take(t.asset, amount.neg(), 'newest', currency);
  const sign = (x: Dec) => (forward ? x : x.neg());
  for (const x of taken) accumulate(revenue, x.rate!, sign(x.transaction), sign(x.functional));
  if (!rest.gt(ZERO)) return null;
  const rate = t.input.rates.average(...pairOf(t.input), r.period);
  if (isMissing(rate)) return rate;
  const functional = translateMoney(rest, rate.rate, currency);
  accumulate(revenue, rate, sign(rest), sign(functional));
  // Revenue ahead of billing is a contract asset; a reversal beyond it is billed-ahead again, released first.
  if (forward) t.asset.push({ remaining: rest, functional, rate });
  else t.deferred.unshift({ remaining: rest, functional, rate });
  return null;
}

const total = (amounts: readonly FxAmount[]): Dec => amounts.reduce((s, x) => plus(s, x.functional), ZERO);

function layersOf(layers: readonly Layer[]): FxAmount[] {
  const out: FxAmount[] = [];
  for (const l of layers) accumulate(out, l.rate, l.remaining, l.functional);
  return out;
}

/**
 * A contract's balances through `input.through`, translated; or the first rate it needs that is not published (in
 * the order the facts happened), so a missing rate blocks the translation instead of falling back to another one.
 * Within a month its billing comes before its recognition (an invoice dated in a month bills that month's service).
 */
export function translate(input: TranslationInput): { translation: Translation } | { missing: MissingRate } {
  const end = monthEnd(input.through);
  type Step = { at: string; bill?: FxBill; recognition?: FxRecognition };
  const steps: Step[] = [
    ...input.bills.filter((b) => b.date <= end).map((bill) => ({ at: bill.date, bill })),
    ...input.recognition
      .filter((r) => r.period <= input.through)
      .map((recognition) => ({ at: `${monthEnd(recognition.period)}~${recognition.lineId}`, recognition })),
  ];
  steps.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const out: Translation = {
    receivable: [],
    taxPayable: [],
    revenue: new Map(),
    deferredRevenue: [],
    contractAsset: [],
    exchangeDifference: ZERO,
  };
  const t: Translating = { input, deferred: [], asset: [], out };
  for (const step of steps) {
    const missing = step.bill ? applyBill(t, step.bill) : applyRecognition(t, step.recognition!);
    if (missing) return { missing };
  }
  out.deferredRevenue = layersOf(t.deferred);
  out.contractAsset = layersOf(t.asset);
  const credits = plus(
    plus(total(out.taxPayable), total(out.deferredRevenue)),
    total([...out.revenue.values()].flat()),
  );
  out.exchangeDifference = minus(credits, plus(total(out.receivable), total(out.contractAsset)));
  return { translation: out };
}
