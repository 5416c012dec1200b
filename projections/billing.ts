// What an invoice or a credit memo bills, as the projections that fold it read it: the sum of its lines' amounts,
// excluding tax. Several projections fold the same event (revenue-schedule for the balances, posting-status for what
// was billed per period), so the sum is made once per event and kept beside it for as long as the event lives.
import type { Dec } from '../src/revenue/index.js';
import { dec, sumMoney } from '../src/revenue/index.js';
import type { JsonObject, RecordedEvent } from '../schemas/index.js';

const totals = new WeakMap<JsonObject, Dec>();

/** The sum of the event's line amounts (an InvoiceIssued or CreditMemoIssued), unsigned and unrounded. */
export function linesTotal(e: RecordedEvent): Dec {
  let total = totals.get(e.data);
  if (total === undefined) {
    total = sumMoney((e.data.lines as { amount: string }[]).map((l) => dec(l.amount)));
    totals.set(e.data, total);
  }
  return total;
}
