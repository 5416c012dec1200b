// The demo company's past, so a fresh machine has something to look at: every month before the demo clock's current
// one posted to the simulated ERP, all but the last two closed, and three things an accountant would find waiting —
// an amendment held for a missing version, a contract whose SKU no mapping knows, and a late invoice whose journal
// the ERP refused because it had closed that month already (PERIOD_CLOSED). All through the real paths: the
// ingestor, posting runs, the period-close command. Deterministic for a given clock, and run only right after the
// demo was seeded into an empty store, so a restart adds nothing.
import { decidePeriod, evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import { decideOnStream } from '../handling/index.js';
import { Ingestor } from '../ingest/index.js';
import { postingRun } from '../posting/index.js';
import type { PostingRunSummary, SimulatedConnector } from '../posting/index.js';
import { monthsBetween } from '../revenue/index.js';
import type { EventStore } from '../store/index.js';
import { DEMO_ENTITIES } from './entities.js';

export interface DemoHistory {
  /** The months posted, oldest first. */
  posted: string[];
  /** The months closed in every demo legal entity. */
  closed: string[];
  /** The month whose late invoice the ERP refused (null when the demo's past is too short for one). */
  refusedIn: string | null;
  /** Journals posted and refused over all runs. */
  journals: { posted: number; rejected: number };
}

/** The demo contracts of the exceptions (US01, USD), and the SKU no product mapping knows. */
export const DEMO_CASES = { held: 'C-HELD-01', unmapped: 'C-LEGACY-01', late: 'C-LATE-01' } as const;
const UNMAPPED_SKU = 'LEGACY-SUPPORT';

const monthBefore = (d: Date): string => {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth(); // 0-based: the previous month's 1-based number
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
};

function line(sku: string, amount: string, from: string) {
  const [y, m] = from.split('-').map(Number) as [number, number];
  const end = new Date(Date.UTC(y + 1, m - 1, 0)).toISOString().slice(0, 10);
  return { lineId: 'L1', sku, quantity: '1', amount, serviceStart: `${from}-01`, serviceEnd: end };
}

function booking(contractId: string, month: string, sku: string) {
  return {
    type: 'ContractBooked',
    contractId,
    source: { system: 'salesforce', id: `OPP-${contractId}`, version: 1 },
    occurredAt: `${month}-01T09:00:00Z`,
    data: {
      version: 1,
      customerId: `CUST-${contractId}`,
      legalEntity: 'US01',
      currency: 'USD',
      bookingDate: `${month}-01`,
      lines: [line(sku, '12000.00', month)],
    },
  };
}

/** The three cases' contracts: booked, and the held amendment (version 3 while version 2 never came). */
function caseEvents(first: string, refusedIn: string) {
  return [
    booking(DEMO_CASES.held, first, 'PLAT-STD'),
    {
      type: 'ContractAmended',
      contractId: DEMO_CASES.held,
      source: { system: 'salesforce', id: `AMD-${DEMO_CASES.held}-3`, version: 1 },
      occurredAt: `${refusedIn}-01T09:00:00Z`,
      data: {
        version: 3,
        effectiveDate: `${refusedIn}-01`,
        treatment: 'prospective',
        lines: [line('PLAT-STD', '18000.00', first)],
      },
    },
    booking(DEMO_CASES.unmapped, first, UNMAPPED_SKU),
    booking(DEMO_CASES.late, refusedIn, 'PLAT-STD'),
  ];
}

function lateInvoice(month: string) {
  const invoiceId = `INV-${DEMO_CASES.late}-1`;
  return {
    type: 'InvoiceIssued',
    contractId: DEMO_CASES.late,
    source: { system: 'billing', id: invoiceId, version: 1 },
    occurredAt: `${month}-28T10:00:00Z`,
    data: { invoiceId, invoiceDate: `${month}-28`, lines: [{ lineId: 'L1', amount: '12000.00' }] },
  };
}

/** Closes a month of every demo legal entity through the period-close command (as POST /v1/periods/... does). */
async function closeMonth(store: EventStore, period: string, now: Date): Promise<void> {
  for (const { legalEntity } of DEMO_ENTITIES) {
    await decideOnStream(store, periodsStream(legalEntity), initialPeriodsState(), evolvePeriods, (s) =>
      decidePeriod(s, {
        action: 'close',
        legalEntity,
        period,
        reason: 'demo: month-end close',
        receivedAt: now.toISOString(),
        actor: 'demo',
      }),
    );
  }
}

/**
 * Posts, closes and seeds the exceptions of the demo's past: the months from `firstMonth` to the one before the
 * clock's. With fewer than three such months there is no closed month to be late for, and no refusal.
 */
export async function postDemoHistory(
  store: EventStore,
  erp: SimulatedConnector,
  options: { firstMonth: string; now: () => Date },
): Promise<DemoHistory> {
  const { now } = options;
  const months = monthsBetween(options.firstMonth, monthBefore(now()));
  const closed = months.slice(0, Math.max(0, months.length - 2));
  const refusedIn = closed.length > 0 ? closed[closed.length - 1]! : null;
  const history: DemoHistory = { posted: months, closed, refusedIn, journals: { posted: 0, rejected: 0 } };
  if (months.length === 0) return history;
  const ingestor = new Ingestor(store, { now });
  await ingestor.ingest(caseEvents(months[0]!, refusedIn ?? months[0]!), { actor: 'demo' });
  const post = async (period: string) => count(history, await postingRun(store, { period, connector: erp, now }));
  for (const period of months.filter((m) => refusedIn === null || m <= refusedIn)) await post(period);
  for (const period of closed.slice(0, -1)) {
    erp.closePeriod(period);
    await closeMonth(store, period, now());
  }
  if (refusedIn !== null) {
    // The ERP closed the month before Revtrail did; then the month's last invoice arrived, and its journal, dated
    // in the month still open in Revtrail, is refused by the ERP. `reprepare` moves it into the first open month.
    erp.closePeriod(refusedIn);
    await ingestor.ingest([lateInvoice(refusedIn)], { actor: 'demo' });
    await post(refusedIn);
    await closeMonth(store, refusedIn, now());
    for (const period of months.filter((m) => m > refusedIn)) await post(period);
  }
  return history;
}

function count(history: DemoHistory, summary: PostingRunSummary): void {
  history.journals.posted += summary.posted;
  for (const n of Object.values(summary.rejected)) history.journals.rejected += n ?? 0;
}
