// exceptions: the work items the log itself records, and what people did with every work item. One document per
// subject: `rejection:<eventId>` for a refused input (rejections-*), `contract:<contractId>` for a contract's items
// (its SKUs without a product mapping, followed through the mapping's shared state, and the steps taken on its other
// items), `tie-out:<legalEntity>:<period>` for the breaks `revtrail reconcile` recorded. The steps (assign,
// acknowledge, resolve, ignore, note, replay) come from each item's own stream (commands/exception.ts); each event
// names the document of its item. Kinds whose cause is a read model's current state (held events, schedule
// exceptions, quarantined documents, blocked and rejected journals) are listed by the reader (src/audit/exceptions.ts)
// and joined there with the steps kept here.
//
// An item whose cause goes away resolves itself and says why (`resolvedBy: 'system'`): a mapping arrives for the SKU,
// a replay of the refused input is accepted, a later tie-out finds no break. Age and SLA are the reader's (the clock).
import type { JsonObject, RecordedEvent } from '../schemas/index.js';
import { sha256Hex } from '../schemas/index.js';
import type { ExceptionStatus, ExceptionSubject } from '../commands/exception.js';
import { EXCEPTION_STREAM_PREFIX } from '../commands/exception.js';
import { isVersionType } from '../commands/versions.js';
import { dec, formatMoney, plus, ZERO } from '../src/revenue/index.js';
import type { Projection, SharedState } from './types.js';

/** The kinds of work item, one read model for all of them. */
export const EXCEPTION_KINDS = [
  'refused_input',
  'held',
  'held_too_long',
  'schedule',
  'quarantined',
  'journal_blocked',
  'journal_rejected',
  'reconciliation_break',
] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export const TIE_OUT_STREAM_PREFIX = 'tie-out-';
export const TIE_OUT_RECORDED = 'TieOutRecorded';

export interface ExceptionStep extends JsonObject {
  at: string;
  actor: string;
  action: string;
  detail: string | null;
}

export interface ExceptionItem extends ExceptionSubject {
  id: string;
  /** What people decided (open until someone acts). */
  userStatus: ExceptionStatus;
  owner: string | null;
  /** The cause went away: when and why (null while it stands, or when that is the reader's to say). */
  systemResolution: { at: string; reason: string } | null;
  /** Kind-specific facts: the SKU, the refused input and its errors, the journal, the account of a break. */
  details: JsonObject;
  notes: { at: string; actor: string; text: string }[];
  history: ExceptionStep[];
  replays: number;
}

export interface ExceptionsDoc extends JsonObject {
  document: string;
  items: { [id: string]: ExceptionItem };
  /** A contract document: what its items are measured with. */
  contract: {
    contractId: string;
    legalEntity: string | null;
    currency: string | null;
    /** The lines of the latest version: [lineId, sku, amount]. */
    lines: [string, string, string][];
    version: number;
    bookedAt: string | null;
  } | null;
}

/** The SKUs the product mapping in force maps. */
export interface MappedSkus extends JsonObject {
  version: number;
  skus: string[];
}

/**
 * Ids already digested: every event of a contract asks again for the ids of its SKUs' UNMAPPED_SKU items (they follow
 * the lines and the mapping), and a SHA-256 per SKU per event was about half of this projection's fold in a rebuild.
 */
const idsOf = new Map<string, string>();

/** A stable, URL-safe id for an item: a digest of what it is about (the same cause always has the same id). */
export function exceptionIdOf(kind: ExceptionKind, ...parts: string[]): string {
  const about = JSON.stringify([kind, ...parts]);
  let id = idsOf.get(about);
  if (id === undefined) {
    if (idsOf.size >= 10_000) idsOf.clear();
    id = `EX-${sha256Hex(about).slice(0, 24)}`;
    idsOf.set(about, id);
  }
  return id;
}

/** The status an item stands at: closed by a person, else resolved by the system when its cause went away. */
export function effectiveStatus(item: Pick<ExceptionItem, 'userStatus' | 'systemResolution'>): ExceptionStatus {
  if (item.userStatus === 'resolved' || item.userStatus === 'ignored') return item.userStatus;
  return item.systemResolution ? 'resolved' : item.userStatus;
}

const skuTag = (sku: string): string => `sku:${sku}`;
export const itemTag = (id: string): string => `item:${id}`;
export const contractDocument = (contractId: string): string => `contract:${contractId}`;

const mappedSkus: SharedState<MappedSkus> = {
  key: '$mapped-skus',
  initial: () => ({ version: 0, skus: [] }),
  accepts: (e) => e.streamId === 'mapping-products' && e.type === 'ProductMappingPublished',
  evolve: (_state, e) => ({
    version: e.data.version as number,
    skus: [...new Set((e.data.products as JsonObject[]).map((p) => p.sku as string))].sort(),
  }),
  affected: (before, after) => {
    const was = new Set(before.skus);
    const now = new Set(after.skus);
    return [...new Set([...was, ...now])].filter((s) => was.has(s) !== now.has(s)).map(skuTag);
  },
};

export const exceptions: Projection<ExceptionsDoc, MappedSkus> = {
  name: 'exceptions',
  filter: {
    streamPrefixes: ['contract-', 'rejections-', EXCEPTION_STREAM_PREFIX, TIE_OUT_STREAM_PREFIX, 'mapping-products'],
  },
  shared: mappedSkus,
  keyOf,
  initial: (document) => ({ document, items: {}, contract: null }),
  evolve: (doc, e, shared) => {
    if (e.streamId.startsWith(EXCEPTION_STREAM_PREFIX)) return step(doc, e);
    if (e.streamId.startsWith('rejections-')) return refusedInput(doc, e);
    if (e.streamId.startsWith(TIE_OUT_STREAM_PREFIX)) return tieOut(doc, e);
    return unmappedSkus(e.streamId.startsWith('contract-') ? contractFact(doc, e) : doc, e, shared);
  },
  tagsOf: (doc) => [
    ...(doc.contract ? [...new Set(doc.contract.lines.map(([, sku]) => sku))].map(skuTag) : []),
    ...Object.keys(doc.items).map(itemTag),
    ...new Set(Object.values(doc.items).map((i) => `kind:${i.kind}`)),
    ...new Set(Object.values(doc.items).map((i) => `status:${effectiveStatus(i)}`)),
  ],
};

function keyOf(e: RecordedEvent): string | null {
  if (e.streamId.startsWith(EXCEPTION_STREAM_PREFIX)) return (e.data.subject as JsonObject).document as string;
  if (e.streamId.startsWith('rejections-')) return e.type === 'InputRejected' ? `rejection:${e.eventId}` : null;
  if (e.streamId.startsWith(TIE_OUT_STREAM_PREFIX))
    return `tie-out:${(e.data.legalEntity as string | null) ?? '*'}:${e.data.period as string}`;
  if (e.streamId.startsWith('contract-') && typeof e.data.contractId === 'string')
    return contractDocument(e.data.contractId);
  return null;
}

/** An item as first seen: open, unowned, no notes; the user's steps and the cause's going away come later. */
export function newItem(subject: ExceptionSubject, id: string, details: JsonObject): ExceptionItem {
  return {
    ...subject,
    id,
    userStatus: 'open',
    owner: null,
    systemResolution: null,
    details,
    notes: [],
    history: [],
    replays: 0,
  };
}

/** A step someone took on an item (or a replay): the item is created from the event's subject when not known yet. */
function step(doc: ExceptionsDoc, e: RecordedEvent): ExceptionsDoc {
  const id = e.data.exceptionId as string;
  const subject = e.data.subject as ExceptionSubject;
  const item = doc.items[id] ?? newItem(subject, id, {});
  const at = e.metadata.receivedAt;
  const actor = e.metadata.actor ?? 'unknown';
  let next: ExceptionItem = { ...item };
  let detail: string | null = null;
  switch (e.type) {
    case 'ExceptionAssigned':
      next.owner = e.data.owner as string;
      detail = `owner ${next.owner}`;
      break;
    case 'ExceptionAcknowledged':
      next.userStatus = 'acknowledged';
      break;
    case 'ExceptionResolved':
    case 'ExceptionIgnored':
      next.userStatus = e.type === 'ExceptionResolved' ? 'resolved' : 'ignored';
      detail = (e.data.reason as string | null) ?? null;
      break;
    case 'ExceptionNoted':
      next.notes = [...item.notes, { at, actor, text: e.data.text as string }];
      detail = e.data.text as string;
      break;
    case 'ExceptionReplayed':
      next = replayed(next, e);
      detail = `${e.data.outcome as string}${e.data.corrected ? ' (corrected)' : ''} -> ${JSON.stringify(e.data.replayEventId)}`;
      break;
  }
  const action = e.type.replace(/^Exception/, '').toLowerCase();
  next.history = [...item.history, { at, actor, action, detail }];
  return { ...doc, items: { ...doc.items, [id]: next } };
}

function replayed(item: ExceptionItem, e: RecordedEvent): ExceptionItem {
  const replays = item.replays + 1;
  if (e.data.outcome !== 'accepted') return { ...item, replays };
  const how = e.data.corrected ? 'corrected and replayed' : 'replayed';
  return {
    ...item,
    replays,
    systemResolution: {
      at: e.metadata.receivedAt,
      reason: `${how}: accepted as event ${JSON.stringify(e.data.replayEventId)}`,
    },
  };
}

/** A refused input kept in rejections-<day>: one item, measured by what the input itself says. */
function refusedInput(doc: ExceptionsDoc, e: RecordedEvent): ExceptionsDoc {
  const id = exceptionIdOf('refused_input', e.eventId);
  const input = typeof e.data.input === 'object' && e.data.input !== null ? (e.data.input as JsonObject) : null;
  const data = (input?.data as JsonObject | undefined) ?? {};
  const errors = (e.data.errors as JsonObject[]) ?? [];
  const source = (input?.source as JsonObject | undefined) ?? null;
  const subject: ExceptionSubject = {
    kind: 'refused_input',
    // A held event that failed validation once its references arrived: refused on apply, its errors in the message.
    code: e.data.heldEventId ? 'HELD_EVENT_REJECTED' : ((errors[0]?.code as string | undefined) ?? 'REJECTED'),
    document: doc.document,
    contractId: typeof input?.contractId === 'string' ? input.contractId : null,
    legalEntity: typeof data.legalEntity === 'string' ? data.legalEntity : null,
    amount: formatMoney(dec(amountOf(data)), typeof data.currency === 'string' ? data.currency : ''),
    currency: typeof data.currency === 'string' ? data.currency : null,
    firstSeen: e.metadata.receivedAt,
    message: errors.map(errorText).join('; '),
  };
  const details: JsonObject = {
    rejectionId: e.eventId,
    day: e.streamId.slice('rejections-'.length),
    system: typeof source?.system === 'string' ? source.system : null,
    type: typeof input?.type === 'string' ? input.type : null,
    heldEventId: (e.data.heldEventId as string | undefined) ?? null,
    replayOf: e.metadata.replayOf ?? e.metadata.correctedFrom ?? null,
  };
  const item = doc.items[id] ?? newItem(subject, id, details);
  return { ...doc, items: { ...doc.items, [id]: { ...item, ...subject, details } } };
}

const errorText = (x: JsonObject): string =>
  `${x.code as string}${typeof x.path === 'string' ? ` at ${x.path}` : ''}: ${x.message as string}`;

/** What an inbound event's data puts at stake: its lines' amounts, else its amount (money strings only). */
export function amountOf(data: JsonObject): string {
  const money = (v: unknown): v is string => typeof v === 'string' && /^-?\d{1,20}(\.\d{1,12})?$/.test(v);
  let total = ZERO;
  if (Array.isArray(data.lines))
    for (const l of data.lines as JsonObject[]) if (money(l?.amount)) total = plus(total, dec(l.amount));
  if (total.isZero() && money(data.amount)) total = dec(data.amount);
  return total.abs().toString();
}

/** Folds what a contract's items are measured with: entity, currency, the latest version's lines. */
function contractFact(doc: ExceptionsDoc, e: RecordedEvent): ExceptionsDoc {
  const contractId = e.data.contractId as string;
  const c = doc.contract ?? {
    contractId,
    legalEntity: null,
    currency: null,
    lines: [],
    version: 0,
    bookedAt: null,
  };
  // Only a version changes the lines: any other fact leaves a known contract (and so the document) as it is.
  if (!isVersionType(e.type) || e.type === 'ContractCancelled') return doc.contract ? doc : { ...doc, contract: c };
  const version = e.data.version as number;
  const booking = e.type === 'ContractBooked';
  const next = {
    ...c,
    legalEntity: booking ? (e.data.legalEntity as string) : c.legalEntity,
    currency: booking ? (e.data.currency as string) : c.currency,
    bookedAt: booking ? e.metadata.receivedAt : c.bookedAt,
  };
  if (version < c.version) return { ...doc, contract: next };
  const lines = (e.data.lines as JsonObject[]).map((l): [string, string, string] => [
    l.lineId as string,
    l.sku as string,
    l.amount as string,
  ]);
  return { ...doc, contract: { ...next, lines, version } };
}

/**
 * UNMAPPED_SKU: a SKU of the contract's lines the product mapping in force does not map. A mapping that maps it
 * resolves the item (by the system, naming the mapping version); one that drops it again opens it again. An event that
 * changes none of the items (most of a contract's facts) leaves the document as it is, the same object, which the
 * runner then does not write again.
 */
function unmappedSkus(doc: ExceptionsDoc, e: RecordedEvent, shared: MappedSkus): ExceptionsDoc {
  const c = doc.contract;
  if (!c) return doc;
  const mapped = mappedSet(shared);
  let items: ExceptionsDoc['items'] | null = null;
  const set = (id: string, item: ExceptionItem): void => {
    items ??= { ...doc.items };
    items[id] = item;
  };
  for (const { sku, id, amount } of skusOf(c)) {
    const item = doc.items[id];
    if (mapped.has(sku)) {
      if (item && !item.systemResolution)
        set(id, {
          ...item,
          systemResolution: {
            at: e.metadata.receivedAt,
            reason: `product mapping version ${shared.version} maps ${sku}`,
          },
        });
      continue;
    }
    const subject: ExceptionSubject = {
      kind: 'schedule',
      code: 'UNMAPPED_SKU',
      document: doc.document,
      contractId: c.contractId,
      legalEntity: c.legalEntity,
      amount,
      currency: c.currency,
      firstSeen: item?.firstSeen ?? e.metadata.receivedAt,
      message: `SKU ${sku} has no product mapping`,
    };
    if (item && item.systemResolution === null && sameSubject(item, subject)) continue;
    set(id, { ...(item ?? newItem(subject, id, { sku })), ...subject, systemResolution: null });
  }
  return items ? { ...doc, items } : doc;
}

type ContractLines = NonNullable<ExceptionsDoc['contract']>;

/** One SKU of a contract's lines: its UNMAPPED_SKU item's id, and the amount its lines put at stake. */
interface ContractSku {
  sku: string;
  id: string;
  amount: string;
}

/**
 * The SKUs of a contract's lines, kept per contract: its part of the document is replaced, never changed, when a
 * version changes it, and until then every fact asks again.
 */
const skusOfContract = new WeakMap<ContractLines, ContractSku[]>();
function skusOf(c: ContractLines): ContractSku[] {
  let skus = skusOfContract.get(c);
  if (skus) return skus;
  skus = [...new Set(c.lines.map(([, s]) => s))].map((sku) => {
    const amount = c.lines.filter(([, s]) => s === sku).reduce((sum, [, , a]) => plus(sum, dec(a)), ZERO);
    return {
      sku,
      id: exceptionIdOf('schedule', c.contractId, 'UNMAPPED_SKU', sku),
      amount: c.currency ? formatMoney(amount, c.currency) : amount.toString(),
    };
  });
  skusOfContract.set(c, skus);
  return skus;
}

/** The SKUs a mapping in force maps, as a set: asked for on every fact of every contract. */
const mappedSets = new WeakMap<MappedSkus, Set<string>>();
function mappedSet(shared: MappedSkus): Set<string> {
  let set = mappedSets.get(shared);
  if (!set) mappedSets.set(shared, (set = new Set(shared.skus)));
  return set;
}

/** Whether an item already says all that `subject` says. */
function sameSubject(item: ExceptionItem, subject: ExceptionSubject): boolean {
  return (Object.keys(subject) as (keyof ExceptionSubject)[]).every((k) => item[k] === subject[k]);
}

/**
 * A recorded tie-out: each (account, currency) difference is a break item; a break of an earlier tie-out of the same
 * scope that this one no longer finds is resolved by the system.
 */
function tieOut(doc: ExceptionsDoc, e: RecordedEvent): ExceptionsDoc {
  if (e.type !== TIE_OUT_RECORDED) return doc;
  const period = e.data.period as string;
  const items = { ...doc.items };
  const found = new Set<string>();
  for (const d of e.data.differences as JsonObject[]) {
    const [entity, account, currency] = [d.legalEntity as string, d.account as string, d.currency as string];
    const id = exceptionIdOf('reconciliation_break', period, entity, account, currency);
    found.add(id);
    const subject: ExceptionSubject = {
      kind: 'reconciliation_break',
      code: 'ERP_TIE_OUT_DIFFERENCE',
      document: doc.document,
      contractId: null,
      legalEntity: entity,
      amount: formatMoney(dec(d.difference as string).abs(), currency),
      currency,
      firstSeen: items[id]?.firstSeen ?? e.metadata.receivedAt,
      message: `${entity} ${account} ${currency} through ${period}: ERP ${d.erp as string}, Revtrail ${d.revtrail as string}`,
    };
    const details: JsonObject = { period, account, erp: d.erp!, revtrail: d.revtrail!, journals: d.journals! };
    items[id] = { ...(items[id] ?? newItem(subject, id, details)), ...subject, details, systemResolution: null };
  }
  for (const [id, item] of Object.entries(items))
    if (item.kind === 'reconciliation_break' && !found.has(id) && !item.systemResolution)
      items[id] = {
        ...item,
        systemResolution: {
          at: e.metadata.receivedAt,
          reason: `the tie-out of ${e.metadata.receivedAt} finds no break`,
        },
      };
  return { ...doc, items };
}
