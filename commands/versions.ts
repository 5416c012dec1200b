// Sequencing (docs/sequencing.md): the one rule, shared by the contract command and every
// projection, for when a stored contract fact applies, what it waits for, and when it can never apply. Pure.
//
// A contract's state is a function of the SET of its stored facts, never of their arrival order:
// - versions (booking = 1, amendments, cancellations) apply in version order, each once its predecessor applied;
// - every other fact applies at its business date relative to the versions' effective dates; facts of one date apply
//   terms first (versions), then satisfaction, then billing and price changes; equal keys by event id;
// - a fact that references what is not known yet (no booking, a line no applied version has, an invoice not applied,
//   a missing earlier version) is held; it applies once the reference arrives;
// - every fact is validated against the contract as known from the whole set, exactly as the command validates an
//   event arriving in order. Errors that no later fact can cure (money precision, a duplicate invoice id, a version
//   after a cancellation in force, a line reference once a cancellation closed the contract) make it invalid: it never
//   applies. Validation is monotone: more facts never turn an applied fact invalid nor an invalid one valid, so the
//   command side's decision at any time and a projection's fold of any order agree.
import type { DomainError, InboundEvent, InboundOf, InboundType } from '../schemas/index.js';
import { domainError, moneyPrecisionProblem } from '../schemas/index.js';

export const VERSION_TYPES = ['ContractBooked', 'ContractAmended', 'ContractCancelled'] as const;
export type VersionType = (typeof VERSION_TYPES)[number];
const VERSION_TYPE_SET: ReadonlySet<string> = new Set(VERSION_TYPES);

export function isVersionType(type: string): type is VersionType {
  return VERSION_TYPE_SET.has(type);
}

export function isVersionEvent(e: InboundEvent): e is InboundOf<VersionType> {
  return isVersionType(e.type);
}

/** The stored event recording that a held fact failed validation once its references arrived. */
export const HELD_EVENT_REJECTED = 'HeldEventRejected';

/** Per type: where in one business date a fact applies (terms, then satisfaction, then billing and price changes). */
const RANK: Readonly<Record<InboundType, number>> = {
  ContractBooked: 0,
  ContractAmended: 0,
  ContractCancelled: 0,
  ServiceActivated: 1,
  MilestoneCompleted: 1,
  UsageRecorded: 1,
  InvoiceIssued: 2,
  CreditMemoIssued: 2,
  ServiceCreditApproved: 3,
};

export function isContractFactType(type: string): type is InboundType {
  return Object.hasOwn(RANK, type);
}

/** What sequencing reads of a stored contract fact (its stored data: inbound data plus contractId and occurredAt). */
export interface FactSummary {
  type: InboundType;
  eventId: string;
  /** The business date it applies at (a version: its effective or booking date). */
  date: string;
  receivedAt: string | null;
  version: number | null;
  /** The booking's currency. */
  currency: string | null;
  /** A version's lines: [lineId, sku]. */
  lines: [string, string][];
  /** Line ids referenced: [path, lineId]. */
  lineRefs: [string, string][];
  /** Money amounts checked against the contract currency: [path, amount]. */
  amounts: [string, string][];
  /** The invoice an InvoiceIssued issues. */
  invoiceId: string | null;
  /** The invoice a credit memo names. */
  creditsInvoice: string | null;
}

type Data = Readonly<Record<string, unknown>>;
type AmountLine = { lineId: string; amount: string };
type VersionLine = { lineId: string; sku: string; amount: string; ssp?: string };

/** The field of each fact type holding the business date it applies at (usage: measured through its period's end). */
const BUSINESS_DATE_FIELD: Readonly<Record<string, string>> = {
  ContractBooked: 'bookingDate',
  ContractAmended: 'effectiveDate',
  ContractCancelled: 'effectiveDate',
  ServiceActivated: 'activatedOn',
  MilestoneCompleted: 'completedOn',
  UsageRecorded: 'periodEnd',
  InvoiceIssued: 'invoiceDate',
  CreditMemoIssued: 'issuedOn',
  ServiceCreditApproved: 'approvedOn',
};

/** The business date a fact applies at. */
export function businessDate(type: string, data: Data): string {
  const field = Object.hasOwn(BUSINESS_DATE_FIELD, type) ? BUSINESS_DATE_FIELD[type] : undefined;
  if (field === undefined) throw new Error(`${type} is not a contract fact`);
  return data[field] as string;
}

/** The summary of a stored contract fact (`type` must be a contract fact type: see isContractFactType). */
export function summarise(type: InboundType, eventId: string, data: Data, receivedAt: string | null): FactSummary {
  const summary: FactSummary = {
    type,
    eventId,
    date: businessDate(type, data),
    receivedAt,
    version: typeof data.version === 'number' ? data.version : null,
    currency: type === 'ContractBooked' ? (data.currency as string) : null,
    lines: [],
    lineRefs: [],
    amounts: [],
    invoiceId: type === 'InvoiceIssued' ? (data.invoiceId as string) : null,
    creditsInvoice: type === 'CreditMemoIssued' ? ((data.invoiceId as string | undefined) ?? null) : null,
  };
  if (type === 'ContractBooked' || type === 'ContractAmended') {
    (data.lines as VersionLine[]).forEach((l, i) => {
      summary.lines.push([l.lineId, l.sku]);
      // A booking's amounts are checked by its own schema (its currency comes with it).
      if (type === 'ContractBooked') return;
      summary.amounts.push([`data.lines.${i}.amount`, l.amount]);
      if (l.ssp !== undefined) summary.amounts.push([`data.lines.${i}.ssp`, l.ssp]);
    });
  } else if (type === 'InvoiceIssued' || type === 'CreditMemoIssued') {
    (data.lines as AmountLine[]).forEach((l, i) => {
      summary.lineRefs.push([`data.lines.${i}.lineId`, l.lineId]);
      summary.amounts.push([`data.lines.${i}.amount`, l.amount]);
    });
    if (typeof data.taxAmount === 'string') summary.amounts.push(['data.taxAmount', data.taxAmount]);
  } else if (type !== 'ContractCancelled') {
    if (typeof data.lineId === 'string') summary.lineRefs.push(['data.lineId', data.lineId]);
    if (typeof data.amount === 'string') summary.amounts.push(['data.amount', data.amount]);
  }
  return summary;
}

/** Why a fact is held. */
export type HoldReason = 'AWAITING_BOOKING' | 'HELD_VERSION_GAP' | 'UNKNOWN_LINE_ID' | 'UNKNOWN_INVOICE';

export interface Held {
  fact: FactSummary;
  reason: HoldReason;
  /** Owner-facing: what it waits for. */
  message: string;
  /** HELD_VERSION_GAP: the versions missing before it. */
  missingVersions: number[];
}

export interface Invalid {
  fact: FactSummary;
  errors: DomainError[];
}

/** The contract as the whole set of facts makes it known; what every fact is validated against. */
export interface Known {
  contractId: string;
  currency: string | null;
  bookingDate: string | null;
  /** Lines of the applied versions (line id -> SKU; line ids are stable across versions). */
  lines: Map<string, string>;
  /** The version of the cancellation in force, if any: no later version applies, no line can be added. */
  cancelledAt: number | null;
  /** Invoices applied. */
  invoices: Set<string>;
}

export interface Sequence {
  known: Known;
  /** Highest version v with 1..v applied; 0 before the booking. */
  versionInForce: number;
  /** The facts that apply, in application order. */
  applied: FactSummary[];
  /** Facts waiting for something, in sequence-key order. */
  held: Held[];
  /** Facts that can never apply, in sequence-key order. */
  invalid: Invalid[];
}

const byEventId = (a: { eventId: string }, b: { eventId: string }): number =>
  a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;

type Versioned = { version: number | null; eventId: string };

/** Version order: by version number; two facts claiming one version by event id (the first is the one that counts). */
export function compareVersions(a: Versioned, b: Versioned): number {
  return (a.version ?? 0) - (b.version ?? 0) || byEventId(a, b);
}

/** The stable order of facts on one side of a version: business date, then type rank, then event id. */
export function compareFacts(a: FactSummary, b: FactSummary): number {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return RANK[a.type] - RANK[b.type] || byEventId(a, b);
}

/** Errors of a fact against the contract as known: those no later fact can cure, and those a later fact may. */
export interface Verdict {
  final: DomainError[];
  waiting: DomainError[];
  reason: HoldReason | null;
}

function moneyErrors(known: Known, fact: FactSummary): DomainError[] {
  const currency = known.currency;
  if (currency === null) return [];
  return fact.amounts.flatMap(([path, amount]) => {
    const problem = moneyPrecisionProblem(amount, currency);
    return problem ? [domainError('MONEY_PRECISION', problem, path)] : [];
  });
}

/**
 * Validates one fact against the contract as known: as the command validates an event arriving in order. Before the
 * booking nothing but the shape is known (it was checked on arrival): the fact waits for the booking.
 */
export function validate(known: Known, fact: FactSummary): Verdict {
  if (fact.type === 'ContractBooked') return { final: [], waiting: [], reason: null };
  if (known.currency === null) return { final: [], waiting: [], reason: 'AWAITING_BOOKING' };
  const final = moneyErrors(known, fact);
  if (fact.version !== null) {
    if (known.bookingDate !== null && fact.date < known.bookingDate)
      final.push(
        domainError('DATE_ORDER', `must be on or after the booking date (${known.bookingDate})`, 'data.effectiveDate'),
      );
    if (known.cancelledAt !== null && fact.version > known.cancelledAt)
      final.push(
        domainError(
          'CONTRACT_ALREADY_CANCELLED',
          `contract ${known.contractId} was cancelled at version ${known.cancelledAt}`,
          'type',
        ),
      );
    fact.lines.forEach(([lineId, sku], i) => {
      const was = known.lines.get(lineId);
      if (was !== undefined && was !== sku)
        final.push(
          domainError(
            'LINE_SKU_CHANGED',
            `line ${lineId} is ${was}; a line keeps its SKU across versions (use a new lineId)`,
            `data.lines.${i}.sku`,
          ),
        );
    });
    return { final, waiting: [], reason: null };
  }
  const waiting: DomainError[] = [];
  let reason: HoldReason | null = null;
  for (const [path, lineId] of fact.lineRefs) {
    if (known.lines.has(lineId)) continue;
    // Once a cancellation is in force no version can add the line: the reference can never resolve.
    (known.cancelledAt !== null ? final : waiting).push(
      domainError('UNKNOWN_LINE_ID', `line ${lineId} is not a line of contract ${known.contractId}`, path),
    );
    reason ??= 'UNKNOWN_LINE_ID';
  }
  if (fact.invoiceId !== null && known.invoices.has(fact.invoiceId))
    final.push(
      domainError(
        'INVOICE_ALREADY_ISSUED',
        `invoice ${fact.invoiceId} was already issued on this contract`,
        'data.invoiceId',
      ),
    );
  if (fact.creditsInvoice !== null && !known.invoices.has(fact.creditsInvoice)) {
    waiting.push(
      domainError(
        'UNKNOWN_INVOICE',
        `invoice ${fact.creditsInvoice} was not issued on this contract`,
        'data.invoiceId',
      ),
    );
    reason ??= 'UNKNOWN_INVOICE';
  }
  return { final, waiting, reason };
}

function emptyKnown(contractId: string): Known {
  return { contractId, currency: null, bookingDate: null, lines: new Map(), cancelledAt: null, invoices: new Set() };
}

const HOLD_MESSAGES: Record<Exclude<HoldReason, 'HELD_VERSION_GAP'>, string> = {
  AWAITING_BOOKING: 'waits for the booking',
  UNKNOWN_LINE_ID: 'waits for a version that adds its line',
  UNKNOWN_INVOICE: 'waits for the invoice it names',
};

/**
 * Sequences a contract's stored facts: which apply and in what order, which wait, which can never apply. A function of
 * the set: the input order does not matter. `rejected`: facts whose rejection the stream already records (they are
 * invalid whatever validation says now).
 */
export function sequence(
  contractId: string,
  facts: Iterable<FactSummary>,
  rejected: ReadonlyMap<string, DomainError[]> = new Map(),
): Sequence {
  const outcome: Outcome = { known: emptyKnown(contractId), held: [], invalid: [] };
  const { versions, invoices, others } = partition(facts, rejected, outcome.invalid);
  const { chain, waiting } = chainVersions(outcome, versions);
  const versionInForce = chain[chain.length - 1]?.version ?? 0;
  holdVersions(outcome, waiting, versions, versionInForce);
  // Invoices first (credit memos name them), then the rest; each against the contract as the versions make it.
  const appliedFacts: FactSummary[] = [];
  for (const fact of [...invoices.sort(compareFacts), ...others.sort(compareFacts)])
    if (applyOrHold(outcome, fact)) appliedFacts.push(fact);
  outcome.held.sort((a, b) => byEventId(a.fact, b.fact));
  outcome.invalid.sort((a, b) => byEventId(a.fact, b.fact));
  return { ...outcome, versionInForce, applied: place(chain, appliedFacts) };
}

/** What sequencing has found so far: the contract as known, the facts that wait and those that never apply. */
interface Outcome {
  known: Known;
  held: Held[];
  invalid: Invalid[];
}

/** Each fact once, by kind; the versions in version order. A fact whose rejection is recorded is invalid as it is. */
function partition(
  facts: Iterable<FactSummary>,
  rejected: ReadonlyMap<string, DomainError[]>,
  invalid: Invalid[],
): { versions: FactSummary[]; invoices: FactSummary[]; others: FactSummary[] } {
  const versions: FactSummary[] = [];
  const invoices: FactSummary[] = [];
  const others: FactSummary[] = [];
  const seen = new Set<string>();
  for (const fact of facts) {
    if (seen.has(fact.eventId)) continue;
    seen.add(fact.eventId);
    const recorded = rejected.get(fact.eventId);
    if (recorded) invalid.push({ fact, errors: recorded });
    else if (fact.version !== null) versions.push(fact);
    else if (fact.type === 'InvoiceIssued') invoices.push(fact);
    else others.push(fact);
  }
  versions.sort(compareVersions);
  return { versions, invoices, others };
}

/**
 * Versions, in version order: the chain from the booking up to the first gap, each applied to `known`; the versions
 * after the gap wait. A second fact claiming a version is invalid.
 */
function chainVersions(
  outcome: Outcome,
  versions: readonly FactSummary[],
): { chain: FactSummary[]; waiting: FactSummary[] } {
  const chain: FactSummary[] = [];
  const waiting: FactSummary[] = [];
  for (const fact of versions) {
    const previous = chain[chain.length - 1];
    if (previous?.version === fact.version || waiting.some((w) => w.version === fact.version)) {
      const message = `version ${fact.version} of contract ${outcome.known.contractId} already exists`;
      outcome.invalid.push({ fact, errors: [domainError('VERSION_CONFLICT', message, 'data.version')] });
      continue;
    }
    if (fact.version !== (previous?.version ?? 0) + 1 || waiting.length > 0) {
      waiting.push(fact);
      continue;
    }
    const verdict = validate(outcome.known, fact);
    if (verdict.final.length > 0) {
      outcome.invalid.push({ fact, errors: verdict.final });
      continue; // its number stays free: the versions after it wait for a valid one
    }
    chain.push(fact);
    applyVersion(outcome.known, fact);
  }
  return { chain, waiting };
}

/** What an applied version makes known: the booking's currency and date, a cancellation, its lines. */
function applyVersion(known: Known, fact: FactSummary): void {
  if (fact.type === 'ContractBooked') {
    known.currency = fact.currency;
    known.bookingDate = fact.date;
  }
  if (fact.type === 'ContractCancelled') known.cancelledAt = fact.version;
  for (const [lineId, sku] of fact.lines) known.lines.set(lineId, sku);
}

/** The versions after a gap: invalid if no later fact can cure them, otherwise held for the booking or the gap. */
function holdVersions(
  outcome: Outcome,
  waiting: readonly FactSummary[],
  versions: readonly FactSummary[],
  versionInForce: number,
): void {
  const stored = new Set(versions.map((v) => v.version));
  // A stored version fills its place unless it is invalid (the versions it follows may still arrive).
  const fills = (version: number): boolean =>
    stored.has(version) && !outcome.invalid.some((x) => x.fact.version === version);
  for (const fact of waiting) {
    const verdict = validate(outcome.known, fact);
    if (verdict.final.length > 0) {
      outcome.invalid.push({ fact, errors: verdict.final });
      continue;
    }
    if (outcome.known.currency === null) {
      const message = HOLD_MESSAGES.AWAITING_BOOKING;
      outcome.held.push({ fact, reason: 'AWAITING_BOOKING', message, missingVersions: [] });
      continue;
    }
    const missing = missingVersions(versionInForce, fact.version!, fills);
    outcome.held.push({
      fact,
      reason: 'HELD_VERSION_GAP',
      message: versionGapMessage(fact.version!, missing, `version ${versionInForce} stays in force`),
      missingVersions: missing,
    });
  }
}

/** The versions after the one in force and before `version` that nothing stored fills. */
export function missingVersions(versionInForce: number, version: number, fills: (v: number) => boolean): number[] {
  const missing: number[] = [];
  for (let v = versionInForce + 1; v < version; v++) if (!fills(v)) missing.push(v);
  return missing;
}

/** Owner-facing: what a version held for a gap waits for, and what stays meanwhile (`meanwhile`). */
export function versionGapMessage(version: number, missing: readonly number[], meanwhile: string): string {
  return (
    `version ${version} waits for version${missing.length === 1 ? '' : 's'} ${missing.join(', ')}; ` +
    `${meanwhile} until ${missing.length === 1 ? 'it arrives' : 'they arrive'}`
  );
}

/** A fact other than a version: applied (true) when valid and nothing it names is missing; else invalid or held. */
function applyOrHold(outcome: Outcome, fact: FactSummary): boolean {
  const verdict = validate(outcome.known, fact);
  if (verdict.final.length > 0) {
    outcome.invalid.push({ fact, errors: [...verdict.final, ...verdict.waiting] });
    return false;
  }
  if (verdict.reason !== null) {
    const reason = verdict.reason;
    const message =
      reason === 'AWAITING_BOOKING' ? HOLD_MESSAGES[reason] : verdict.waiting.map((e) => e.message).join('; ');
    outcome.held.push({ fact, reason, message, missingVersions: [] });
    return false;
  }
  if (fact.invoiceId !== null) outcome.known.invoices.add(fact.invoiceId);
  return true;
}

/**
 * Application order: versions in version order; every other fact after the versions whose effective dates (running
 * maximum, so that version order holds) are on or before its date, and always after the booking.
 */
function place(chain: readonly FactSummary[], facts: FactSummary[]): FactSummary[] {
  if (chain.length === 0) return [];
  const slots: FactSummary[][] = chain.map(() => []);
  const reach: string[] = [];
  let latest = '';
  for (const v of chain) {
    if (v.date > latest) latest = v.date;
    reach.push(latest);
  }
  for (const fact of facts.sort(compareFacts)) {
    let slot = 0;
    while (slot + 1 < chain.length && reach[slot + 1]! <= fact.date) slot++;
    slots[slot]!.push(fact);
  }
  return chain.flatMap((v, i) => [v, ...slots[i]!]);
}
