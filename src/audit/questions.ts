// The three operational questions the audit surface answers directly (docs/graphql.md): which amendments wait
// for revenue recalculation, which invoices and journals failed ERP posting with a given code, and which legal
// entities carry mapping drift. Each is asked of the read models where they index the answer (tags, checkpoints),
// and of the log for what they do not hold (events after a checkpoint, a journal's lines and lineage).
import type {
  ContractVersions,
  PostingStatusDoc,
  ProductsInForce,
  RevenueScheduleDoc,
} from '../../projections/index.js';
import { missingVersions, versionGapMessage } from '../../commands/versions.js';
import { contractVersions, postingStatus, revenueSchedule } from '../../projections/index.js';
import {
  contractPrepareBase,
  journaledBalances,
  lastCompleteMonth,
  postingBlocks,
  postingMappings,
  targetBalances,
} from '../posting/index.js';
import type { PostingMappings } from '../posting/index.js';
import { POSTING_BLOCK_CODES } from '../../schemas/index.js';
import type { PostingBlockCode } from '../../schemas/index.js';
import type { Dec } from '../revenue/index.js';
import { ZERO, dec, formatMoney, minus, plus, sumMoney } from '../revenue/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { comparePositions, formatPosition, upcast } from '../../schemas/index.js';
import { contractEvents, docsOf, eventRef, journalsOf, mappingIndex, mappingRef, productsAt } from './support.js';
import type {
  AccountDifference,
  HeldAge,
  AmendmentAwaiting,
  AmendmentsAwaiting,
  AuditDeps,
  DriftedContract,
  EntityDrift,
  FailedInvoice,
  MappingDrift,
  PostingFailure,
  PostingFailures,
  UnmappedContract,
} from './types.js';

/** Held longer than this many days (of receivedAt) is an exception, HELD_TOO_LONG. */
export const DEFAULT_HELD_MAX_AGE_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/** True when an event received at `receivedAt` and still held has waited past the allowed age. */
export function heldTooLong(receivedAt: string, held: HeldAge | undefined): boolean {
  const now = held?.now() ?? new Date();
  const maxAgeDays = held?.maxAgeDays ?? DEFAULT_HELD_MAX_AGE_DAYS;
  return now.getTime() - Date.parse(receivedAt) > maxAgeDays * DAY_MS;
}

/** A contract's sequencing exceptions: facts rejected on apply, and facts held longer than the allowed age. */
export function sequencingExceptions(
  doc: RevenueScheduleDoc,
  held: HeldAge | undefined,
): { code: 'HELD_EVENT_REJECTED' | 'HELD_TOO_LONG'; message: string; eventId: string; lineId: string | null }[] {
  const lineOf = (data: { lineId?: unknown }) => (typeof data.lineId === 'string' ? data.lineId : null);
  return [
    ...doc.rejected.map((f) => ({
      code: 'HELD_EVENT_REJECTED' as const,
      message:
        `${f.type} ${f.eventId} was held, then failed validation when its references arrived: ` +
        f.errors.map((x) => `${x.code}${x.path ? ` at ${x.path}` : ''}: ${x.message}`).join('; '),
      eventId: f.eventId,
      lineId: lineOf(f.data),
    })),
    ...doc.pending
      .filter((f) => heldTooLong(f.receivedAt, held))
      .map((f) => ({
        code: 'HELD_TOO_LONG' as const,
        message: `${f.type} ${f.eventId} received ${f.receivedAt} is still held: ${f.message ?? 'it waits'}`,
        eventId: f.eventId,
        lineId: lineOf(f.data),
      })),
  ];
}

const byContractThenVersion = (a: AmendmentAwaiting, b: AmendmentAwaiting): number =>
  a.contractId.localeCompare(b.contractId) || a.version - b.version;

/**
 * Amendments (and cancellations: a termination is a modification too, ASC 606-10-25-10) whose effect is not yet in
 * the revenue schedule: those held for an earlier version (the contract-versions read model's held versions, the
 * same rule the schedule's facts wait by), and those the revenue-schedule projection has not read yet (appended after
 * its checkpoint). One filtered pass over the log's version events; the held check reads only the amended contracts.
 */
export async function amendmentsAwaitingRecalculation(deps: AuditDeps): Promise<AmendmentsAwaiting> {
  const [checkpoint, head] = await Promise.all([deps.read.checkpoint(revenueSchedule.name), deps.store.headPosition()]);
  const lagging: RecordedEvent[] = [];
  const known: RecordedEvent[] = [];
  for await (const raw of deps.store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['ContractAmended', 'ContractCancelled'] },
  })) {
    const e = upcast(raw);
    (checkpoint === null || comparePositions(e.position, checkpoint) > 0 ? lagging : known).push(e);
  }
  const docs = await docsOf<ContractVersions>(deps.read, contractVersions.name, [
    ...new Set(known.map((e) => e.data.contractId as string)),
  ]);
  const amendments: AmendmentAwaiting[] = [];
  for (const e of known) {
    const contractId = e.data.contractId as string;
    const version = e.data.version as number;
    const doc = docs.get(contractId);
    if (!doc || !doc.heldVersions.includes(version)) continue;
    const rejected = new Set(doc.rejectedVersions.map((r) => r.version));
    const stored = new Set(doc.versions.map((v) => v.version).filter((v) => !rejected.has(v)));
    const missing = missingVersions(doc.versionInForce, version, (v) => stored.has(v));
    const waits = versionGapMessage(version, missing, `the schedule stays at version ${doc.versionInForce}`);
    amendments.push({
      contractId,
      event: eventRef(e),
      version,
      effectiveDate: e.data.effectiveDate as string,
      reason: 'HELD_VERSION_GAP',
      message: waits,
      versionInForce: doc.versionInForce,
      missingVersions: missing,
    });
  }
  for (const e of lagging) {
    amendments.push({
      contractId: e.data.contractId as string,
      event: eventRef(e),
      version: e.data.version as number,
      effectiveDate: e.data.effectiveDate as string,
      reason: 'PROJECTION_LAG',
      message:
        `appended at position ${formatPosition(e.position)}, after the revenue schedule's checkpoint ` +
        `${checkpoint === null ? '(none)' : formatPosition(checkpoint)}: the schedule has not read it yet`,
      versionInForce: null,
      missingVersions: [],
    });
  }
  return {
    checkpoint: checkpoint === null ? null : formatPosition(checkpoint),
    head: head === null ? null : formatPosition(head),
    amendments: amendments.sort(byContractThenVersion),
  };
}

function invoiceOf(e: RecordedEvent, currency: string): FailedInvoice {
  const d = e.data;
  const invoice = e.type === 'InvoiceIssued';
  return {
    event: eventRef(e),
    documentId: (invoice ? d.invoiceId : d.creditMemoId) as string,
    documentDate: (invoice ? d.invoiceDate : d.issuedOn) as string,
    amount: formatMoney(sumMoney((d.lines as { amount: string }[]).map((l) => dec(l.amount))), currency),
  };
}

/**
 * Journals the ERP refused with `code` (e.g. PERIOD_CLOSED) and still stand refused, with the invoices and credit
 * memos in their lineage; for a blocking code (UNMAPPED_ENTITY, SCHEDULE_EXCEPTION, FX_RATE_MISSING), the booked
 * contracts no journal can be prepared for now. Found by the posting-status read model's `rejection:<CODE>` tag, plus the refusals appended
 * after its checkpoint.
 */
export async function postingFailures(deps: AuditDeps, options: { code: string }): Promise<PostingFailures> {
  const { code } = options;
  if (POSTING_BLOCK_CODES.includes(code as PostingBlockCode))
    return {
      code,
      failures: [],
      blocked: await postingBlocks(
        deps.store,
        code as PostingBlockCode,
        lastCompleteMonth((deps.held?.now ?? (() => new Date()))()),
      ),
    };
  const contracts = new Set(await deps.read.keysByTag(postingStatus.name, [`rejection:${code}`]));
  const checkpoint = await deps.read.checkpoint(postingStatus.name);
  for await (const e of deps.store.readAll({
    after: checkpoint,
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['JournalRejected'] },
  })) {
    if (e.data.code === code) contracts.add(e.data.contractId as string);
  }
  const failures: PostingFailure[] = [];
  for (const contractId of [...contracts].sort()) {
    const events = await contractEvents(deps.store, contractId);
    const byId = new Map(events.map((e) => [e.eventId, e]));
    for (const j of journalsOf(contractId, events)) {
      if (j.summary.status !== 'rejected' || j.summary.rejection?.code !== code) continue;
      const invoices = j.lineage.sourceEventIds
        .map((id) => byId.get(id))
        .filter(
          (e): e is RecordedEvent => e !== undefined && (e.type === 'InvoiceIssued' || e.type === 'CreditMemoIssued'),
        )
        .sort((a, b) => a.revision - b.revision)
        .map((e) => invoiceOf(e, j.summary.currency));
      failures.push({
        contractId,
        journal: j.summary,
        rejection: j.summary.rejection,
        rejectedAt: j.rejectedBy?.metadata.receivedAt ?? j.summary.preparedAt,
        invoices,
      });
    }
  }
  return { code, failures };
}

// ---- mapping drift ----

/** Per account: what the contract's balances should be through `through` now, what the posted journals carry. */
function pendingDifference(
  mappings: PostingMappings,
  contractId: string,
  events: readonly RecordedEvent[],
  through: string,
  currency: string,
): AccountDifference[] {
  const base = contractPrepareBase(mappings, contractId, events);
  // A translated contract's balances are in its legal entity's functional currency.
  const inCurrency = base?.fx?.functionalCurrency ?? currency;
  const posted = journalsOf(contractId, events).filter((j) => j.summary.status === 'posted');
  const target = base ? targetBalances({ ...base, journaled: [], through, postIn: through }) : new Map();
  const done = journaledBalances(posted.flatMap((j) => j.lines));
  const rollUp = (balances: Iterable<{ account: string; amount: Dec }>): Map<string, Dec> => {
    const out = new Map<string, Dec>();
    for (const b of balances) out.set(b.account, plus(out.get(b.account) ?? ZERO, b.amount));
    return out;
  };
  const t = rollUp(target.values());
  const p = rollUp(done.values());
  const rows: AccountDifference[] = [];
  for (const account of [...new Set([...t.keys(), ...p.keys()])].sort()) {
    const a = t.get(account) ?? ZERO;
    const b = p.get(account) ?? ZERO;
    const difference = formatMoney(minus(a, b), inCurrency);
    if (dec(difference).isZero()) continue;
    rows.push({ account, target: formatMoney(a, inCurrency), posted: formatMoney(b, inCurrency), difference });
  }
  return rows;
}

/**
 * Per legal entity: contracts whose posted journals were prepared from an older product mapping than the one their
 * schedule is computed with now (a mapping fix published after posting: the next posting run owes an adjusting
 * journal, the pending difference), and contracts whose schedule stops on an unmapped SKU. Found by the read models'
 * `journal-status:posted` and `exception:UNMAPPED_SKU` tags; only the drifted contracts' streams are read.
 */
export async function mappingDrift(deps: AuditDeps, options: { legalEntity?: string } = {}): Promise<MappingDrift> {
  const inEntity = (le: string | null): le is string =>
    le !== null && (options.legalEntity === undefined || options.legalEntity === le);
  const products =
    ((await deps.read.get(revenueSchedule.name, revenueSchedule.shared!.key)) as ProductsInForce | null) ??
    (await productsAt(deps.store, null));
  const entities = new Map<string, EntityDrift>();
  const entity = (le: string): EntityDrift => {
    let x = entities.get(le);
    if (!x) entities.set(le, (x = { legalEntity: le, drifted: [], unmapped: [] }));
    return x;
  };

  const postedKeys = await deps.read.keysByTag(postingStatus.name, ['journal-status:posted']);
  const postingDocs = await docsOf<PostingStatusDoc>(deps.read, postingStatus.name, postedKeys);
  const candidates: { doc: PostingStatusDoc; postedVersion: number; through: string }[] = [];
  for (const doc of postingDocs.values()) {
    if (!inEntity(doc.legalEntity)) continue;
    const posted = doc.journals.filter((j) => j.status === 'posted');
    if (posted.length === 0) continue;
    candidates.push({
      doc,
      postedVersion: Math.max(...posted.map((j) => j.productMappingVersion)),
      through: posted.map((j) => j.through).reduce((a, b) => (a > b ? a : b)),
    });
  }
  const schedules = await docsOf<RevenueScheduleDoc>(
    deps.read,
    revenueSchedule.name,
    candidates.map((c) => c.doc.contractId),
  );
  let mappings: PostingMappings | null = null;
  for (const { doc, postedVersion, through } of candidates) {
    const schedule = schedules.get(doc.contractId)?.schedule;
    if (!schedule || schedule.mappingVersion <= postedVersion) continue;
    const skus = (schedules.get(doc.contractId)?.skus ?? [])
      .map((sku) => ({ sku, currentVersion: products.products[sku]?.since ?? null }))
      .filter((s) => s.currentVersion === null || s.currentVersion > postedVersion);
    mappings ??= await postingMappings(deps.store);
    const currency = doc.currency ?? schedule.currency ?? 'XXX';
    const drifted: DriftedContract = {
      contractId: doc.contractId,
      currency,
      postedMappingVersion: postedVersion,
      currentMappingVersion: schedule.mappingVersion,
      skus,
      through,
      pendingDifference: pendingDifference(
        mappings,
        doc.contractId,
        await contractEvents(deps.store, doc.contractId),
        through,
        currency,
      ),
    };
    entity(doc.legalEntity!).drifted.push(drifted);
  }

  const unmappedKeys = await deps.read.keysByTag(revenueSchedule.name, ['exception:UNMAPPED_SKU']);
  const unmappedDocs = await docsOf<RevenueScheduleDoc>(deps.read, revenueSchedule.name, unmappedKeys);
  for (const doc of unmappedDocs.values()) {
    const booking = doc.facts.find((f) => f.type === 'ContractBooked')?.data;
    const le = (booking?.legalEntity as string | undefined) ?? null;
    if (!inEntity(le)) continue;
    const exceptions = (doc.schedule?.exceptions ?? []).filter((x) => x.code === 'UNMAPPED_SKU');
    const unmapped: UnmappedContract = {
      contractId: doc.contractId,
      skus: [...new Set(exceptions.map((x) => x.sku).filter((s): s is string => s !== undefined))].sort(),
      exceptions: exceptions.map((x) => ({
        code: x.code,
        message: x.message,
        obligation: x.lineId ?? null,
        sku: x.sku ?? null,
        eventId: x.eventId ?? null,
      })),
    };
    entity(le).unmapped.push(unmapped);
  }

  const index = await mappingIndex(deps.store, 'products');
  return {
    productMapping: mappingRef(index, 'products', products.version),
    entities: [...entities.values()]
      .map((x) => ({
        ...x,
        drifted: x.drifted.sort((a, b) => a.contractId.localeCompare(b.contractId)),
        unmapped: x.unmapped.sort((a, b) => a.contractId.localeCompare(b.contractId)),
      }))
      .sort((a, b) => a.legalEntity.localeCompare(b.legalEntity)),
  };
}
