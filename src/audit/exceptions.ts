// The exceptions read model as people read it: one list of work items over every kind, each with its age and SLA
// (the clock is the reader's), filtered and sorted by the amount at stake. The `exceptions` projection holds the
// items the log records (refused inputs, unmapped SKUs, tie-out breaks) and every step people took; the kinds whose
// cause is another read model's current state are read from it here (held events from revenue-schedule, schedule
// exceptions, quarantined documents, rejected journals from posting-status, blocked contracts from the log, as the
// next posting run would find them) and joined with their steps by id. An item someone acted on whose cause is no
// longer found is resolved by the system, and says so.
import {
  EXCEPTION_KINDS,
  amountOf,
  contractVersions,
  effectiveStatus,
  exceptionIdOf,
  exceptions,
  newItem,
} from '../../projections/index.js';
import type {
  ContractVersions,
  ExceptionItem,
  ExceptionKind,
  ExceptionsDoc,
  PostingStatusDoc,
  RevenueScheduleDoc,
} from '../../projections/index.js';
import { HELD_TAG } from '../../projections/index.js';
import type { ExceptionStatus } from '../../commands/exception.js';
import type { JsonObject } from '../../schemas/index.js';
import { REJECTION_CODES } from '../../schemas/index.js';
import { lastCompleteMonth, postingBlocks } from '../posting/index.js';
import { dec, formatMoney, plus } from '../revenue/index.js';
import type { ExceptionCode } from '../revenue/index.js';
import { PROJECTION_FAILED, QUARANTINE_TAG, markOf } from '../runner/index.js';
import type { QuarantineMark } from '../runner/index.js';
import { heldTooLong } from './questions.js';
import type { AuditDeps } from './types.js';

/** Hours an item of each kind may stay unresolved (REVTRAIL_EXCEPTION_SLA overrides them). */
export type SlaHours = Record<ExceptionKind, number>;

export interface ExceptionDeps extends AuditDeps {
  now: () => Date;
  sla: SlaHours;
}

export interface ExceptionFilter {
  kind?: string | null;
  legalEntity?: string | null;
  /** A status, or 'active' (open or acknowledged, the default), or 'all'. */
  status?: ExceptionStatus | 'active' | 'all' | null;
  owner?: string | null;
  minAgeHours?: number | null;
  minAmount?: string | null;
  contractId?: string | null;
}

type ItemFields = Pick<
  ExceptionItem,
  | 'id'
  | 'document'
  | 'kind'
  | 'code'
  | 'contractId'
  | 'legalEntity'
  | 'amount'
  | 'currency'
  | 'firstSeen'
  | 'message'
  | 'owner'
  | 'details'
  | 'notes'
  | 'history'
  | 'replays'
>;

export interface ExceptionView extends ItemFields {
  status: ExceptionStatus;
  resolvedBy: 'user' | 'system' | null;
  resolution: { at: string | null; reason: string | null } | null;
  ageHours: number;
  slaDueAt: string;
  overdue: boolean;
}

/** The largest page a list answers. */
export const MAX_EXCEPTIONS_PAGE = 500;

const HOUR_MS = 60 * 60 * 1000;
const VERSIONS = contractVersions.name;
const SCHEDULES = 'revenue-schedule';
const POSTINGS = 'posting-status';
/** Kinds read from other read models here (the projection holds only the steps taken on them). */
const CONDITION_KINDS: ReadonlySet<string> = new Set([
  'held',
  'held_too_long',
  'quarantined',
  'journal_blocked',
  'journal_rejected',
]);
const ownedByProjection = (i: Pick<ExceptionItem, 'kind' | 'code'>): boolean =>
  !CONDITION_KINDS.has(i.kind) && !(i.kind === 'schedule' && i.code !== 'UNMAPPED_SKU');

/** The orders a list comes in: `impact` (the default) is the amount at stake, largest first; `age` oldest first. */
export const EXCEPTION_SORTS = ['impact', 'age'] as const;
export type ExceptionSort = (typeof EXCEPTION_SORTS)[number];

// Both orders end on first seen, then id, so items that tie keep one order from page to page.
const ORDER: Record<ExceptionSort, (a: ExceptionView, b: ExceptionView) => number> = {
  impact: (a, b) =>
    dec(b.amount).comparedTo(dec(a.amount)) || a.firstSeen.localeCompare(b.firstSeen) || a.id.localeCompare(b.id),
  age: (a, b) =>
    a.firstSeen.localeCompare(b.firstSeen) || dec(b.amount).comparedTo(dec(a.amount)) || a.id.localeCompare(b.id),
};

/** Every item the filter asks for, in the order asked (by impact unless told), a page of them. */
export async function listExceptions(
  deps: ExceptionDeps,
  filter: ExceptionFilter,
  page: { limit: number; offset: number; sort?: ExceptionSort },
): Promise<{ items: ExceptionView[]; total: number }> {
  const all = await allItems(deps, filter.kind ?? null, filter.contractId ?? null);
  const views = all.map((i) => view(deps, i)).filter((v) => matches(v, filter));
  views.sort(ORDER[page.sort ?? 'impact']);
  return { items: views.slice(page.offset, page.offset + page.limit), total: views.length };
}

/** One item by id, whatever its status; null when no item has that id. */
export async function exceptionById(deps: ExceptionDeps, id: string): Promise<ExceptionView | null> {
  const [key] = await deps.read.keysByTag(exceptions.name, [`item:${id}`]);
  const doc = key === undefined ? null : ((await deps.read.get(exceptions.name, key)) as ExceptionsDoc | null);
  const kept = doc?.items[id];
  if (kept && ownedByProjection(kept)) return view(deps, kept);
  // A condition: found among its contract's (or, not acted on yet, among every contract's).
  const items = await allItems(deps, kept?.kind ?? null, kept?.contractId ?? null);
  const found = items.find((i) => i.id === id);
  return found ? view(deps, found) : null;
}

function matches(v: ExceptionView, f: ExceptionFilter): boolean {
  const status = f.status ?? 'active';
  if (
    status === 'active' ? v.status !== 'open' && v.status !== 'acknowledged' : status !== 'all' && v.status !== status
  )
    return false;
  if (f.kind && v.kind !== f.kind && v.code !== f.kind) return false;
  if (f.legalEntity && v.legalEntity !== f.legalEntity) return false;
  if (f.owner && v.owner !== f.owner) return false;
  if (f.contractId && v.contractId !== f.contractId) return false;
  if (f.minAgeHours != null && v.ageHours < f.minAgeHours) return false;
  if (f.minAmount != null && dec(v.amount).lt(dec(f.minAmount))) return false;
  return true;
}

function view(deps: ExceptionDeps, item: ExceptionItem): ExceptionView {
  const { userStatus, systemResolution } = item;
  const { id, code, contractId, legalEntity, amount, currency, firstSeen, message, owner, details, notes } = item;
  const rest = {
    id,
    document: item.document,
    contractId,
    legalEntity,
    amount,
    currency,
    firstSeen,
    message,
    owner,
    details,
    notes,
  };
  const status = effectiveStatus(item);
  const userClosed = userStatus === 'resolved' || userStatus === 'ignored';
  const closing = [...item.history].reverse().find((h) => h.action === 'resolved' || h.action === 'ignored');
  const now = deps.now().getTime();
  const first = Date.parse(item.firstSeen);
  const kind = (
    item.kind === 'held' && heldTooLong(item.firstSeen, heldAge(deps)) ? 'held_too_long' : item.kind
  ) as ExceptionKind;
  const due = first + (deps.sla[kind] ?? 24) * HOUR_MS;
  return {
    ...rest,
    kind,
    code: kind === 'held_too_long' ? 'HELD_TOO_LONG' : code,
    history: item.history,
    replays: item.replays,
    status,
    resolvedBy: userClosed ? 'user' : systemResolution ? 'system' : null,
    resolution: userClosed
      ? { at: closing?.at ?? null, reason: closing?.detail ?? null }
      : systemResolution
        ? { at: systemResolution.at || null, reason: systemResolution.reason }
        : null,
    ageHours: Math.max(0, Math.floor((now - first) / (HOUR_MS / 100)) / 100),
    slaDueAt: new Date(due).toISOString(),
    overdue: (status === 'open' || status === 'acknowledged') && now > due,
  };
}

const heldAge = (deps: ExceptionDeps) => deps.held ?? { now: deps.now, maxAgeDays: 7 };

/** The projection's items (of a kind, of a contract) joined with the conditions the other read models show now. */
async function allItems(deps: ExceptionDeps, kind: string | null, contractId: string | null): Promise<ExceptionItem[]> {
  const docs = await projectionDocs(deps, kind, contractId);
  const kept = new Map<string, ExceptionItem>();
  for (const d of docs) for (const [id, item] of Object.entries(d.items)) kept.set(id, item);
  const wanted = (k: string) => kind === null || kind === k || !isKind(kind);
  const conditions = await conditionItems(deps, wanted, contractId);
  const out: ExceptionItem[] = [];
  const seen = new Set<string>();
  for (const c of conditions) {
    seen.add(c.id);
    const steps = kept.get(c.id);
    out.push(steps ? { ...steps, ...subjectOf(c), details: c.details, systemResolution: null } : c);
  }
  for (const item of kept.values()) {
    if (ownedByProjection(item)) out.push(item);
    else if (!seen.has(item.id) && wanted(item.kind))
      // Acted on, and its cause is no longer found.
      out.push({
        ...item,
        systemResolution: item.systemResolution ?? {
          at: '',
          reason: `${item.code} is no longer reported for ${item.contractId ?? 'it'}`,
        },
      });
  }
  return out;
}

const isKind = (k: string): boolean => (EXCEPTION_KINDS as readonly string[]).includes(k);

function subjectOf(i: ExceptionItem): Partial<ExceptionItem> {
  const { kind, code, contractId, legalEntity, amount, currency, firstSeen, message } = i;
  return { kind, code, contractId, legalEntity, amount, currency, firstSeen, message };
}

async function projectionDocs(deps: ExceptionDeps, kind: string | null, contractId: string | null) {
  if (contractId !== null) {
    const doc = await deps.read.get(exceptions.name, `contract:${contractId}`);
    return doc ? [doc as ExceptionsDoc] : [];
  }
  const kindTag = kind !== null && isKind(kind) ? [`kind:${kind === 'held_too_long' ? 'held' : kind}`] : null;
  if (kindTag) {
    const keys = await deps.read.keysByTag(exceptions.name, kindTag);
    return [...(await deps.read.getMany(exceptions.name, keys)).values()] as ExceptionsDoc[];
  }
  const out: ExceptionsDoc[] = [];
  for (let after: string | undefined; ;) {
    const page = await deps.read.list(exceptions.name, { ...(after ? { afterKey: after } : {}), limit: 1000 });
    for (const { key, doc } of page) if (!key.startsWith('$')) out.push(doc as ExceptionsDoc);
    if (page.length < 1000) return out;
    after = page[page.length - 1]!.key;
  }
}

/** Measures of a contract for its items: entity, currency, amount per line and in total, when it was booked. */
interface Measures {
  legalEntity: string | null;
  currency: string | null;
  total: string;
  lines: Map<string, string>;
  /** Null for a contract not booked (yet): its items are dated by what was received of it (`receivedSince`). */
  bookedAt: string | null;
}

const EPOCH = new Date(0).toISOString();

/** When the first fact of a contract's schedule was received: what dates the items of a contract not booked. */
function receivedSince(doc: RevenueScheduleDoc | null): string | null {
  let first: string | null = null;
  for (const f of [...(doc?.facts ?? []), ...(doc?.pending ?? []), ...(doc?.rejected ?? [])])
    if (typeof f.receivedAt === 'string' && (first === null || f.receivedAt < first)) first = f.receivedAt;
  return first;
}

function measuresOf(v: ContractVersions | null): Measures {
  const lines = new Map<string, string>();
  let total = dec('0');
  for (const l of v?.lines ?? []) {
    lines.set(l.lineId as string, l.amount as string);
    total = plus(total, dec(l.amount as string));
  }
  return {
    legalEntity: v?.legalEntity ?? null,
    currency: v?.currency ?? null,
    total: total.toString(),
    lines,
    bookedAt: v?.versions[0]?.receivedAt ?? null,
  };
}

type Wanted = (kind: string) => boolean;

/** The schedule exception codes read here (UNMAPPED_SKU is the projection's own). */
const SCHEDULE_CODES: readonly Exclude<ExceptionCode, 'UNMAPPED_SKU'>[] = [
  'NO_BOOKING',
  'MISSING_SERVICE_PERIOD',
  'UNKNOWN_LINE',
  'NEGATIVE_REMAINING_CONSIDERATION',
  'USAGE_AFTER_CANCELLATION',
  'CREDIT_EXCEEDS_CONSIDERATION',
];

/** The conditions the other read models show now, as items with no steps taken yet. */
async function conditionItems(deps: ExceptionDeps, wanted: Wanted, only: string | null): Promise<ExceptionItem[]> {
  const scheduleTags = [
    ...(wanted('schedule') ? ['exception:'] : []),
    ...(wanted('held') || wanted('held_too_long') ? [HELD_TAG] : []),
    ...(wanted('quarantined') ? [QUARANTINE_TAG] : []),
  ];
  const postingTags = [
    ...(wanted('journal_rejected') ? REJECTION_CODES.map((c) => `rejection:${c}`) : []),
    ...(wanted('quarantined') ? [QUARANTINE_TAG] : []),
  ];
  const scheduleKeys = await scheduleKeysOf(deps, scheduleTags, only);
  const postingKeys = postingTags.length === 0 ? [] : only ? [only] : await deps.read.keysByTag(POSTINGS, postingTags);
  const blocked = wanted('journal_blocked')
    ? await postingBlocks(deps.store, undefined, lastCompleteMonth(deps.now()))
    : [];
  const ids = [...new Set([...scheduleKeys, ...postingKeys, ...blocked.map((b) => b.contractId)])];
  const filtered = only ? ids.filter((i) => i === only) : ids;
  const [versions, schedules, postings] = await Promise.all([
    deps.read.getMany(VERSIONS, filtered),
    deps.read.getMany(SCHEDULES, scheduleKeys),
    deps.read.getMany(POSTINGS, postingKeys),
  ]);
  const out: ExceptionItem[] = [];
  for (const id of filtered) {
    const m = measuresOf((versions.get(id) as ContractVersions | undefined) ?? null);
    const schedule = (schedules.get(id) as RevenueScheduleDoc | undefined) ?? null;
    const posting = (postings.get(id) as PostingStatusDoc | undefined) ?? null;
    if (schedule) out.push(...scheduleConditions(id, m, schedule, wanted));
    if (posting) out.push(...postingConditions(id, m, posting, wanted, schedule));
    const since = m.bookedAt ?? receivedSince(schedule) ?? EPOCH;
    for (const b of blocked.filter((x) => x.contractId === id))
      out.push(condition('journal_blocked', b.code, id, m, m.total, since, b.message, { code: b.code }, [b.code]));
  }
  return out;
}

async function scheduleKeysOf(deps: ExceptionDeps, tags: string[], only: string | null): Promise<string[]> {
  if (tags.length === 0) return [];
  if (only) return [only];
  // The `exception:` prefix stands for every schedule exception code: the codes come from the documents' tags.
  const expanded = tags.flatMap((t) => (t === 'exception:' ? SCHEDULE_CODES.map((c) => `exception:${c}`) : [t]));
  return deps.read.keysByTag(SCHEDULES, expanded);
}

function scheduleConditions(id: string, m: Measures, doc: RevenueScheduleDoc, wanted: Wanted): ExceptionItem[] {
  const out: ExceptionItem[] = [];
  const since = m.bookedAt ?? receivedSince(doc) ?? EPOCH;
  if (wanted('schedule'))
    for (const x of doc.schedule?.exceptions ?? []) {
      if (x.code === 'UNMAPPED_SKU') continue; // the projection's own, resolved when the mapping arrives
      const amount = (x.lineId && m.lines.get(x.lineId)) || m.total;
      const details: JsonObject = { lineId: x.lineId ?? null, sku: x.sku ?? null, eventId: x.eventId ?? null };
      const ref = x.lineId ?? x.eventId ?? x.sku ?? '';
      out.push(condition('schedule', x.code, id, m, amount, since, x.message, details, [x.code, ref]));
    }
  if (wanted('held') || wanted('held_too_long'))
    for (const f of doc.pending) {
      const amount = amountOf(f.data);
      const message = `${f.type} ${f.eventId} is held: ${f.message ?? f.reason ?? 'it waits'}`;
      const details: JsonObject = { eventId: f.eventId, type: f.type, reason: f.reason };
      out.push(condition('held', f.reason ?? 'HELD', id, m, amount, f.receivedAt, message, details, [f.eventId]));
    }
  const mark = markOf(doc);
  if (mark && wanted('quarantined')) out.push(quarantined(id, m, since, SCHEDULES, mark));
  return out;
}

function postingConditions(
  id: string,
  m: Measures,
  doc: PostingStatusDoc,
  wanted: Wanted,
  schedule: RevenueScheduleDoc | null,
): ExceptionItem[] {
  const out: ExceptionItem[] = [];
  if (wanted('journal_rejected'))
    for (const j of doc.journals) {
      if (j.status !== 'rejected' || !j.rejection) continue;
      const at = j.updatedAt || j.preparedAt;
      const details: JsonObject = { journalId: j.journalId, period: j.period, eventId: j.eventId };
      out.push(
        condition('journal_rejected', j.rejection.code, id, m, j.debit, at, j.rejection.message, details, [
          j.journalId,
        ]),
      );
    }
  const mark = markOf(doc);
  const since = m.bookedAt ?? receivedSince(schedule) ?? EPOCH;
  if (mark && wanted('quarantined')) out.push(quarantined(id, m, since, POSTINGS, mark));
  return out;
}

function quarantined(id: string, m: Measures, since: string, projection: string, mark: QuarantineMark) {
  // The error, and the event position it names (the stage that failed: folding an event, or deriving the document).
  const message = `${mark.message} (${mark.stage} at position ${mark.position})`;
  const details: JsonObject = { projection, eventId: mark.eventId, stage: mark.stage, position: mark.position };
  return condition('quarantined', PROJECTION_FAILED, id, m, m.total, since, message, details, [projection]);
}

function condition(
  kind: ExceptionKind,
  code: string,
  contractId: string,
  m: Measures,
  amount: string,
  firstSeen: string,
  message: string,
  details: JsonObject,
  idParts: string[],
): ExceptionItem {
  const subject = {
    kind,
    code,
    document: `contract:${contractId}`,
    contractId,
    legalEntity: m.legalEntity,
    amount: formatMoney(dec(amount).abs(), m.currency ?? ''),
    currency: m.currency,
    firstSeen,
    message,
  };
  return newItem(subject, exceptionIdOf(kind, contractId, ...idParts), details);
}

/** A refused input as the replay surface lists it. */
export interface RefusedInput {
  id: string;
  exceptionId: string;
  day: string;
  system: string | null;
  code: string;
  type: string | null;
  contractId: string | null;
  receivedAt: string;
  status: ExceptionStatus;
  replays: number;
  replayOf: string | null;
  message: string;
}

/** Refused inputs (filters: day YYYY-MM-DD, source system, code), newest first, with the replays made in total. */
export async function listRejections(
  deps: ExceptionDeps,
  filter: { day?: string | null; system?: string | null; code?: string | null },
  page: { limit: number; offset: number },
): Promise<{ items: RefusedInput[]; total: number; replays: number }> {
  const docs = await projectionDocs(deps, 'refused_input', null);
  const all: RefusedInput[] = [];
  let replays = 0;
  for (const doc of docs)
    for (const item of Object.values(doc.items)) {
      if (item.kind !== 'refused_input') continue;
      replays += item.replays;
      const r = refusedInputOf(item);
      if (filter.day && r.day !== filter.day) continue;
      if (filter.system && r.system !== filter.system) continue;
      if (filter.code && r.code !== filter.code) continue;
      all.push(r);
    }
  all.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt) || a.id.localeCompare(b.id));
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length, replays };
}

function refusedInputOf(item: ExceptionItem): RefusedInput {
  const d = item.details;
  return {
    id: d.rejectionId as string,
    exceptionId: item.id,
    day: d.day as string,
    system: (d.system as string | null) ?? null,
    code: item.code,
    type: (d.type as string | null) ?? null,
    contractId: item.contractId,
    receivedAt: item.firstSeen,
    status: effectiveStatus(item),
    replays: item.replays,
    replayOf: (d.replayOf as string | null) ?? null,
    message: item.message,
  };
}

/** One refused input: its listing, and the InputRejected event as kept in the log (what was sent, and why refused). */
export async function rejectionById(
  deps: ExceptionDeps,
  id: string,
): Promise<{ rejection: RefusedInput; event: JsonObject; exception: ExceptionView } | null> {
  const doc = (await deps.read.get(exceptions.name, `rejection:${id}`)) as ExceptionsDoc | null;
  const item = doc ? Object.values(doc.items).find((i) => i.kind === 'refused_input') : undefined;
  if (!item) return null;
  const rejection = refusedInputOf(item);
  for await (const e of deps.store.readStream(`rejections-${rejection.day}`))
    if (e.eventId === id)
      return {
        rejection,
        event: { eventId: e.eventId, type: e.type, data: e.data, metadata: e.metadata as unknown as JsonObject },
        exception: view(deps, item),
      };
  return null;
}
