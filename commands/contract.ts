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
  datesOf,
  domainError,
  eventIdFor,
  idempotencyKey,
  upcast,
} from '../schemas/index.js';
import type { ContractSize } from './contract-bounds.js';
import { contractBoundProblems } from './contract-bounds.js';
import type { Decider } from './decider.js';
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
  /** A replayed refused input: the refusal it resubmits (as it was, or corrected), kept in the event's metadata. */
  lineage?: ReplayLineage;
  /** Bounds on a contract's size and span; default DEFAULT_LIMITS. */
  limits?: ContractLimits;
}

/** Where a replayed input comes from: the InputRejected event of the refusal, as `replayOf` or `correctedFrom`. */
export type ReplayLineage = { replayOf: string } | { correctedFrom: string };

/**
 * The contract command's answer to one inbound event: appended (it applies now), held (stored; it waits for what it
 * references), duplicate (already stored) or rejected. `contract.decide` gives the events it appends.
 */
export type Decision =
  | { outcome: 'appended' | 'held'; event: ProposedEvent; contentHash: string }
  | { outcome: 'duplicate'; eventId: string }
  | Rejected;

/** An event refused with every rule it breaks, each naming its field. */
export interface Rejected {
  outcome: 'rejected';
  errors: DomainError[];
}

export function toStored(e: InboundEvent): { type: string; data: StoredContractData } {
  return { type: e.type, data: { contractId: e.contractId, occurredAt: e.occurredAt, ...(e.data as JsonObject) } };
}

const rejected = (errors: DomainError[]): Rejected => ({ outcome: 'rejected', errors });

export function decide(
  state: ContractState,
  cmd: ContractCommand,
  limits: ContractLimits = cmd.limits ?? DEFAULT_LIMITS,
): Decision {
  const e = cmd.event;
  const key = idempotencyKey(e);
  const stored = toStored(e);
  const contentHash = contentHashOf(stored.type, stored.data);
  const seen = state.keys.get(key);
  if (seen) return seen.contentHash === contentHash ? { outcome: 'duplicate', eventId: seen.eventId } : resent(e);
  if (e.contractId !== state.contractId)
    return rejected([domainError('CONTRACT_MISMATCH', 'event is for another contract', 'contractId')]);
  const bounds = contractBoundProblems(sizeOf(state), e, limits);
  if (bounds.length > 0) return rejected(bounds);

  const eventId = eventIdFor(key);
  const fact = summarise(e.type, eventId, stored.data, cmd.receivedAt);
  // The same validation a held event gets when its references arrive (commands/versions.ts), plus the conflicts with
  // what is stored: two stored facts never claim the same version, invoice id or booking.
  const verdict = validate(state.known, fact);
  const refused = [...conflicts(state, e), ...verdict.final];
  if (refused.length > 0) return rejected(distinct([...verdict.waiting, ...refused]));

  const event = proposedEvent(eventId, stored, cmd);
  // It applies now when nothing holds it: no reference missing, and for a version, its predecessor in force.
  const applies = verdict.reason === null && (fact.version === null || fact.version === state.appliedVersion + 1);
  return { outcome: applies ? 'appended' : 'held', event, contentHash };
}

/** The same source record and type sent again with other content: a change needs a new source version. */
function resent(e: InboundEvent): Rejected {
  return rejected([
    domainError(
      'IDEMPOTENCY_CONFLICT',
      `an event with the same source (${e.source.system} ${e.source.id} v${e.source.version}) and type was ` +
        'already accepted with different content; send a new source version to change it',
      'source',
    ),
  ]);
}

function sizeOf(state: ContractState): ContractSize {
  return {
    events: state.revision === null ? 0 : state.revision + 1,
    versions: state.versions.size,
    lines: state.lines,
    firstDate: state.firstDate,
    lastDate: state.lastDate,
  };
}

function proposedEvent(
  eventId: string,
  stored: { type: string; data: StoredContractData },
  cmd: ContractCommand,
): ProposedEvent {
  return {
    eventId,
    type: stored.type,
    data: stored.data,
    metadata: {
      schemaVersion: 1,
      source: cmd.event.source,
      receivedAt: cmd.receivedAt,
      correlationId: cmd.correlationId ?? cmd.event.correlationId ?? null,
      causationId: cmd.causationId ?? null,
      actor: cmd.actor,
      ...cmd.lineage,
    },
  };
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
  const version = e.data.version;
  const errors: DomainError[] = [];
  if (state.versions.has(version)) {
    errors.push(
      domainError(
        'VERSION_CONFLICT',
        `version ${version} of contract ${e.contractId} already exists (from another source record)`,
        'data.version',
      ),
    );
  }
  if (state.cancelledAt !== null && (e.type === 'ContractCancelled' || version > state.cancelledAt)) {
    errors.push(
      domainError(
        'CONTRACT_ALREADY_CANCELLED',
        `contract ${e.contractId} was cancelled at version ${state.cancelledAt}`,
        'type',
      ),
    );
  }
  if (e.type === 'ContractAmended') {
    e.data.lines.forEach((line, i) => {
      const sku = state.lines.get(line.lineId);
      // A line of an applied version is checked by validation; this is a line of a version still held.
      if (sku !== undefined && sku !== line.sku && !state.known.lines.has(line.lineId)) {
        errors.push(
          domainError(
            'LINE_SKU_CHANGED',
            `line ${line.lineId} is ${sku}; a line keeps its SKU across versions (use a new lineId)`,
            `data.lines.${i}.sku`,
          ),
        );
      }
    });
  }
  return errors;
}

export type Foldable = Pick<RecordedEvent, 'eventId' | 'type' | 'data' | 'metadata'> & { revision: number };

/**
 * Applies one stored event to a state the caller owns. `settled`: whether the state's sequencing agrees with its facts
 * so far; returns whether it still does, or the caller must `settle` (a fact that `settlesAlone` leaves it settled).
 */
function applyInPlace(state: ContractState, event: Foldable, settled: boolean): boolean {
  state.revision = event.revision;
  const source = event.metadata.source;
  if (source)
    state.keys.set(idempotencyKey({ type: event.type, source }), {
      eventId: event.eventId,
      contentHash: event.metadata.contentHash,
    });
  const data = event.data as Record<string, unknown>;
  if (event.type === HELD_EVENT_REJECTED) {
    state.facts.delete(data.rejectedEventId as string);
    return false;
  }
  if (!isContractFactType(event.type)) return settled;
  for (const { date } of datesOf(event.type, data)) {
    if (state.firstDate === null || date < state.firstDate) state.firstDate = date;
    if (state.lastDate === null || date > state.lastDate) state.lastDate = date;
  }
  if (event.type === 'ContractBooked') {
    state.booking = {
      currency: data.currency as string,
      legalEntity: data.legalEntity as string,
      customerId: data.customerId as string,
    };
  }
  const fact = summarise(event.type, event.eventId, data, event.metadata.receivedAt);
  if (settled && settlesAlone(state, fact)) return true;
  state.facts.set(event.eventId, fact);
  return false;
}

/**
 * Adds a fact to a settled state where sequencing the whole set again would change nothing but the fact itself, and
 * says whether it did; false leaves the state as it was. That is a fact other than a version that applies now
 * against the contract as known, and that no kept fact reads: `validate` reads of the applied facts only the versions
 * (in `known`) and the applied invoices' ids (a second invoice of the id, a credit memo naming it), so the versions
 * and every other fact sequence as before. Such a fact applies where it sorts and, unless it is an invoice, decides
 * nothing more, so it is not kept (as `settle` would drop it); an invoice is kept and its id becomes known.
 */
function settlesAlone(state: ContractState, fact: FactSummary): boolean {
  if (fact.version !== null || state.facts.has(fact.eventId)) return false;
  const verdict = validate(state.known, fact);
  if (verdict.final.length > 0 || verdict.reason !== null) return false;
  const invoiceId = fact.invoiceId;
  if (invoiceId === null) return true;
  for (const kept of state.facts.values())
    if (kept.invoiceId === invoiceId || kept.creditsInvoice === invoiceId) return false;
  state.facts.set(fact.eventId, fact);
  // `known` and `invoices` may be shared with the state this one was copied from: replaced, never changed.
  state.known = { ...state.known, invoices: new Set(state.known.invoices).add(invoiceId) };
  state.invoices = new Set(state.invoices).add(invoiceId);
  return true;
}

/** Sequences the kept facts: what applies, what is held, what failed on apply; forgets what no longer decides. */
function settle(state: ContractState): void {
  const sequenced = sequence(state.contractId, state.facts.values());
  state.known = sequenced.known;
  state.appliedVersion = sequenced.versionInForce;
  state.held = sequenced.held.length;
  state.unrecorded = sequenced.invalid;
  const invalid = new Set(sequenced.invalid.map((x) => x.fact.eventId));
  state.versions = new Map();
  state.lines = new Map();
  state.invoices = new Set();
  state.cancelledAt = null;
  for (const fact of state.facts.values()) {
    if (invalid.has(fact.eventId)) continue;
    if (fact.version !== null) {
      state.versions.set(fact.version, fact.type as VersionType);
      for (const [lineId, sku] of fact.lines) if (!state.lines.has(lineId)) state.lines.set(lineId, sku);
      if (fact.type === 'ContractCancelled') state.cancelledAt = fact.version;
    }
    if (fact.invoiceId !== null) state.invoices.add(fact.invoiceId);
  }
  for (const fact of sequenced.applied)
    if (fact.version === null && fact.invoiceId === null) state.facts.delete(fact.eventId);
}

function copy(state: ContractState): ContractState {
  return {
    ...state,
    keys: new Map(state.keys),
    booking: state.booking && { ...state.booking },
    facts: new Map(state.facts),
  };
}

/** Folds stored events into a new state; `state` is left as it was. */
export function fold(state: ContractState, events: Iterable<Foldable>): ContractState {
  const next = copy(state);
  foldInto(next, events);
  return next;
}

/** A copy of `state` that its caller owns: `foldInto` may fold events into it, and no other holder sees that. */
export function draftOf(state: ContractState): ContractState {
  return copy(state);
}

/**
 * Folds stored events into `draft` itself (from `draftOf`; no other holder sees it change). Every state, from
 * `initialContractState` on, is settled after its fold: its sequencing fields are those of `sequence` over its kept
 * facts. That is what lets a fact that `settlesAlone` skip sequencing the whole set.
 */
export function foldInto(draft: ContractState, events: Iterable<Foldable>): void {
  let settled = true;
  for (const event of events) settled = applyInPlace(draft, upcast(event), settled);
  if (!settled) settle(draft);
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
export function heldRejections(
  state: ContractState,
  ctx: { receivedAt: string; actor: string; correlationId?: string | null | undefined },
): ProposedEvent[] {
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
      // The rejection is caused by the event that resolved the held one: it carries that event's correlation id.
      correlationId: ctx.correlationId ?? null,
      causationId: fact.eventId,
      actor: ctx.actor,
    },
  }));
}

/**
 * The events one inbound event appends to its contract's stream: itself (applied now or held), then a
 * HeldEventRejected for every held event it resolved that fails validation then; none for a duplicate.
 */
function decideEvents(state: ContractState, command: ContractCommand): ProposedEvent[] | Rejected {
  const decision = decide(state, command);
  if (decision.outcome === 'rejected') return decision;
  if (decision.outcome === 'duplicate') return [];
  const after = fold(state, [asFoldable(decision, (state.revision ?? -1) + 1)]);
  const correlationId = command.correlationId ?? command.event.correlationId ?? null;
  return [decision.event, ...heldRejections(after, { ...command, correlationId })];
}

/** A contract's stream (the key: its contract id): every inbound event about it and what the store decided of them. */
export const contract: Decider<ContractState, ContractCommand, Foldable, Rejected> = {
  stream: contractStream,
  initial: initialContractState,
  evolve,
  decide: decideEvents,
};
