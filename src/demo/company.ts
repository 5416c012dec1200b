// Synthetic SaaS company: a deterministic stream of canonical inbound events (docs/http.md, "Inbound events") for a
// company selling bundled subscription contracts, in the order a ledger would receive them. Owns the product
// catalogue those events use (publishable as the product mapping), the contract scenarios and their rates, the
// delivery-order noise (duplicates, out-of-order amendments) and a summary of any event stream.
//
// Pure: no clock, no Math.random. Every draw comes from a PRNG seeded by (seed, contract index, stream), so the same
// seed and options give byte-identical output, and one contract's events never depend on how others interleave.
//
// Streaming: a contract is planned when its booking is due and dropped after its last event; events are merged
// across contracts with a heap keyed by delivery time. Memory follows the contracts open at once, not the total.
import { Decimal } from 'decimal.js';
import { isVersionEvent } from '../../commands/versions.js';
import { InboundTypes, idempotencyKey, minorUnits } from '../../schemas/index.js';
import type { InboundEvent, InboundOf, InboundType, Line, Treatment } from '../../schemas/index.js';

// ---------------------------------------------------------------------------------------------------------------
// Options and rates

export type GeneratedCurrency = 'USD' | 'EUR' | 'JPY' | 'BHD';

/** Probabilities of each scenario. Per contract, except duplicateDelivery (per delivered event). */
export interface Rates {
  /** A multi-year deal priced in yearly steps, each step its own subscription line. */
  rampDeal: number;
  /** An amendment raising the subscription's seats from an effective date (treatment auto or prospective). */
  midTermUpgrade: number;
  /** An amendment adding an add-on line co-terminous with the subscription, priced at SSP (treatment separate). */
  coTermAddOn: number;
  /** An amendment adding next-term lines before the term ends. Never on a cancelled contract. */
  renewal: number;
  /** ContractCancelled effective mid-term; nothing follows it but a final credit memo. */
  cancellation: number;
  /** A billing-dispute credit memo against an issued invoice. */
  creditMemo: number;
  /** An SLA service credit approved in the support desk. */
  serviceCredit: number;
  /** Each delivered event is delivered again later, identical (at-least-once webhooks). */
  duplicateDelivery: number;
  /** Amendment vN delivered before vN-1 (two amendments signed minutes apart, webhooks racing). */
  outOfOrderAmendment: number;
  /** Relative weights of contract currencies (and so legal entities). */
  currencyMix: Readonly<Record<GeneratedCurrency, number>>;
  /**
   * A USD contract sold by DE01, whose books are in EUR: translated with the published rates (generateRates). Zero
   * by default, so that a company generated without it is what it always was.
   */
  crossBorder: number;
}

export const DEFAULT_RATES: Readonly<Rates> = Object.freeze({
  rampDeal: 0.15,
  midTermUpgrade: 0.2,
  coTermAddOn: 0.15,
  renewal: 0.2,
  cancellation: 0.05,
  creditMemo: 0.05,
  serviceCredit: 0.05,
  duplicateDelivery: 0.03,
  outOfOrderAmendment: 0.05,
  currencyMix: Object.freeze({ USD: 0.75, EUR: 0.17, JPY: 0.05, BHD: 0.03 }),
  crossBorder: 0,
});

export interface GenerateOptions {
  /** How many contracts to book. */
  contracts: number;
  /** Any safe integer; the whole output is a function of it and the other options. */
  seed: number;
  /** First booking day, YYYY-MM-DD (default 2026-01-01). */
  startDate?: string;
  /** Bookings spread evenly over this many months from startDate (default 12). */
  bookingMonths?: number;
  rates?: Partial<Rates>;
}

// ---------------------------------------------------------------------------------------------------------------
// Catalogue: one product-mapping entry per SKU (schemas/mapping.ts ProductMapping)

export interface CatalogueEntry {
  sku: string;
  pattern: 'ratable' | 'point_in_time' | 'milestone' | 'usage';
  /** Standalone selling price per unit in USD. Ratable SKUs: per unit per 12 months. */
  ssp: string;
  convention?: 'daily' | 'monthly';
  trigger?: 'activation' | 'service_start';
  accounts: { revenue: string; deferredRevenue: string; receivable: string; contractAsset: string };
  dimensions: { productLine: string };
}

const accounts = (revenue: string) => ({ revenue, deferredRevenue: '2400', receivable: '1100', contractAsset: '1300' });

export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  { sku: 'PLAT-STD', pattern: 'ratable', ssp: '1200.00', convention: 'monthly', accounts: accounts('4000'), dimensions: { productLine: 'platform' } },
  { sku: 'PLAT-PRO', pattern: 'ratable', ssp: '2400.00', convention: 'monthly', accounts: accounts('4000'), dimensions: { productLine: 'platform' } },
  { sku: 'PLAT-ENT', pattern: 'ratable', ssp: '4800.00', convention: 'daily', accounts: accounts('4000'), dimensions: { productLine: 'platform' } },
  { sku: 'ADDON-SSO', pattern: 'ratable', ssp: '600.00', convention: 'daily', accounts: accounts('4010'), dimensions: { productLine: 'addons' } },
  { sku: 'ADDON-ANALYTICS', pattern: 'ratable', ssp: '9000.00', convention: 'monthly', accounts: accounts('4010'), dimensions: { productLine: 'addons' } },
  { sku: 'SUP-STD', pattern: 'ratable', ssp: '3000.00', convention: 'monthly', accounts: accounts('4100'), dimensions: { productLine: 'support' } },
  { sku: 'SUP-PREM', pattern: 'ratable', ssp: '12000.00', convention: 'daily', accounts: accounts('4100'), dimensions: { productLine: 'support' } },
  { sku: 'ONB-STD', pattern: 'milestone', ssp: '5000.00', accounts: accounts('4200'), dimensions: { productLine: 'services' } },
  { sku: 'ONB-ENT', pattern: 'milestone', ssp: '20000.00', accounts: accounts('4200'), dimensions: { productLine: 'services' } },
  { sku: 'TRAIN-DAY', pattern: 'point_in_time', ssp: '2000.00', trigger: 'activation', accounts: accounts('4200'), dimensions: { productLine: 'services' } },
  { sku: 'API-CALLS', pattern: 'usage', ssp: '0.00', accounts: accounts('4300'), dimensions: { productLine: 'usage' } },
] satisfies CatalogueEntry[]); // prettier-ignore

/** Rated price of API-CALLS, per unit of 1,000 calls, in USD: variable consideration, so not an SSP. */
const USAGE_PRICE_USD = '0.50';

// ---------------------------------------------------------------------------------------------------------------
// Seeded randomness: sfc32 seeded through an integer hash, one independent stream per (seed, contract, purpose)

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

function hash32(words: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) h = mix32((h ^ mix32((w + 0x7f4a7c15) >>> 0)) >>> 0);
  return h;
}

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(words: readonly number[]) {
    this.a = hash32([...words, 1]);
    this.b = hash32([...words, 2]);
    this.c = hash32([...words, 3]);
    for (let i = 0; i < 12; i++) this.uint32(); // sfc32's advice: discard the first outputs
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Integer in [lo, hi], log-uniform: deal sizes are spread over orders of magnitude. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.round(lo * Math.pow(hi / lo, this.next())));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return at(xs, Math.floor(this.next() * xs.length));
  }

  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of entries) {
      if (x < w) return v;
      x -= w;
    }
    return at(entries, entries.length - 1)[0];
  }
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new RangeError(`index ${i} outside a list of ${xs.length}`);
  return x;
}

/** Stream tags: each purpose draws from its own sequence, so adding draws to one never shifts another. */
const STREAM_BOOKING = 1;
const STREAM_PLAN = 2;
const STREAM_DELIVERY = 3;
const STREAM_BILLING = 4;
const STREAM_USAGE = 5;
/** Its own stream, so that a company with cross-border sales differs from one without only in those entities. */
const STREAM_CROSS_BORDER = 6;

// ---------------------------------------------------------------------------------------------------------------
// Calendar: days since 1970-01-01 (UTC) and epoch milliseconds; Date is used as a calendar only, never as a clock

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function dayOf(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${iso}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  if (isoDay(t / DAY) !== iso) throw new RangeError(`not a calendar date: ${iso}`);
  return t / DAY;
}

/** Day strings are asked for millions of times over a few thousand distinct days: memoised. */
const isoDays = new Map<number, string>();
function isoDay(day: number): string {
  let s = isoDays.get(day);
  if (s === undefined) {
    s = new Date(day * DAY).toISOString().slice(0, 10);
    if (isoDays.size < 100_000) isoDays.set(day, s);
  }
  return s;
}

function isoMonth(day: number): string {
  return isoDay(day).slice(0, 7);
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** ISO 8601 UTC to the second, as sources send it: 2026-01-15T10:00:00Z. */
function timestamp(ms: number): string {
  const day = Math.floor(ms / DAY);
  const secs = Math.floor((ms - day * DAY) / 1000);
  return `${isoDay(day)}T${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}Z`;
}

/** The same day-of-month k months on, clamped to the month's end (Jan 31 + 1 month = Feb 28). */
function addMonths(day: number, k: number): number {
  const d = new Date(day * DAY);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + k;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last)) / DAY;
}

function monthStart(day: number): number {
  const d = new Date(day * DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY;
}

/** A time on `day` between the hours given (UTC), to the second. */
function timeOn(day: number, fromHour: number, toHour: number, rng: Rng): number {
  return day * DAY + fromHour * HOUR + rng.int(0, (toHour - fromHour) * 3600 - 1) * 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Money: decimal.js only, rounded half-up to the currency's minor unit (docs/accounting.md)

const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
const ZERO = new Dec(0);

/** Indicative USD -> currency rates for list prices; a price book, not a revaluation rate. */
const FX: Readonly<Record<GeneratedCurrency, Decimal>> = {
  USD: new Dec(1),
  EUR: new Dec('0.92'),
  JPY: new Dec(150),
  BHD: new Dec('0.376'),
};

const LEGAL_ENTITY: Readonly<Record<GeneratedCurrency, string>> = {
  USD: 'US01',
  EUR: 'DE01',
  JPY: 'JP01',
  BHD: 'BH01',
};

/** The entity that sells USD contracts across the border (rates.crossBorder): its books are in EUR. */
const CROSS_BORDER_ENTITY = 'DE01';

function round(d: Decimal, currency: string): Decimal {
  return d.toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_UP);
}

function money(d: Decimal, currency: string): string {
  return d.toFixed(minorUnits(currency), Decimal.ROUND_HALF_UP);
}

function minorUnit(currency: string): Decimal {
  return new Dec(1).div(new Dec(10).pow(minorUnits(currency)));
}

const SKU = new Map(CATALOGUE.map((e) => [e.sku, e]));

function catalogue(sku: string): CatalogueEntry {
  const e = SKU.get(sku);
  if (!e) throw new Error(`SKU ${sku} is not in the catalogue`);
  return e;
}

/** A SKU's list price per unit in the contract currency (per 12 months for ratable SKUs). */
function listPrice(sku: string, currency: GeneratedCurrency): Decimal {
  return round(new Dec(catalogue(sku).ssp).mul(FX[currency]), currency);
}

// ---------------------------------------------------------------------------------------------------------------
// Resolved configuration

interface Config {
  contracts: number;
  seedLo: number;
  seedHi: number;
  startDay: number;
  windowMs: number;
  rates: Rates;
  currencies: readonly (readonly [GeneratedCurrency, number])[];
}

function resolve(options: GenerateOptions): Config {
  const { contracts, seed } = options;
  if (!Number.isSafeInteger(contracts) || contracts < 0) throw new RangeError('contracts must be an integer >= 0');
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be a safe integer');
  const bookingMonths = options.bookingMonths ?? 12;
  if (!Number.isSafeInteger(bookingMonths) || bookingMonths < 1) throw new RangeError('bookingMonths must be >= 1');
  const startDay = dayOf(options.startDate ?? '2026-01-01');
  const rates: Rates = { ...DEFAULT_RATES, ...options.rates };
  for (const [name, p] of Object.entries(rates)) {
    if (name !== 'currencyMix' && !(typeof p === 'number' && p >= 0 && p <= 1))
      throw new RangeError(`rates.${name} must be a probability in [0, 1]`);
  }
  const currencies = (Object.keys(FX) as GeneratedCurrency[]).map((c) => [c, rates.currencyMix[c] ?? 0] as const);
  if (currencies.some(([, w]) => !(w >= 0)) || !currencies.some(([, w]) => w > 0))
    throw new RangeError('rates.currencyMix needs non-negative weights, at least one positive');
  return {
    contracts,
    seedLo: seed >>> 0,
    seedHi: Math.floor(seed / 4294967296) >>> 0,
    startDay,
    windowMs: (addMonths(startDay, bookingMonths) - startDay) * DAY,
    rates,
    currencies,
  };
}

/**
 * Booking time of contract `index`: an even spread over the booking window with jitter inside each slot, so
 * booking times rise with the index (contracts can be opened lazily, in order), squeezed into 08:00-18:00 UTC.
 */
function bookingTime(cfg: Config, index: number): number {
  const u = new Rng([cfg.seedLo, cfg.seedHi, index, STREAM_BOOKING]).next();
  const t = Math.floor((cfg.windowMs * (index + u)) / cfg.contracts);
  const day = cfg.startDay + Math.floor(t / DAY);
  return day * DAY + 8 * HOUR + Math.floor(((t % DAY) / DAY) * 10 * 3600) * 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Contract plan: lines, versions and a time-ordered list of what will happen, decided when the contract is booked

type Role = 'subscription' | 'support' | 'onboarding' | 'training' | 'usage' | 'addon';

/** A slice of a line's price billed evenly over contract months [from, to); from === to means billed up front. */
interface Component {
  amount: Decimal;
  from: number;
  to: number;
  /** When the version that added it was signed: invoices before that do not know it. */
  signedAt: number;
}

interface PlanLine {
  lineId: string;
  sku: string;
  role: Role;
  quantity: number;
  amount: Decimal;
  /** Contract months [from, to) the line serves, counted from the subscription's serviceStart. */
  from?: number;
  to?: number;
  /** Per-unit price per 12 months after discount (ratable lines): upgrades and renewals price from it. */
  unit?: Decimal;
  ssp?: string;
  components: Component[];
}

type Item =
  | { kind: 'event'; at: number; key: number; event: InboundEvent }
  | { kind: 'usage'; at: number; key: number; lineId: string; start: number; end: number; quantity: number }
  | { kind: 'usageInvoice'; at: number; key: number; lineId: string; amount: Decimal }
  | { kind: 'invoice'; at: number; key: number; month: number; through: number }
  | { kind: 'creditMemo'; at: number; key: number; month: number; pick: number; pct: Decimal; reduces: boolean }
  | { kind: 'finalCredit'; at: number; key: number; month: number };

interface ContractPlan {
  index: number;
  num: string;
  contractId: string;
  currency: GeneratedCurrency;
  taxRate: Decimal | null;
  /** Price per unit of usage in the contract currency, unrounded: amounts are rounded once, per period. */
  usagePrice: Decimal;
  startDay: number;
  bookingAt: number;
  /** Effective date of a cancellation; Infinity when the contract runs its course. */
  cancelDay: number;
  /** Every line of every version, in lineId order. */
  lines: PlanLine[];
  /** The few one-off items (versions, fulfilment, credits), sorted by key; `at` is when it happened at the source. */
  items: Item[];
  usage: UsagePlan;
  billing: BillingPlan;
  /** The billing point whose invoice a dispute credit memo will reference. */
  disputeMonth: number | undefined;
}

interface UsagePlan {
  lines: { lineId: string; from: number; to: number }[];
  /** Typical thousands of API calls a month, and monthly growth factor. */
  volume: number;
  growth: number;
}

interface BillingPlan {
  /** Contract months on which an invoice is due, ascending. */
  points: number[];
  annual: boolean;
  /** Signing time of the amendment effective on a month, so its catch-up invoice follows it. */
  signedAtMonth: Map<number, number>;
}

const MILESTONE_PLANS: readonly (readonly [string, string][])[] = [
  [
    ['kickoff', '0.5'],
    ['go-live', '0.5'],
  ],
  [
    ['design', '0.3'],
    ['build', '0.4'],
    ['go-live', '0.3'],
  ],
  [
    ['kickoff', '0.25'],
    ['configuration', '0.25'],
    ['integration', '0.25'],
    ['go-live', '0.25'],
  ],
  [['go-live', '1']],
];

const SERVICE_CREDIT_REASONS = [
  'SLA breach: monthly availability below 99.9%',
  'SLA breach: priority-1 response time exceeded',
  'Incident: degraded API latency',
  'Goodwill credit: delayed onboarding',
];

/** P(A | not B) that keeps P(A) at `p` when A is impossible (or forced) on a share `1 - q` of contracts. */
function conditional(p: number, q: number): number {
  return q <= 0 ? 0 : Math.min(1, Math.max(0, p / q));
}

function planContract(cfg: Config, index: number): ContractPlan {
  const rng = new Rng([cfg.seedLo, cfg.seedHi, index, STREAM_PLAN]);
  const r = cfg.rates;
  const num = String(index + 1).padStart(6, '0');
  const contractId = `C-${num}`;
  const bookingAt = bookingTime(cfg, index);
  const bookingDay = Math.floor(bookingAt / DAY);
  const currency = rng.weighted(cfg.currencies);
  const crossBorder =
    currency === 'USD' &&
    r.crossBorder > 0 &&
    new Rng([cfg.seedLo, cfg.seedHi, index, STREAM_CROSS_BORDER]).chance(r.crossBorder);
  const customer = index > 0 && rng.chance(0.15) ? rng.int(1, index) : index + 1; // some customers buy twice
  const taxRate =
    currency === 'USD' ? (rng.chance(0.4) ? new Dec('0.0725') : null) : new Dec(currency === 'EUR' ? '0.19' : '0.10');

  // Subscriptions start on the 1st after booking, or within days of it (mid-month starts exercise conventions).
  const startDay = rng.chance(0.6) ? addMonths(monthStart(bookingDay), 1) : bookingDay + rng.int(0, 10);
  const ramp = rng.chance(r.rampDeal);
  const term = ramp ? rng.weighted([[24, 0.4], [36, 0.6]] as const) : rng.weighted([[12, 0.55], [24, 0.25], [36, 0.2]] as const); // prettier-ignore
  const billing = rng.chance(0.55) ? 'annual' : 'monthly';

  // Scenario flags. Cancelled contracts are never renewed; an out-of-order contract is modelled as an upgrade and
  // an add-on signed minutes apart, so the other draws are conditioned to keep each marginal at its rate.
  const cancel = rng.chance(r.cancellation);
  const renew = !cancel && rng.chance(conditional(r.renewal, 1 - r.cancellation));
  const ooo = rng.chance(r.outOfOrderAmendment);
  const upgrade = ooo || rng.chance(conditional(r.midTermUpgrade - r.outOfOrderAmendment, 1 - r.outOfOrderAmendment));
  const addOn = ooo || rng.chance(conditional(r.coTermAddOn - r.outOfOrderAmendment, 1 - r.outOfOrderAmendment));
  const disputed = rng.chance(r.creditMemo);
  const slaCredit = rng.chance(r.serviceCredit);

  const lines: PlanLine[] = [];
  const items: Item[] = [];
  const addLine = (l: Omit<PlanLine, 'lineId' | 'components' | 'ssp'>, signedAt: number): PlanLine => {
    // Every field written, in one order: thousands of open contracts then share one hidden class for their lines.
    const line: PlanLine = {
      lineId: `L${lines.length + 1}`,
      sku: l.sku,
      role: l.role,
      quantity: l.quantity,
      amount: l.amount,
      from: l.from,
      to: l.to,
      unit: l.unit,
      ssp: undefined,
      components: [],
    };
    line.ssp = sspOverride(line, currency);
    if (line.amount.gt(0)) line.components.push({ amount: line.amount, from: l.from ?? 0, to: l.to ?? 0, signedAt });
    lines.push(line);
    return line;
  };
  const annual = (unit: Decimal, quantity: number, months: number) =>
    round(unit.mul(quantity).mul(months).div(12), currency);

  // The bundle at booking.
  const discount = new Dec(1).minus(rng.pick(['0', '0.05', '0.1', '0.15', '0.2', '0.25']));
  const platform = rng.weighted([['PLAT-STD', 0.5], ['PLAT-PRO', 0.35], ['PLAT-ENT', 0.15]] as const); // prettier-ignore
  const seats =
    platform === 'PLAT-ENT' ? rng.logInt(50, 1000) : platform === 'PLAT-PRO' ? rng.logInt(10, 300) : rng.logInt(5, 100);
  const unit = round(listPrice(platform, currency).mul(discount), currency);
  if (ramp) {
    // Ramp deal (ASC 606-10-32-28: one contract, prices allocated by relative SSP): the price rises each year,
    // each year its own line over consecutive service periods, so the engine spreads the discount across steps.
    const steps = rng.pick(term === 24 ? [['0.85', '1'], ['0.9', '1']] : [['0.7', '0.85', '1'], ['0.8', '0.9', '1']]); // prettier-ignore
    steps.forEach((f, k) => {
      const stepUnit = round(unit.mul(f), currency);
      const from = 12 * k;
      addLine({ sku: platform, role: 'subscription', quantity: seats, amount: annual(stepUnit, seats, 12), from, to: from + 12, unit: stepUnit }, bookingAt); // prettier-ignore
    });
  } else {
    addLine({ sku: platform, role: 'subscription', quantity: seats, amount: annual(unit, seats, term), from: 0, to: term, unit }, bookingAt); // prettier-ignore
  }
  const serviceDiscount = new Dec(1).minus(rng.pick(['0', '0', '0.1']));
  if (rng.chance(0.55)) {
    const sku = platform === 'PLAT-ENT' || (platform === 'PLAT-PRO' && rng.chance(0.3)) ? 'ONB-ENT' : 'ONB-STD';
    addLine({ sku, role: 'onboarding', quantity: 1, amount: round(listPrice(sku, currency).mul(serviceDiscount), currency) }, bookingAt); // prettier-ignore
  }
  if (rng.chance(0.7)) {
    const sku = rng.chance(0.7) ? 'SUP-STD' : 'SUP-PREM';
    const supportUnit = round(listPrice(sku, currency).mul(discount), currency);
    addLine({ sku, role: 'support', quantity: 1, amount: annual(supportUnit, 1, term), from: 0, to: term, unit: supportUnit }, bookingAt); // prettier-ignore
  }
  if (rng.chance(0.25)) {
    const days = rng.int(1, 5);
    addLine({ sku: 'TRAIN-DAY', role: 'training', quantity: days, amount: round(listPrice('TRAIN-DAY', currency).mul(days).mul(serviceDiscount), currency) }, bookingAt); // prettier-ignore
  }
  if (rng.chance(0.45)) {
    addLine({ sku: 'API-CALLS', role: 'usage', quantity: 0, amount: ZERO, from: 0, to: term }, bookingAt);
  }

  const source = (version: number) => ({ system: 'salesforce', id: `8005g0000${num}`, version });
  const snapshot = () => lines.map((l) => eventLine(l, startDay, currency));
  const pushEvent = (event: InboundEvent, atMs: number) => items.push({ kind: 'event', at: atMs, key: atMs, event });
  const booked: InboundOf<'ContractBooked'> = {
    type: 'ContractBooked',
    contractId,
    source: source(1),
    occurredAt: timestamp(bookingAt),
    correlationId: `Q-${num}-1`,
    data: {
      version: 1,
      customerId: `CUST-${String(customer).padStart(6, '0')}`,
      legalEntity: crossBorder ? CROSS_BORDER_ENTITY : LEGAL_ENTITY[currency],
      currency,
      bookingDate: isoDay(bookingDay),
      lines: snapshot(),
    },
  };
  pushEvent(booked, bookingAt);

  // Mid-term amendments, effective on a monthly anniversary of the start, before any cancellation and at least a
  // quarter before a renewal is signed.
  const cancelMonth = cancel ? rng.int(2, term - 1) : undefined;
  const lastAmendable = cancelMonth !== undefined ? cancelMonth - 1 : term - 3;
  const amendments: { kind: 'upgrade' | 'addOn'; month: number }[] = [];
  if (ooo) {
    const month = rng.int(1, lastAmendable);
    amendments.push({ kind: 'upgrade', month }, { kind: 'addOn', month });
  } else {
    if (upgrade) amendments.push({ kind: 'upgrade', month: rng.int(1, lastAmendable) });
    if (addOn) amendments.push({ kind: 'addOn', month: rng.int(1, lastAmendable) });
    amendments.sort((a, b) => a.month - b.month);
  }

  let version = 1;
  let lastSigned = bookingAt;
  const signedAtMonth = new Map<number, number>();
  /** Signed during business hours on `day`, and after the previous version: versions follow signing order. */
  const sign = (day: number): number => {
    let t = timeOn(day, 9, 18, rng);
    if (t <= lastSigned + HOUR) t = lastSigned + rng.int(60, 240) * MINUTE;
    lastSigned = t;
    return t;
  };
  let oooFirst: Item | undefined;
  for (const [i, a] of amendments.entries()) {
    const effectiveDay = addMonths(startDay, a.month);
    // The second of an out-of-order pair is signed minutes after the first (a quote corrected the same session).
    const signedAt = ooo && i === 1 ? (lastSigned += rng.int(2, 30) * MINUTE) : sign(effectiveDay - rng.int(1, 20));
    signedAtMonth.set(a.month, signedAt);
    let treatment: Treatment;
    if (a.kind === 'upgrade') {
      // More seats from the effective date, at the customer's discounted price: not at SSP, so prospective
      // (ASC 606-10-25-13a) whether the source says so or leaves it to the engine ('auto').
      treatment = rng.pick(['auto', 'prospective'] as const);
      const subs = lines.filter((l) => l.role === 'subscription' && (l.to ?? 0) > a.month);
      const added = Math.max(1, Math.round(at(subs, 0).quantity * (0.1 + 0.4 * rng.next())));
      for (const l of subs) {
        const from = Math.max(a.month, l.from ?? 0);
        const to = l.to ?? 0;
        const inc = annual(l.unit ?? ZERO, added, to - from);
        l.quantity += added;
        l.amount = l.amount.plus(inc);
        l.components.push({ amount: inc, from, to, signedAt });
      }
    } else {
      // Co-terminous add-on priced at its SSP for the remaining term: a separate contract (ASC 606-10-25-12).
      treatment = 'separate';
      const sku = rng.chance(0.6) ? 'ADDON-SSO' : 'ADDON-ANALYTICS';
      const quantity = sku === 'ADDON-SSO' ? rng.int(1, at(lines, 0).quantity) : 1;
      const termPrice = sspFor(sku, currency, term - a.month);
      addLine({ sku, role: 'addon', quantity, amount: termPrice.mul(quantity), from: a.month, to: term, unit: listPrice(sku, currency) }, signedAt); // prettier-ignore
    }
    version++;
    const event: InboundOf<'ContractAmended'> = {
      type: 'ContractAmended',
      contractId,
      source: source(version),
      occurredAt: timestamp(signedAt),
      correlationId: `Q-${num}-${version}`,
      data: { version, effectiveDate: isoDay(effectiveDay), lines: snapshot(), treatment },
    };
    if (ooo && i === 0) {
      oooFirst = { kind: 'event', at: signedAt, key: signedAt, event };
      items.push(oooFirst);
    } else {
      pushEvent(event, signedAt);
    }
    // vN-1 arrives minutes after vN: the ledger must hold vN until the gap fills.
    if (ooo && i === 1 && oooFirst) oooFirst.key = signedAt + rng.int(1, 10) * MINUTE;
  }

  // Renewal: modelled as an amendment of the same contract (as CPQ renewal quotes often are) that adds next-term
  // lines for every recurring line running to the end, priced from this term with an uplift. A new term at the
  // renewal price is a distinct set of services: a separate contract (ASC 606-10-25-12).
  let months = term;
  if (renew) {
    const renewalDay = addMonths(startDay, term);
    const signedAt = sign(renewalDay - rng.int(10, 45));
    const uplift = new Dec(1).plus(rng.pick(['0', '0.03', '0.05', '0.07']));
    for (const l of lines.filter((x) => x.to === term && x.role !== 'onboarding' && x.role !== 'training')) {
      const renewedUnit = l.role === 'usage' ? undefined : round((l.unit ?? ZERO).mul(uplift), currency);
      addLine(
        {
          sku: l.sku,
          role: l.role,
          quantity: l.quantity,
          amount: renewedUnit ? annual(renewedUnit, l.quantity, 12) : ZERO,
          from: term,
          to: term + 12,
          unit: renewedUnit,
        },
        signedAt,
      );
    }
    months = term + 12;
    version++;
    pushEvent(
      {
        type: 'ContractAmended',
        contractId,
        source: source(version),
        occurredAt: timestamp(signedAt),
        correlationId: `Q-${num}-${version}`,
        data: { version, effectiveDate: isoDay(renewalDay), lines: snapshot(), treatment: 'separate' },
      },
      signedAt,
    );
  }

  // Cancellation: notice up to 25 days before a mid-term effective date.
  const cancelDay = cancelMonth === undefined ? Infinity : addMonths(startDay, cancelMonth);
  if (cancelMonth !== undefined) {
    const noticeAt = sign(cancelDay - rng.int(0, 25));
    version++;
    pushEvent(
      {
        type: 'ContractCancelled',
        contractId,
        source: source(version),
        occurredAt: timestamp(noticeAt),
        data: { version, effectiveDate: isoDay(cancelDay) },
      },
      noticeAt,
    );
  }

  // Fulfilment: training delivered (point in time, on activation), onboarding milestones (fractions sum to 1).
  for (const l of lines) {
    if (l.role === 'training') {
      const day = startDay + rng.int(5, 75);
      if (day >= cancelDay) continue;
      const t = timeOn(day, 12, 18, rng);
      pushEvent(
        {
          type: 'ServiceActivated',
          contractId,
          source: { system: 'fulfilment', id: `act_${num}_${l.lineId}`, version: 1 },
          occurredAt: timestamp(t),
          data: { lineId: l.lineId, activatedOn: isoDay(day) },
        },
        t,
      );
    } else if (l.role === 'onboarding') {
      let day = startDay + rng.int(10, 45);
      for (const [milestoneId, fraction] of rng.pick(MILESTONE_PLANS)) {
        if (day >= cancelDay) break;
        const t = timeOn(day, 12, 18, rng);
        pushEvent(
          {
            type: 'MilestoneCompleted',
            contractId,
            source: { system: 'fulfilment', id: `ms_${num}_${l.lineId}_${milestoneId}`, version: 1 },
            occurredAt: timestamp(t),
            data: { lineId: l.lineId, milestoneId, completedOn: isoDay(day), fraction },
          },
          t,
        );
        day += rng.int(15, 60);
      }
    }
  }

  // Usage and billing are the bulk of a contract's events: planned here as parameters, produced lazily.
  const usage: UsagePlan = {
    lines: lines.filter((x) => x.role === 'usage').map((l) => ({ lineId: l.lineId, from: l.from ?? 0, to: l.to ?? 0 })),
    volume: rng.logInt(20, 4_000),
    growth: 1 + 0.04 * rng.next(),
  };

  // Billing in advance, monthly or annually from the start, plus a catch-up invoice on each mid-term amendment's
  // effective date for the rest of the current billing period. Nothing is billed from a cancellation's date on.
  const step = billing === 'annual' ? 12 : 1;
  const points = new Set<number>();
  for (let j = 0; j < Math.min(months, cancelMonth ?? months); j += step) points.add(j);
  for (const a of amendments) points.add(a.month);
  const billingPlan: BillingPlan = { points: [...points].sort((a, b) => a - b), annual: billing === 'annual', signedAtMonth }; // prettier-ignore

  // A billing dispute settled by a credit memo weeks after a regular invoice, before any cancellation. Price
  // concessions reduce the transaction price; corrections of billing errors do not.
  let disputeMonth: number | undefined;
  if (disputed) {
    const eligible = billingPlan.points.filter((j) => addMonths(startDay, j) + 45 < cancelDay);
    if (eligible.length > 0) {
      const month = rng.pick(eligible);
      disputeMonth = month;
      const t = timeOn(addMonths(startDay, month) + rng.int(5, 40), 9, 18, rng);
      const pct = new Dec(rng.pick(['0.05', '0.1', '0.15', '0.2', '0.3']));
      items.push({ kind: 'creditMemo', at: t, key: t, month, pick: rng.next(), pct, reduces: rng.chance(0.6) });
    }
  }

  // An SLA credit against the subscription line in force that day (sometimes not tied to a line).
  if (slaCredit) {
    const firstDay = startDay + 30;
    const lastDay = Math.min(addMonths(startDay, months) - 1, cancelDay - 1);
    if (lastDay >= firstDay) {
      const day = rng.int(firstDay, lastDay);
      const line = lines.find(
        (l) => l.role === 'subscription' && addMonths(startDay, l.from ?? 0) <= day && day < addMonths(startDay, l.to ?? 0), // prettier-ignore
      );
      const base = line ? at(line.components, 0) : undefined;
      const monthly = base ? base.amount.div(base.to - base.from) : listPrice(platform, currency).div(12);
      const amount = Dec.max(minorUnit(currency), round(monthly.mul(rng.pick(['0.05', '0.1', '0.15', '0.25'])), currency)); // prettier-ignore
      const ticket = 400_000 + index * 7 + 1;
      const t = timeOn(day, 9, 18, rng);
      const lineId = line && rng.chance(0.85) ? line.lineId : undefined;
      pushEvent(
        {
          type: 'ServiceCreditApproved',
          contractId,
          source: { system: 'zendesk', id: String(ticket), version: 1 },
          occurredAt: timestamp(t),
          data: {
            creditId: `SC-${num}-1`,
            ...(lineId === undefined ? {} : { lineId }),
            amount: money(amount, currency),
            approvedOn: isoDay(day),
            caseId: `ZD-${ticket}`,
            reason: rng.pick(SERVICE_CREDIT_REASONS),
          },
        },
        t,
      );
    }
  }

  // After a cancellation: a final credit memo refunding what was billed in advance for the cancelled months.
  if (cancelMonth !== undefined) {
    const t = timeOn(cancelDay + rng.int(1, 10), 9, 18, rng);
    items.push({ kind: 'finalCredit', at: t, key: t, month: cancelMonth });
  }

  items.sort((a, b) => a.key - b.key); // stable: equal keys keep planning order
  return {
    index,
    num,
    contractId,
    currency,
    taxRate,
    usagePrice: new Dec(USAGE_PRICE_USD).mul(FX[currency]),
    startDay,
    bookingAt,
    cancelDay,
    lines,
    items,
    usage,
    billing: billingPlan,
    disputeMonth,
  };
}

/**
 * A line's `ssp` override, in the contract currency. The mapping's SSP is in USD per unit per 12 months; the
 * engine allocates by relative SSP, so a USD contract needs an override only where the term is not 12 months,
 * while a contract in another currency carries one on every priced line (never a mix of currencies in one ratio).
 */
function sspOverride(l: PlanLine, currency: GeneratedCurrency): string | undefined {
  const entry = catalogue(l.sku);
  if (entry.pattern === 'usage') return undefined;
  const months = entry.pattern === 'ratable' ? (l.to ?? 0) - (l.from ?? 0) : 12;
  if (currency === 'USD' && months === 12) return undefined;
  return money(sspFor(l.sku, currency, months), currency);
}

/** Per-unit SSP in the contract currency for `months` of service (12 = the catalogue's unit for ratable SKUs). */
function sspFor(sku: string, currency: GeneratedCurrency, months: number): Decimal {
  return round(new Dec(catalogue(sku).ssp).mul(FX[currency]).mul(months).div(12), currency);
}

function eventLine(l: PlanLine, startDay: number, currency: string): Line {
  const line: Line = { lineId: l.lineId, sku: l.sku, quantity: String(l.quantity), amount: money(l.amount, currency) };
  if (l.from !== undefined && l.to !== undefined) {
    line.serviceStart = isoDay(addMonths(startDay, l.from));
    line.serviceEnd = isoDay(addMonths(startDay, l.to) - 1);
  }
  if (l.ssp !== undefined) line.ssp = l.ssp;
  return line;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a contract: its items from three time-ordered sources, materialised in delivery order (billing depends
// on what was billed before)

function* usageItems(plan: ContractPlan, rng: Rng): Generator<Item, void, undefined> {
  // Rated per calendar month (the meter closes months, not contract anniversaries), recorded early on the day after
  // the period, invoiced in arrears within days. A cancelled contract's last period ends the day before the
  // effective date and is recorded (and invoiced) on it.
  const { startDay, cancelDay, usage } = plan;
  // Records come in time order and each invoice follows its record, but an invoice may fall after the next record
  // (short periods around a renewal or cancellation): invoices wait here until no later record can precede them.
  const waiting: Item[] = [];
  for (const l of usage.lines) {
    const first = addMonths(startDay, l.from);
    const last = Math.min(addMonths(startDay, l.to) - 1, cancelDay - 1);
    for (let k = 0, m = monthStart(first); m <= last; k++) {
      const next = addMonths(m, 1);
      const start = Math.max(m, first);
      const end = Math.min(next - 1, last);
      const share = (end - start + 1) / (next - m);
      const quantity = rng.chance(0.06) ? 0 : Math.max(1, Math.round(usage.volume * usage.growth ** k * (0.6 + 0.8 * rng.next()) * share)); // prettier-ignore
      const recordedAt = (end + 1) * DAY + rng.int(30, 240) * MINUTE;
      while (waiting[0] && waiting[0].key <= recordedAt) yield at(waiting.splice(0, 1), 0);
      yield { kind: 'usage', at: recordedAt, key: recordedAt, lineId: l.lineId, start, end, quantity };
      const amount = round(plan.usagePrice.mul(quantity), plan.currency);
      if (amount.gt(0)) {
        const invoiceAt = timeOn(Math.min(end + 1 + rng.int(0, 3), cancelDay), 9, 17, rng);
        waiting.push({ kind: 'usageInvoice', at: invoiceAt, key: invoiceAt, lineId: l.lineId, amount });
        waiting.sort((a, b) => a.key - b.key);
      }
      m = next;
    }
  }
  yield* waiting;
}

function* billingItems(plan: ContractPlan, rng: Rng): Generator<Item, void, undefined> {
  const { points, annual, signedAtMonth } = plan.billing;
  for (const j of points) {
    let t = timeOn(addMonths(plan.startDay, j), 6, 11, rng);
    if (t <= plan.bookingAt) t = plan.bookingAt + rng.int(30, 180) * MINUTE;
    const signed = signedAtMonth.get(j);
    if (signed !== undefined && t <= signed) t = signed + rng.int(30, 120) * MINUTE;
    yield { kind: 'invoice', at: t, key: t, month: j, through: annual ? (Math.floor(j / 12) + 1) * 12 : j + 1 };
  }
}

interface Amount {
  lineId: string;
  amount: Decimal;
}

interface Issued {
  invoiceId: string;
  /** `open`: what is left to credit on the line, so credit memos never credit more than was invoiced. */
  lines: (Amount & { open: Decimal })[];
}

/** One source of a contract's items, with its next item already drawn. */
interface Source {
  head: Item;
  rest: Iterator<Item, void, undefined>;
}

interface ContractRun {
  plan: ContractPlan;
  sources: Source[];
  /** Draws for delivery noise (duplicates), separate from the plan's. */
  rng: Rng;
  billed: Map<string, Decimal>;
  /**
   * Only the invoices credit memos may reference are kept, not the whole billing history: those of the current
   * billing period (its regular invoice, then any catch-ups), and the one a planned dispute is about.
   */
  period: Issued[];
  disputed: Issued | undefined;
  invoiceSeq: number;
  memoSeq: number;
}

/** Yields and lets go of each item in turn, so delivered one-off events are not kept until the contract ends. */
function* drain(items: Item[]): Generator<Item, void, undefined> {
  items.reverse();
  for (let item = items.pop(); item !== undefined; item = items.pop()) yield item;
}

function openContract(cfg: Config, index: number): ContractRun {
  const plan = planContract(cfg, index);
  const words = [cfg.seedLo, cfg.seedHi, index];
  const sources: Source[] = [];
  for (const it of [
    drain(plan.items),
    billingItems(plan, new Rng([...words, STREAM_BILLING])),
    usageItems(plan, new Rng([...words, STREAM_USAGE])),
  ]) {
    const first = it.next();
    if (!first.done) sources.push({ head: first.value, rest: it });
  }
  return {
    plan,
    sources,
    rng: new Rng([...words, STREAM_DELIVERY]),
    billed: new Map(),
    period: [],
    disputed: undefined,
    invoiceSeq: 0,
    memoSeq: 0,
  };
}

/** The source whose next item is due first (ties: one-off items, then billing, then usage); undefined when done. */
function nextSource(run: ContractRun): Source | undefined {
  let best: Source | undefined;
  for (const s of run.sources) if (!best || s.head.key < best.head.key) best = s;
  return best;
}

function takeItem(run: ContractRun, source: Source): Item {
  const item = source.head;
  const next = source.rest.next();
  if (next.done) run.sources.splice(run.sources.indexOf(source), 1);
  else source.head = next.value;
  return item;
}

/** What a line's price says should be billed through contract month k, counting versions signed by `asOf`. */
function billable(l: PlanLine, k: number, asOf: number, currency: string): Decimal {
  let sum = ZERO;
  for (const c of l.components) {
    if (c.signedAt > asOf) continue;
    if (c.to === c.from) {
      if (k > c.from) sum = sum.plus(c.amount);
    } else {
      const months = Math.min(Math.max(k - c.from, 0), c.to - c.from);
      if (months > 0) sum = sum.plus(round(c.amount.mul(months).div(c.to - c.from), currency));
    }
  }
  return sum;
}

/** The events an item stands for: usually one, none when there is nothing to bill or credit. */
function materialise(run: ContractRun, item: Item): InboundEvent[] {
  const { plan } = run;
  const currency = plan.currency;
  switch (item.kind) {
    case 'event':
      return [item.event];
    case 'usage': {
      const month = isoMonth(item.start);
      const event: InboundOf<'UsageRecorded'> = {
        type: 'UsageRecorded',
        contractId: plan.contractId,
        source: { system: 'metering', id: `usg_${plan.num}_${item.lineId}_${month}`, version: 1 },
        occurredAt: timestamp(item.at),
        correlationId: `meter-close-${month}`,
        data: {
          lineId: item.lineId,
          periodStart: isoDay(item.start),
          periodEnd: isoDay(item.end),
          quantity: String(item.quantity),
          amount: money(round(plan.usagePrice.mul(item.quantity), currency), currency),
        },
      };
      return [event];
    }
    case 'usageInvoice':
      return [invoice(run, item.at, [{ lineId: item.lineId, amount: item.amount }]).event];
    case 'invoice': {
      const lines: Amount[] = [];
      for (const l of plan.lines) {
        if (l.components.length === 0) continue;
        const done = run.billed.get(l.lineId) ?? ZERO;
        const due = billable(l, item.through, item.at, currency).minus(done);
        if (due.gt(0)) {
          lines.push({ lineId: l.lineId, amount: due });
          run.billed.set(l.lineId, done.plus(due));
        }
      }
      if (lines.length === 0) return [];
      const { issued, event } = invoice(run, item.at, lines);
      if (item.month % (plan.billing.annual ? 12 : 1) === 0) run.period = [issued];
      else run.period.push(issued);
      if (item.month === plan.disputeMonth) run.disputed = issued;
      return [event];
    }
    case 'creditMemo': {
      const inv = run.disputed ?? run.period[run.period.length - 1];
      if (!inv) return [];
      const line = at(inv.lines, Math.floor(item.pick * inv.lines.length));
      const amount = Dec.min(line.open, Dec.max(minorUnit(currency), round(line.amount.mul(item.pct), currency)));
      if (!amount.gt(0)) return [];
      return [creditMemo(run, item.at, inv, [{ lineId: line.lineId, amount }], item.reduces)];
    }
    case 'finalCredit': {
      // Refund what was billed in advance for the cancelled months: one credit memo per invoice of the billing
      // period, newest first, each crediting no more than that invoice billed on the line.
      const unserved = new Map<string, Decimal>();
      for (const l of plan.lines) {
        const over = (run.billed.get(l.lineId) ?? ZERO).minus(billable(l, item.month, item.at, currency));
        if (over.gt(0)) unserved.set(l.lineId, over);
      }
      const memos: InboundEvent[] = [];
      for (const inv of [...run.period].reverse()) {
        const lines: Amount[] = [];
        for (const il of inv.lines) {
          const left = unserved.get(il.lineId);
          if (!left?.gt(0)) continue;
          const amount = Dec.min(left, il.open);
          if (!amount.gt(0)) continue;
          unserved.set(il.lineId, left.minus(amount));
          lines.push({ lineId: il.lineId, amount });
        }
        if (lines.length > 0) memos.push(creditMemo(run, item.at, inv, lines, true));
      }
      return memos;
    }
  }
}

function invoice(run: ContractRun, t: number, lines: Amount[]): { issued: Issued; event: InboundOf<'InvoiceIssued'> } {
  const { plan } = run;
  const seq = String(++run.invoiceSeq).padStart(3, '0');
  const invoiceId = `INV-${plan.num}-${seq}`;
  const date = isoDay(Math.floor(t / DAY));
  const data: InboundOf<'InvoiceIssued'>['data'] = {
    invoiceId,
    invoiceDate: date,
    lines: lines.map((l) => ({ lineId: l.lineId, amount: money(l.amount, plan.currency) })),
  };
  if (plan.taxRate) {
    const net = lines.reduce((s, l) => s.plus(l.amount), ZERO);
    data.taxAmount = money(round(net.mul(plan.taxRate), plan.currency), plan.currency);
  }
  return {
    issued: { invoiceId, lines: lines.map((l) => ({ ...l, open: l.amount })) },
    event: {
      type: 'InvoiceIssued',
      contractId: plan.contractId,
      source: { system: 'stripe', id: `in_${plan.num}_${seq}`, version: 1 },
      occurredAt: timestamp(t),
      correlationId: `billrun-${date}`,
      data,
    },
  };
}

function creditMemo(
  run: ContractRun,
  t: number,
  inv: Issued,
  lines: Amount[],
  reduces: boolean,
): InboundOf<'CreditMemoIssued'> {
  const { plan } = run;
  for (const l of lines) {
    const il = inv.lines.find((x) => x.lineId === l.lineId);
    if (il) il.open = il.open.minus(l.amount);
  }
  const seq = String(++run.memoSeq).padStart(2, '0');
  return {
    type: 'CreditMemoIssued',
    contractId: plan.contractId,
    source: { system: 'stripe', id: `cn_${plan.num}_${seq}`, version: 1 },
    occurredAt: timestamp(t),
    data: {
      creditMemoId: `CN-${plan.num}-${seq}`,
      invoiceId: inv.invoiceId,
      issuedOn: isoDay(Math.floor(t / DAY)),
      lines: lines.map((l) => ({ lineId: l.lineId, amount: money(l.amount, plan.currency) })),
      reducesTransactionPrice: reduces,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery: a heap over open contracts (keyed by their next item), pending duplicates and the next booking

type Entry =
  | { key: number; seq: number; kind: 'open'; index: number }
  | { key: number; seq: number; kind: 'run'; run: ContractRun }
  | { key: number; seq: number; kind: 'duplicate'; json: string };

class Heap {
  private readonly xs: Entry[] = [];

  private static less(a: Entry, b: Entry): boolean {
    return a.key < b.key || (a.key === b.key && a.seq < b.seq);
  }

  push(e: Entry): void {
    const xs = this.xs;
    let i = xs.push(e) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = at(xs, p);
      if (!Heap.less(e, parent)) break;
      xs[i] = parent;
      i = p;
    }
    xs[i] = e;
  }

  pop(): Entry | undefined {
    const xs = this.xs;
    const top = xs[0];
    const last = xs.pop();
    if (top === undefined || last === undefined || xs.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= xs.length) break;
      const r = l + 1;
      const c = r < xs.length && Heap.less(at(xs, r), at(xs, l)) ? r : l;
      const child = at(xs, c);
      if (!Heap.less(child, last)) break;
      xs[i] = child;
      i = c;
    }
    xs[i] = last;
    return top;
  }
}

/** How long until an at-least-once sender redelivers: mostly seconds to minutes, sometimes days. */
function redeliveryDelay(rng: Rng): number {
  const bucket = rng.next();
  if (bucket < 0.7) return rng.int(5, 600) * 1000;
  if (bucket < 0.95) return rng.int(10, 360) * MINUTE;
  return rng.int(6, 72) * HOUR;
}

/**
 * The company's inbound events in delivery order: chronological by when they occurred, contracts interleaved,
 * with duplicates and out-of-order amendments at the configured rates.
 */
export function* generateCompany(options: GenerateOptions): Generator<InboundEvent, void, undefined> {
  const cfg = resolve(options);
  const heap = new Heap();
  let seq = 0;
  const schedule = (run: ContractRun) => {
    const source = nextSource(run);
    if (source) heap.push({ key: source.head.key, seq: seq++, kind: 'run', run });
  };
  if (cfg.contracts > 0) heap.push({ key: bookingTime(cfg, 0), seq: seq++, kind: 'open', index: 0 });
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
    if (e.kind === 'open') {
      schedule(openContract(cfg, e.index));
      if (e.index + 1 < cfg.contracts)
        heap.push({ key: bookingTime(cfg, e.index + 1), seq: seq++, kind: 'open', index: e.index + 1 });
    } else if (e.kind === 'duplicate') {
      yield JSON.parse(e.json) as InboundEvent; // a fresh object: identical JSON, no aliasing with the original
    } else {
      const { run } = e;
      const source = nextSource(run);
      if (!source) continue;
      const events = materialise(run, takeItem(run, source));
      schedule(run);
      for (const event of events) {
        if (run.rng.chance(cfg.rates.duplicateDelivery)) {
          const key = e.key + redeliveryDelay(run.rng);
          heap.push({ key, seq: seq++, kind: 'duplicate', json: JSON.stringify(event) });
        }
        yield event;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Summary

export interface CompanySummary {
  /** Deliveries, duplicates included. */
  events: number;
  /** Distinct events (by idempotency key) per type. */
  byType: Record<InboundType, number>;
  contracts: number;
  /** Contracts per currency (from their bookings). */
  currencies: Record<string, number>;
  /** Deliveries of an event already delivered (same source system, id, version and type). */
  duplicates: number;
  /** Amendments or cancellations delivered after a later version of the same contract. */
  outOfOrderAmendments: number;
  /** Distinct events per contract. */
  eventsPerContract: number;
}

export function summarise(events: Iterable<InboundEvent>): CompanySummary {
  const byType = Object.fromEntries(InboundTypes.map((t) => [t, 0])) as Record<InboundType, number>;
  const currencies: Record<string, number> = {};
  const seen = new Set<string>();
  const maxVersion = new Map<string, number>();
  let deliveries = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  for (const e of events) {
    deliveries++;
    const key = idempotencyKey(e);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    byType[e.type]++;
    if (e.type === 'ContractBooked') currencies[e.data.currency] = (currencies[e.data.currency] ?? 0) + 1;
    if (isVersionEvent(e)) {
      const max = maxVersion.get(e.contractId) ?? 0;
      if (e.data.version < max) outOfOrder++;
      maxVersion.set(e.contractId, Math.max(max, e.data.version));
    }
  }
  const contracts = maxVersion.size;
  return {
    events: deliveries,
    byType,
    contracts,
    currencies,
    duplicates,
    outOfOrderAmendments: outOfOrder,
    eventsPerContract: contracts === 0 ? 0 : (deliveries - duplicates) / contracts,
  };
}
