// XLSX through exceljs: one worksheet per table, a bold frozen header row, money as numbers formatted with the
// currency's minor-unit decimals, dates and instants as real date cells. The workbook's own dates are fixed and the
// archive normalised (zip.ts), so the same table gives the same bytes.
import ExcelJS from 'exceljs';
import type { Cell, Table } from './table.js';
import { isDate, isMoney } from './table.js';
import { moneyFormat, moneyText } from './csv.js';
import { normaliseZip } from './zip.js';

/** The workbook's created and modified dates: fixed, since they would otherwise change the bytes on every export. */
const WORKBOOK_DATE = new Date(Date.UTC(2000, 0, 1));

const DATE_FORMAT = 'yyyy-mm-dd';
const INSTANT_FORMAT = 'yyyy-mm-dd hh:mm:ss';

function write(cell: ExcelJS.Cell, value: Cell): void {
  if (value === null) return;
  if (isMoney(value)) {
    // A spreadsheet number is a binary double: this is the one place an amount becomes one, as the file format asks.
    // The text it comes from has at most the currency's decimals, well inside a double's exact digits for amounts a
    // ledger holds (below 2^53 minor units).
    cell.value = Number(moneyText(value.money, value.currency));
    cell.numFmt = moneyFormat(value.currency);
    return;
  }
  if (isDate(value)) {
    const instant = value.date.length > 10;
    // Excel dates carry no time zone: the UTC date (and time) is what the cell shows.
    cell.value = new Date(instant ? value.date : `${value.date}T00:00:00Z`);
    cell.numFmt = instant ? INSTANT_FORMAT : DATE_FORMAT;
    return;
  }
  cell.value = value;
}

export function addWorksheet(workbook: ExcelJS.Workbook, table: Table): void {
  const sheet = workbook.addWorksheet(table.name.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  const header = sheet.getRow(1);
  table.headers.forEach((h, i) => (header.getCell(i + 1).value = h));
  header.font = { bold: true };
  table.rows.forEach((row, r) => {
    const line = sheet.getRow(r + 2);
    row.forEach((value, c) => write(line.getCell(c + 1), value));
  });
  table.headers.forEach((h, i) => (sheet.getColumn(i + 1).width = Math.min(40, Math.max(12, h.length + 2))));
}

export async function toXlsx(table: Table): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Revtrail';
  workbook.created = WORKBOOK_DATE;
  workbook.modified = WORKBOOK_DATE;
  addWorksheet(workbook, table);
  const written = await workbook.xlsx.writeBuffer();
  return normaliseZip(new Uint8Array(written));
}
