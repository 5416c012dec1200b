// What changed between two schedules of one contract, in words an accountant reads: status, transaction price,
// allocations per line, and revenue per period — for `revtrail rebuild --dry-run --diff` and mapping-fix previews.
import type { Schedule } from './types.js';
import { changeOf } from './money.js';

export function diffSchedules(before: Schedule | null, after: Schedule | null): string[] {
  if (before === null && after === null) return [];
  if (before === null) return ['new schedule'];
  if (after === null) return ['schedule removed'];
  const out: string[] = [];
  const codes = (s: Schedule) => [...new Set(s.exceptions.map((x) => x.code))].sort().join(',');
  if (before.status !== after.status || codes(before) !== codes(after))
    out.push(`status ${before.status}(${codes(before)}) -> ${after.status}(${codes(after)})`);
  const currency = after.currency ?? before.currency ?? 'USD';
  const change = (label: string, a: string | undefined, b: string | undefined) => {
    const d = changeOf(a, b, currency);
    if (d !== null) out.push(`${label} ${a ?? '-'} -> ${b ?? '-'} (${d})`);
  };
  change('transaction price', before.transactionPrice, after.transactionPrice);
  const lines = new Set([...before.obligations, ...after.obligations].map((o) => o.lineId));
  for (const lineId of [...lines].sort()) {
    const a = before.obligations.find((o) => o.lineId === lineId);
    const b = after.obligations.find((o) => o.lineId === lineId);
    change(`line ${lineId} allocated`, a?.allocated, b?.allocated);
    const va = before.lineage.find((l) => l.lineId === lineId)?.mappingVersion;
    const vb = after.lineage.find((l) => l.lineId === lineId)?.mappingVersion;
    if (va !== vb) out.push(`line ${lineId} mapping version ${va ?? '-'} -> ${vb ?? '-'}`);
  }
  const periods = new Set([...before.periods, ...after.periods].map((p) => p.period));
  for (const period of [...periods].sort()) {
    change(
      period,
      before.periods.find((p) => p.period === period)?.total,
      after.periods.find((p) => p.period === period)?.total,
    );
  }
  return out;
}
