// The contract command: decides what one inbound event does to a contract stream, given the contract's state folded
// from that stream. Pure: no I/O, no clock (receivedAt and the actor come in with the command).
//
// Sequencing (DESIGN.md): contract versions apply in version order. An event that cannot apply yet — an amendment
// whose predecessor is missing, anything before the booking — is still appended (nothing accepted is lost) and
// answered `held`; the contract-versions projection applies it when the gap fills.
import type { ContractLimits, DomainError, InboundEvent, InboundOf } from '../schemas/index.js';
import {
  DEFAULT_LIMITS,
  contractBoundProblems,
  datesOf,
  domainError,
  idempotencyKey,
  moneyPrecisionProblem,
  upcast,
} from '../schemas/index.js';
import { contentHashOf, eventIdFor } from '../src/store/chain.js';
import type { JsonObject, ProposedEvent, RecordedEvent } from '../src/store/types.js';

export const contractStream = (contractId: string): string => `contract-${contractId}`;

/** What the write side needs to know about a contract, folded from its stream. */
export interface ContractState {
  contractId: string;
  /** Revision of the last event folded; null for a contract with no stream yet. */
  revision: number | null;
  /** Idempotency key -> the stored event's id and content hash. */
  keys: Map<string, { eventId: string; contentHash: string }>;
  booking: { currency: string; legalEntity: string; customerId: string } | null;
  /** Contract versions stored (applied or held): version -> event type. */
  versions: Map<number, 'ContractBooked' | 'ContractAmended' | 'ContractCancelled'>;
  /** Highest version v with 1..v all stored: the version in force. 0 before the booking. */
  appliedVersion: number;
  /** The version that cancelled the contract, if any. */
  cancelledAt: number | null;
  /** Every line id in any stored version, with its SKU (line ids are stable across amendments). */
  lines: Map<string, string>;
  invoices: Set<string>;
  /** Contract versions stored but waiting for an earlier one. */
  held: number;
  /** The earliest and latest date any stored event of the contract carries (bounds the schedule's months). */
  firstDate: string | null;
  lastDate: string | null;
}

export function initialContractState(contractId: string): ContractState {
  return {
    contractId,
    revision: null,
    keys: new Map(),
    booking: null,
    versions: new Map(),
    appliedVersion: 0,
    cancelledAt: null,
    lines: new Map(),
    invoices: new Set(),
    held: 0,
    firstDate: null,
    lastDate: null,
  };
}

/** The stored form of an inbound event: its data plus the contract id and when it occurred at the source. */
export type StoredContractData = JsonObject & { contractId: string; occurredAt: string };

export interface ContractCommand {
  event: InboundEvent;
  receivedAt: string;
  actor: string;
  correlationId?: string;
  causationId?: string;
}

export type Decision =
  | { outcome: 'appended' | 'held'; event: ProposedEvent; contentHash: string }
  | { outcome: 'duplicate'; eventId: string }
  | { outcome: 'rejected'; errors: DomainError[] };

const CONTRACT_VERSION_TYPES = new Set(['ContractBooked', 'ContractAmended', 'ContractCancelled']);

export function toStored(e: InboundEvent): { type: string; data: StoredContractData } {
  return { type: e.type, data: { contractId: e.contractId, occurredAt: e.occurredAt, ...(e.data as JsonObject) } };
}

export function decide(state: ContractState, cmd: ContractCommand, limits: ContractLimits = DEFAULT_LIMITS): Decision {
  const e = cmd.event;
  const key = idempotencyKey(e);
  const stored = toStored(e);
  const contentHash = contentHashOf(stored.type, stored.data);
  const seen = state.keys.get(key);
  if (seen) {
    if (seen.contentHash === contentHash) return { outcome: 'duplicate', eventId: seen.eventId };
    return {
      outcome: 'rejected',
      errors: [
        domainError(
          'IDEMPOTENCY_CONFLICT',
          `an event with the same source (${e.source.system} ${e.source.id} v${e.source.version}) and type was ` +
            'already accepted with different content; send a new source version to change it',
          'source',
        ),
      ],
    };
  }
  if (e.contractId !== state.contractId) {
    return {
      outcome: 'rejected',
      errors: [domainError('CONTRACT_MISMATCH', 'event is for another contract', 'contractId')],
    };
  }

  const size = {
    events: state.revision === null ? 0 : state.revision + 1,
    versions: state.versions.size,
    lines: state.lines,
    firstDate: state.firstDate,
    lastDate: state.lastDate,
  };
  const bounds = contractBoundProblems(size, e, limits);
  if (bounds.length > 0) return { outcome: 'rejected', errors: bounds };
  const errors = check(state, e);
  if (errors.length > 0) return { outcome: 'rejected', errors };

  const event: ProposedEvent = {
    eventId: eventIdFor(key),
    type: stored.type,
    data: stored.data,
    metadata: {
      schemaVersion: 1,
      source: e.source,
      receivedAt: cmd.receivedAt,
      correlationId: cmd.correlationId ?? e.correlationId ?? null,
      causationId: cmd.causationId ?? null,
      actor: cmd.actor,
    },
  };
  return { outcome: waits(state, e) ? 'held' : 'appended', event, contentHash };
}

/** True when the event is stored but cannot apply yet. */
function waits(state: ContractState, e: InboundEvent): boolean {
  if (e.type === 'ContractBooked') return false;
  if (e.type === 'ContractAmended' || e.type === 'ContractCancelled')
    return e.data.version !== state.appliedVersion + 1;
  return state.booking === null;
}

function check(state: ContractState, e: InboundEvent): DomainError[] {
  switch (e.type) {
    case 'ContractBooked':
      return state.booking
        ? [domainError('CONTRACT_ALREADY_BOOKED', `contract ${e.contractId} is already booked`, 'type')]
        : [];
    case 'ContractAmended':
    case 'ContractCancelled':
      return checkVersion(state, e);
    case 'ServiceActivated':
    case 'MilestoneCompleted':
    case 'UsageRecorded':
      return [
        ...knownLine(state, e.data.lineId, 'data.lineId'),
        ...money(state, 'amount' in e.data ? [['data.amount', e.data.amount]] : []),
      ];
    case 'InvoiceIssued': {
      const errs = e.data.lines.flatMap((l, i) => knownLine(state, l.lineId, `data.lines.${i}.lineId`));
      if (state.invoices.has(e.data.invoiceId)) {
        errs.push(
          domainError(
            'INVOICE_ALREADY_ISSUED',
            `invoice ${e.data.invoiceId} was already issued on this contract`,
            'data.invoiceId',
          ),
        );
      }
      const amounts: [string, string][] = e.data.lines.map((l, i) => [`data.lines.${i}.amount`, l.amount]);
      if (e.data.taxAmount !== undefined) amounts.push(['data.taxAmount', e.data.taxAmount]);
      return [...errs, ...money(state, amounts)];
    }
    case 'CreditMemoIssued': {
      const errs = e.data.lines.flatMap((l, i) => knownLine(state, l.lineId, `data.lines.${i}.lineId`));
      if (e.data.invoiceId !== undefined && state.booking && !state.invoices.has(e.data.invoiceId)) {
        errs.push(
          domainError(
            'UNKNOWN_INVOICE',
            `invoice ${e.data.invoiceId} was not issued on this contract`,
            'data.invoiceId',
          ),
        );
      }
      return [
        ...errs,
        ...money(
          state,
          e.data.lines.map((l, i) => [`data.lines.${i}.amount`, l.amount]),
        ),
      ];
    }
    case 'ServiceCreditApproved':
      return [
        ...(e.data.lineId === undefined ? [] : knownLine(state, e.data.lineId, 'data.lineId')),
        ...money(state, [['data.amount', e.data.amount]]),
      ];
  }
}

function checkVersion(
  state: ContractState,
  e: InboundOf<'ContractAmended'> | InboundOf<'ContractCancelled'>,
): DomainError[] {
  const v = e.data.version;
  const errs: DomainError[] = [];
  if (state.versions.has(v)) {
    errs.push(
      domainError(
        'VERSION_CONFLICT',
        `version ${v} of contract ${e.contractId} already exists (from another source record)`,
        'data.version',
      ),
    );
  }
  if (state.cancelledAt !== null && (e.type === 'ContractCancelled' || v > state.cancelledAt)) {
    errs.push(
      domainError(
        'CONTRACT_ALREADY_CANCELLED',
        `contract ${e.contractId} was cancelled at version ${state.cancelledAt}`,
        'type',
      ),
    );
  }
  if (e.type === 'ContractAmended') {
    e.data.lines.forEach((l, i) => {
      const sku = state.lines.get(l.lineId);
      if (sku !== undefined && sku !== l.sku) {
        errs.push(
          domainError(
            'LINE_SKU_CHANGED',
            `line ${l.lineId} is ${sku}; a line keeps its SKU across versions (use a new lineId)`,
            `data.lines.${i}.sku`,
          ),
        );
      }
    });
    const amounts: [string, string][] = e.data.lines.flatMap((l, i) => [
      [`data.lines.${i}.amount`, l.amount] as [string, string],
      ...(l.ssp === undefined ? [] : [[`data.lines.${i}.ssp`, l.ssp] as [string, string]]),
    ]);
    errs.push(...money(state, amounts));
  }
  return errs;
}

/** Line references are checked once the contract's lines are known; before the booking the event is held. */
function knownLine(state: ContractState, lineId: string, path: string): DomainError[] {
  if (state.booking === null || state.lines.has(lineId)) return [];
  return [domainError('UNKNOWN_LINE_ID', `line ${lineId} is not a line of contract ${state.contractId}`, path)];
}

function money(state: ContractState, amounts: [path: string, amount: string][]): DomainError[] {
  if (!state.booking) return []; // currency unknown until the booking; the projection checks held events then
  const currency = state.booking.currency;
  return amounts.flatMap(([path, amount]) => {
    const problem = moneyPrecisionProblem(amount, currency);
    return problem ? [domainError('MONEY_PRECISION', problem, path)] : [];
  });
}

export type Foldable = Pick<RecordedEvent, 'eventId' | 'type' | 'data' | 'metadata'> & { revision: number };

/** Applies one stored event to a state the caller owns (used by fold, which copies first). */
function applyInPlace(s: ContractState, e: Foldable): void {
  s.revision = e.revision;
  const src = e.metadata.source;
  if (src)
    s.keys.set(idempotencyKey({ type: e.type as InboundEvent['type'], source: src }), {
      eventId: e.eventId,
      contentHash: e.metadata.contentHash,
    });
  const d = e.data as Record<string, unknown>;
  if (CONTRACT_VERSION_TYPES.has(e.type)) {
    const version = d.version as number;
    s.versions.set(version, e.type as 'ContractBooked' | 'ContractAmended' | 'ContractCancelled');
    if (e.type === 'ContractBooked') {
      s.booking = {
        currency: d.currency as string,
        legalEntity: d.legalEntity as string,
        customerId: d.customerId as string,
      };
    }
    if (e.type === 'ContractCancelled') s.cancelledAt = version;
    for (const l of (d.lines as { lineId: string; sku: string }[] | undefined) ?? []) s.lines.set(l.lineId, l.sku);
  }
  if (e.type === 'InvoiceIssued') s.invoices.add(d.invoiceId as string);
  for (const { date } of datesOf(e.type, d)) {
    if (s.firstDate === null || date < s.firstDate) s.firstDate = date;
    if (s.lastDate === null || date > s.lastDate) s.lastDate = date;
  }
  // Versions and held events: recount what now waits (cheap: versions are few).
  while (s.versions.has(s.appliedVersion + 1)) s.appliedVersion++;
  s.held = [...s.versions.keys()].filter((v) => v > s.appliedVersion).length;
}

function copy(s: ContractState): ContractState {
  return {
    ...s,
    keys: new Map(s.keys),
    booking: s.booking && { ...s.booking },
    versions: new Map(s.versions),
    lines: new Map(s.lines),
    invoices: new Set(s.invoices),
  };
}

/** Folds stored events into a new state; `state` is left as it was. */
export function fold(state: ContractState, events: Iterable<Foldable>): ContractState {
  const next = copy(state);
  for (const e of events) applyInPlace(next, upcast(e));
  return next;
}

export function evolve(state: ContractState, event: Foldable): ContractState {
  return fold(state, [event]);
}

/** An accepted decision as the stream will hold it at `revision` (for deciding the next event of the same request). */
export function asFoldable(d: Extract<Decision, { event: ProposedEvent }>, revision: number): Foldable {
  return { ...d.event, metadata: { ...d.event.metadata, contentHash: d.contentHash, prevHash: '' }, revision };
}
