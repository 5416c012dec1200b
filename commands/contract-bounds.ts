// The bounds an inbound event is checked against given the contract it joins (schemas/bounds.ts has the reasons and
// the bounds checked on the event alone): how many events, versions and distinct lines a contract holds, and how far
// apart its dates lie. Nothing of a refused event is stored.
import type { ContractLimits, DomainError } from '../schemas/index.js';
import { datesOf, domainError, shiftYears } from '../schemas/index.js';
import { isVersionType } from './versions.js';

/** What the contract command knows of a contract for its bounds. */
export interface ContractSize {
  events: number;
  versions: number;
  lines: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  firstDate: string | null;
  lastDate: string | null;
}

type Loose = Record<string, unknown>;

export function contractBoundProblems(
  size: ContractSize,
  e: { type: string; data: object },
  limits: ContractLimits,
): DomainError[] {
  const data = e.data as Loose;
  const tooLarge = (what: string, path: string) =>
    domainError('CONTRACT_TOO_LARGE', `a contract holds at most ${what}`, path);
  if (size.events >= limits.maxContractEvents) return [tooLarge(`${limits.maxContractEvents} events`, 'contractId')];
  const isVersion = isVersionType(e.type);
  if (isVersion && size.versions >= limits.maxContractVersions)
    return [tooLarge(`${limits.maxContractVersions} versions`, 'data.version')];
  if (Array.isArray(data.lines) && isVersion) {
    const added = new Set((data.lines as Loose[]).map((l) => l.lineId).filter((id) => !size.lines.has(id as string)));
    if (size.lines.size + added.size > limits.maxContractLines)
      return [tooLarge(`${limits.maxContractLines} distinct lines`, 'data.lines')];
  }
  return spanProblems(size, e.type, data, limits.maxContractSpanYears);
}

/** The first date of the event that would stretch the contract's dates over more than `years` years. */
function spanProblems(size: ContractSize, type: string, data: Loose, years: number): DomainError[] {
  let [first, last] = [size.firstDate, size.lastDate];
  for (const { path, date } of datesOf(type, data)) {
    first = first === null || date < first ? date : first;
    last = last === null || date > last ? date : last;
    if (last > shiftYears(first, years)) {
      return [
        domainError(
          'CONTRACT_SPAN_TOO_LONG',
          `the dates of a contract lie within ${years} years of each other; ${date} would make it ${first}..${last}`,
          path,
        ),
      ];
    }
  }
  return [];
}
