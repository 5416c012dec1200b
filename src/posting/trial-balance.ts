// The trial balance check (docs/posting.md): the balances Revtrail says every
// account of every legal entity should carry through a period, the balances the journals the ERP accepted add up to,
// and the breaks between them. Every journal is "target through the period minus what was journaled", so once each
// prepared journal is posted the two agree to the cent; a break is a journal the ERP has not (yet) taken, or a
// schedule that moved since the last run (a mapping fix, a late event) and awaits its adjusting journal.
//
// Revtrail's side is built from the same inputs a posting run reads (the product mapping in force, the latest
// account mapping, each booked contract's stream) by the helpers below; a contract a posting run passes over (no
// legal entity, no accounts, a schedule in exception) counts for nothing here either.
//
// Balances are debit positive, per (legal entity, account, currency): a legal entity's books may hold more than one
// currency, and amounts of two currencies are never added. Accounts whose balance is zero are left out, as
// `hledger bal` leaves them out.
import type { JournalState } from '../../commands/journal.js';
import { JOURNAL_EVENTS, evolveJournals, initialJournalState } from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import type { Dec } from '../revenue/index.js';
import { ZERO, dec, formatMoney, minus, plus } from '../revenue/index.js';
import type { EventStore } from '../store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import type { JournalLine } from '../../schemas/index.js';
import { bookedContracts, contractPrepareBase, postingMappings } from './inputs.js';
import { journaledBalances, targetBalances } from './prepare.js';

// A posting run's inputs are read by inputs.ts, for both.

async function eventsOf(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const e of store.readStream(stream)) events.push(e);
  return events;
}

// ---------------------------------------------------------------------------------------------------------------
// Trial balances

export interface TrialBalanceRow {
  legalEntity: string;
  account: string;
  currency: string;
  /** Debit positive, a decimal string with the currency's minor-unit digits. */
  balance: string;
}

/** Rows sorted by legal entity, account and currency; no zero balances. */
export type TrialBalance = TrialBalanceRow[];

export interface TrialBalanceBreak {
  legalEntity: string;
  account: string;
  currency: string;
  expected: string;
  actual: string;
  /** expected − actual: what a journal would still have to move. */
  difference: string;
}

type Row = Omit<TrialBalanceRow, 'balance'>;
const rowKey = (r: Row): string => JSON.stringify([r.legalEntity, r.account, r.currency]);
const byRow = (a: Row, b: Row): number =>
  a.legalEntity.localeCompare(b.legalEntity) ||
  a.account.localeCompare(b.account) ||
  a.currency.localeCompare(b.currency);

class Tally {
  private readonly sums = new Map<string, Row & { amount: Dec }>();

  /** Adds balances keyed the way prepare.ts keys them (account and dimensions), rolled up to the account. */
  add(legalEntity: string, currency: string, balances: Iterable<{ account: string; amount: Dec }>): void {
    for (const { account, amount } of balances) {
      const row = { legalEntity, account, currency };
      const key = rowKey(row);
      this.sums.set(key, { ...row, amount: plus(this.sums.get(key)?.amount ?? ZERO, amount) });
    }
  }

  rows(): TrialBalance {
    return [...this.sums.values()]
      .map(({ amount, ...row }) => ({ ...row, balance: formatMoney(amount, row.currency) }))
      .filter((r) => r.balance !== formatMoney(ZERO, r.currency))
      .sort(byRow);
  }
}

/** The trial balance of a set of journals (prepared, posted, or an ERP's documents): debit − credit per account. */
export function trialBalanceOf(
  journals: Iterable<{ legalEntity: string; currency: string; lines: readonly JournalLine[] }>,
): TrialBalance {
  const tally = new Tally();
  for (const j of journals) tally.add(j.legalEntity, j.currency, journaledBalances(j.lines).values());
  return tally.rows();
}

export interface ContractTarget {
  contractId: string;
  legalEntity: string;
  currency: string;
  /** Per account and dimensions, as prepare.ts's targetBalances gives them. */
  balances: ReturnType<typeof targetBalances>;
}

/** What each contract's balances should be at the end of `through`, under the mappings in force now. */
export async function* contractTargets(
  store: EventStore,
  options: { through: string; legalEntity?: string },
): AsyncIterable<ContractTarget> {
  const mappings = await postingMappings(store);
  for (const contractId of await bookedContracts(store)) {
    const base = contractPrepareBase(mappings, contractId, await eventsOf(store, contractStream(contractId)));
    if (!base || (options.legalEntity !== undefined && options.legalEntity !== base.contract.legalEntity)) continue;
    const balances = targetBalances({ ...base, journaled: [], through: options.through, postIn: options.through });
    // A translated contract's balances are in its legal entity's functional currency.
    const currency = base.fx?.functionalCurrency ?? base.contract.currency;
    yield { contractId, legalEntity: base.contract.legalEntity, currency, balances };
  }
}

/** Revtrail's trial balance through a period: the sum of every contract's target balances. */
export async function revtrailBalances(
  store: EventStore,
  options: { through: string; legalEntity?: string },
): Promise<TrialBalance> {
  const tally = new Tally();
  for await (const t of contractTargets(store, options)) tally.add(t.legalEntity, t.currency, t.balances.values());
  return tally.rows();
}

/** Every contract's journals, folded from the journal events of the contract streams. */
export async function contractJournals(store: EventStore): Promise<Map<string, JournalState>> {
  const byStream = new Map<string, JournalState>();
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: JOURNAL_EVENTS },
  })) {
    const state = byStream.get(e.streamId) ?? initialJournalState(e.data.contractId as string);
    byStream.set(e.streamId, evolveJournals(state, e));
  }
  return new Map([...byStream.values()].map((s) => [s.contractId, s]));
}

/** The trial balance of the journals the ERP has accepted (status posted), whatever period they were posted in. */
export async function postedBalances(store: EventStore, options: { legalEntity?: string } = {}): Promise<TrialBalance> {
  const posted = [...(await contractJournals(store)).values()]
    .flatMap((s) => [...s.journals.values()])
    .filter((j) => j.status === 'posted')
    .filter((j) => options.legalEntity === undefined || j.legalEntity === options.legalEntity);
  return trialBalanceOf(posted);
}

/** The rows where two trial balances differ (an account missing from one side counts as zero there). */
export function compareTrialBalances(expected: TrialBalance, actual: TrialBalance): TrialBalanceBreak[] {
  const rows = new Map<string, Row & { expected: Dec; actual: Dec }>();
  for (const [side, tb] of [
    ['expected', expected],
    ['actual', actual],
  ] as const) {
    for (const { balance, ...row } of tb) {
      const key = rowKey(row);
      const r = rows.get(key) ?? { ...row, expected: ZERO, actual: ZERO };
      rows.set(key, { ...r, [side]: plus(r[side], dec(balance)) });
    }
  }
  return [...rows.values()]
    .map(({ expected: e, actual: a, ...row }) => ({
      ...row,
      expected: formatMoney(e, row.currency),
      actual: formatMoney(a, row.currency),
      difference: formatMoney(minus(e, a), row.currency),
    }))
    .filter((b) => b.difference !== formatMoney(ZERO, b.currency))
    .sort(byRow);
}
