// The contract command: decides what one inbound event does to a contract stream, given the contract's state folded
// from that stream. Pure: no I/O, no clock (receivedAt and the actor come in with the command).
//
// Sequencing (commands/versions.ts, docs/sequencing.md): an event is validated against the contract as its stored
// facts make it known, exactly as a held event is when its references arrive. What can never become valid is
// rejected; what cannot apply yet (an amendment whose predecessor is missing, anything before the booking, a line an
// amendment not yet stored adds, an invoice a credit memo names) is still appended (nothing accepted is lost) and
// answered `held`. A held event that fails validation once its references arrive gets a HeldEventRejected in the
// same append as the event that resolved it (`heldRejections`).
import type {
  ContractLimits,
  DomainError,
  HeldEventRejectedData,
  InboundEvent,
  InboundOf,
  JsonObject,
  ProposedEvent,
  RecordedEvent,
} from '../schemas/index.js';
import {
  DEFAULT_LIMITS,
  contentHashOf,
  contractBoundProblems,
  datesOf,
  domainError,
  eventIdFor,
  idempotencyKey,
  upcast,
} from '../schemas/index.js';
import type { FactSummary, Invalid, Known, VersionType } from './versions.js';
import { HELD_EVENT_REJECTED, isContractFactType, sequence, summarise, validate } from './versions.js';

export const contractStream = (contractId: string): string => `contract-${contractId}`;

/** What the write side needs to know about a contract, folded from its stream. */
export interface ContractState {
  contractId: string;
  /** Revision of the last event folded; null for a contract with no stream yet. */
  revision: number | null;
  /** Idempotency key -> the stored event's id and content hash. */
  keys: Map<string, { eventId: string; contentHash: string }>;
  booking: { currency: string; legalEntity: string; customerId: string } | null;
  /** Contract versions stored (applied or held, not rejected): version -> event type. */
  versions: Map<number, VersionType>;
  /** Highest version v with 1..v all applied: the version in force. 0 before the booking. */
  appliedVersion: number;
  /** The version that cancels the contract (stored, applied or held), if any. */
  cancelledAt: number | null;
  /** Every line id in any stored version, with its SKU (line ids are stable across amendments). */
  lines: Map<string, string>;
  /** Invoices stored (applied or held, not rejected). */
  invoices: Set<string>;
  /** Facts stored but not applied yet (versions and other events). */
  held: number;
  /** The contract as sequencing knows it (commands/versions.ts): what a new event is validated against. */
  known: Known;
  /**
   * What sequencing reads again on the next event: versions, invoices and the facts not applied yet. A fact of another
   * kind, once applied, decides nothing more (validation is monotone), so it is not kept.
   */
  facts: Map<string, FactSummary>;
  /** Facts that failed validation on apply and whose HeldEventRejected the stream does not hold yet. */
  unrecorded: Invalid[];
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
    known: sequence(contractId, []).known,
    facts: new Map(),
    unrecorded: [],
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

  const eventId = eventIdFor(key);
  const fact = summarise(e.type, eventId, stored.data, cmd.receivedAt);
  // The same validation a held event gets when its references arrive (commands/versions.ts), plus the conflicts with
  // what is stored: two stored facts never claim the same version, invoice id or booking.
  const verdict = validate(state.known, fact);
  const refused = [...conflicts(state, e), ...verdict.final];
  if (refused.length > 0) return { outcome: 'rejected', errors: distinct([...verdict.waiting, ...refused]) };

  const event: ProposedEvent = {
    eventId,
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
  // It applies now when nothing holds it: no reference missing, and for a version, its predecessor in force.
  const applies = verdict.reason === null && (fact.version === null || fact.version === state.appliedVersion + 1);
  return { outcome: applies ? 'appended' : 'held', event, contentHash };
}

/** Each error once (a conflict with a stored fact and the same rule on the applied ones say one thing). */
function distinct(errors: DomainError[]): DomainError[] {
  const seen = new Set<string>();
  return errors.filter((x) => {
    const key = `${x.code} ${x.path ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Conflicts with facts already stored (applied or held): a second booking, version, invoice id or cancellation. */
function conflicts(state: ContractState, e: InboundEvent): DomainError[] {
  switch (e.type) {
    case 'ContractBooked':
      return state.booking
        ? [domainError('CONTRACT_ALREADY_BOOKED', `contract ${e.contractId} is already booked`, 'type')]
        : [];
    case 'ContractAmended':
    case 'ContractCancelled':
      return versionConflicts(state, e);
    case 'InvoiceIssued':
      return state.invoices.has(e.data.invoiceId)
        ? [
            domainError(
              'INVOICE_ALREADY_ISSUED',
              `invoice ${e.data.invoiceId} was already issued on this contract`,
              'data.invoiceId',
            ),
          ]
        : [];
    default:
      return [];
  }
}

function versionConflicts(
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
      // A line of an applied version is checked by validation; this is a line of a version still held.
      if (sku !== undefined && sku !== l.sku && !state.known.lines.has(l.lineId)) {
        errs.push(
          domainError(
            'LINE_SKU_CHANGED',
            `line ${l.lineId} is ${sku}; a line keeps its SKU across versions (use a new lineId)`,
            `data.lines.${i}.sku`,
          ),
        );
      }
    });
  }
  return errs;
}

export type Foldable = Pick<RecordedEvent, 'eventId' | 'type' | 'data' | 'metadata'> & { revision: number };

/** Applies one stored event to a state the caller owns (used by fold, which copies first and settles after). */
function applyInPlace(s: ContractState, e: Foldable): void {
  s.revision = e.revision;
  const src = e.metadata.source;
  if (src)
    s.keys.set(idempotencyKey({ type: e.type as InboundEvent['type'], source: src }), {
      eventId: e.eventId,
      contentHash: e.metadata.contentHash,
    });
  const d = e.data as Record<string, unknown>;
  if (e.type === HELD_EVENT_REJECTED) {
    s.facts.delete(d.rejectedEventId as string);
    return;
  }
  if (!isContractFactType(e.type)) return;
  for (const { date } of datesOf(e.type, d)) {
    if (s.firstDate === null || date < s.firstDate) s.firstDate = date;
    if (s.lastDate === null || date > s.lastDate) s.lastDate = date;
  }
  if (e.type === 'ContractBooked') {
    s.booking = {
      currency: d.currency as string,
      legalEntity: d.legalEntity as string,
      customerId: d.customerId as string,
    };
  }
  s.facts.set(e.eventId, summarise(e.type, e.eventId, d, e.metadata.receivedAt));
}

/** Sequences the kept facts: what applies, what is held, what failed on apply; forgets what no longer decides. */
function settle(s: ContractState): void {
  const sequenced = sequence(s.contractId, s.facts.values());
  s.known = sequenced.known;
  s.appliedVersion = sequenced.versionInForce;
  s.held = sequenced.held.length;
  s.unrecorded = sequenced.invalid;
  const invalid = new Set(sequenced.invalid.map((x) => x.fact.eventId));
  s.versions = new Map();
  s.lines = new Map();
  s.invoices = new Set();
  s.cancelledAt = null;
  for (const fact of s.facts.values()) {
    if (invalid.has(fact.eventId)) continue;
    if (fact.version !== null) {
      s.versions.set(fact.version, fact.type as VersionType);
      for (const [lineId, sku] of fact.lines) if (!s.lines.has(lineId)) s.lines.set(lineId, sku);
      if (fact.type === 'ContractCancelled') s.cancelledAt = fact.version;
    }
    if (fact.invoiceId !== null) s.invoices.add(fact.invoiceId);
  }
  for (const fact of sequenced.applied)
    if (fact.version === null && fact.invoiceId === null) s.facts.delete(fact.eventId);
}

function copy(s: ContractState): ContractState {
  return {
    ...s,
    keys: new Map(s.keys),
    booking: s.booking && { ...s.booking },
    facts: new Map(s.facts),
  };
}

/** Folds stored events into a new state; `state` is left as it was. */
export function fold(state: ContractState, events: Iterable<Foldable>): ContractState {
  const next = copy(state);
  for (const e of events) applyInPlace(next, upcast(e));
  settle(next);
  return next;
}

export function evolve(state: ContractState, event: Foldable): ContractState {
  return fold(state, [event]);
}

/** An event this side proposes (not from an inbound source) as the stream will hold it at `revision`. */
export function proposedAsFoldable(e: ProposedEvent, revision: number): Foldable {
  return { ...e, metadata: { ...e.metadata, contentHash: contentHashOf(e.type, e.data), prevHash: '' }, revision };
}

/** An accepted decision as the stream will hold it at `revision` (for deciding the next event of the same request). */
export function asFoldable(d: Extract<Decision, { event: ProposedEvent }>, revision: number): Foldable {
  return { ...d.event, metadata: { ...d.event.metadata, contentHash: d.contentHash, prevHash: '' }, revision };
}

const heldEventRejectedData = (d: HeldEventRejectedData): JsonObject => d as unknown as JsonObject;

/**
 * The HeldEventRejected events the stream owes: one per stored fact that failed validation once its references
 * arrived. Appended with the event that resolved it, so the decision is made once, where the resolving event is.
 */
export function heldRejections(state: ContractState, ctx: { receivedAt: string; actor: string }): ProposedEvent[] {
  return state.unrecorded.map(({ fact, errors }) => ({
    eventId: eventIdFor(`${HELD_EVENT_REJECTED}:${fact.eventId}`),
    type: HELD_EVENT_REJECTED,
    data: heldEventRejectedData({
      contractId: state.contractId,
      rejectedEventId: fact.eventId,
      rejectedType: fact.type,
      errors,
    }),
    metadata: {
      schemaVersion: 1,
      source: null,
      receivedAt: ctx.receivedAt,
      correlationId: null,
      causationId: fact.eventId,
      actor: ctx.actor,
    },
  }));
}
