// Reading what the exports write, the way a spreadsheet user's tools would: an RFC 4180 parser, and an XLSX
// workbook opened with exceljs.
import ExcelJS from 'exceljs';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF); fails on a bare LF or a stray quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let value = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        value += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') {
          value += '"';
          i += 1;
        } else break;
      }
    } else {
      const end = text.slice(i).search(/[,\r\n"]/);
      const stop = end < 0 ? text.length : i + end;
      if (text[stop] === '"') throw new Error(`stray quote at ${stop}`);
      value = text.slice(i, stop);
      i = stop;
    }
    row.push(value);
    if (text[i] === ',') i += 1;
    else if (text.startsWith('\r\n', i) || i >= text.length) {
      rows.push(row);
      row = [];
      i += 2;
    } else throw new Error(`expected a comma or CRLF at ${i}, got ${JSON.stringify(text[i])}`);
  }
  return rows;
}

/** The rows of a CSV as objects keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

export async function openXlsx(bytes: ArrayBuffer | Uint8Array): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as ArrayBuffer);
  return workbook.worksheets[0]!;
}

/** The header row's names to their column numbers. */
export function columns(sheet: ExcelJS.Worksheet): Map<string, number> {
  const out = new Map<string, number>();
  sheet.getRow(1).eachCell((cell, n) => out.set(cell.text, n));
  return out;
}
