// What an invoice or a credit memo bills, as the revenue schedule reads it: the sum of its lines' amounts, excluding
// tax. The schedule sums its contract's bills each time it derives the contract, so the sum is made once per bill and
// kept beside its data for as long as that lives.
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
