// CSV as RFC 4180 has it: a header row, CRLF line breaks, a field quoted when it holds a comma, a quote or a line
// break (quotes doubled). Money is the fixed-decimal string of its currency's minor units ("1200.00", "300",
// "5.000"), so a spreadsheet or a script reads the ledger's figure exactly, never a float's approximation of it.
import { minorUnits } from '../../schemas/index.js';
import { formatMoney, dec } from '../revenue/index.js';
import type { Cell, Table } from './table.js';
import { isDate, isMoney } from './table.js';

const NEEDS_QUOTES = /[",\r\n]/;

function field(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The text of a money amount with exactly its currency's decimals (an unknown currency: as the reader spelled it). */
export function moneyText(amount: string, currency: string | null): string {
  return currency === null ? amount : formatMoney(dec(amount), currency);
}

function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (isMoney(cell)) return moneyText(cell.money, cell.currency);
  if (isDate(cell)) return cell.date;
  return String(cell);
}

export function toCsv(table: Table): string {
  const lines = [table.headers, ...table.rows.map((r) => r.map(cellText))].map((r) => r.map(field).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** The Excel number format of an amount in `currency`: thousands separated, the currency's minor-unit decimals. */
export function moneyFormat(currency: string | null): string {
  const places = currency === null ? 2 : minorUnits(currency);
  return places === 0 ? '#,##0' : `#,##0.${'0'.repeat(places)}`;
}
