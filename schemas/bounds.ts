// Bounds on the work one inbound event can cause. The revenue engine derives a schedule month by month from a
// contract's earliest to its latest date, for every line of every version, so the span of a contract's dates, its
// lines, versions and events are what a single sender could otherwise grow without limit. Each bound is checked
// where it can be: on the event alone at the edge (`eventBoundProblems`), and against the contract's history in the
// contract command (commands/contract-bounds.ts).
import type { DomainError } from './errors.js';
import { domainError } from './errors.js';

export interface InboundLimits {
  /** Longest service term of a line (serviceStart..serviceEnd), and the farthest a service date lies from the
   * booking or amendment date, in years. */
  maxServiceTermYears: number;
  /** Longest usage period (periodStart..periodEnd), in days. */
  maxUsagePeriodDays: number;
}

export interface ContractLimits {
  /** The earliest and the latest date of one contract lie at most this many years apart. */
  maxContractSpanYears: number;
  /** Events (versions, activations, milestones, usage records, invoices, credits) stored per contract. */
  maxContractEvents: number;
  /** Contract versions (booking, amendments, cancellation) per contract. */
  maxContractVersions: number;
  /** Distinct line ids over every version of a contract. */
  maxContractLines: number;
}

export type Limits = InboundLimits & ContractLimits;

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxServiceTermYears: 10,
  maxUsagePeriodDays: 366,
  maxContractSpanYears: 20,
  maxContractEvents: 10_000,
  maxContractVersions: 1_000,
  maxContractLines: 1_000,
};

/** Calendar dates outside these years are refused wherever they appear (not configurable). */
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2200;

/** A date `years` years later (earlier when negative); 29 February stays a string that still orders correctly. */
export function shiftYears(date: string, years: number): string {
  return `${String(Number(date.slice(0, 4)) + years).padStart(4, '0')}${date.slice(4)}`;
}

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
}

/** A date field of an event's data, with its path relative to the event. */
export interface DatedField {
  path: string;
  date: string;
}

type Loose = Record<string, unknown>;
const LINE_DATES = ['serviceStart', 'serviceEnd'] as const;
const DATE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ContractBooked: ['bookingDate'],
  ContractAmended: ['effectiveDate'],
  ContractCancelled: ['effectiveDate'],
  ServiceActivated: ['activatedOn'],
  MilestoneCompleted: ['completedOn'],
  UsageRecorded: ['periodStart', 'periodEnd'],
  InvoiceIssued: ['invoiceDate'],
  CreditMemoIssued: ['issuedOn'],
  ServiceCreditApproved: ['approvedOn'],
};

/**
 * Every calendar date an event's data carries, by type (inbound data or its stored form: the field names are the
 * same). Used for the calendar range here and for the contract's span in the contract command.
 */
export function datesOf(type: string, data: Loose): DatedField[] {
  const out: DatedField[] = [];
  for (const f of DATE_FIELDS[type] ?? []) {
    if (typeof data[f] === 'string') out.push({ path: `data.${f}`, date: data[f] });
  }
  const lines = type === 'ContractBooked' || type === 'ContractAmended' ? data.lines : undefined;
  if (Array.isArray(lines)) {
    lines.forEach((l: Loose, i) => {
      for (const f of LINE_DATES) if (typeof l[f] === 'string') out.push({ path: `data.lines.${i}.${f}`, date: l[f] });
    });
  }
  return out;
}

/** Service terms and usage periods: the spans inside one event. */
function termProblems(type: string, data: Loose, limits: InboundLimits): DomainError[] {
  const out: DomainError[] = [];
  const years = limits.maxServiceTermYears;
  const anchor = type === 'ContractBooked' ? data.bookingDate : type === 'ContractAmended' ? data.effectiveDate : null;
  if (typeof anchor === 'string' && Array.isArray(data.lines)) {
    const anchorName = type === 'ContractBooked' ? 'bookingDate' : 'effectiveDate';
    (data.lines as Loose[]).forEach((l, i) => {
      const start = l.serviceStart as string | undefined;
      const end = l.serviceEnd as string | undefined;
      if (start !== undefined && end !== undefined && end > shiftYears(start, years)) {
        out.push(
          domainError(
            'SERVICE_TERM_TOO_LONG',
            `a service term is at most ${years} years; ${start}..${end} is longer`,
            `data.lines.${i}.serviceEnd`,
          ),
        );
        return;
      }
      for (const f of LINE_DATES) {
        const date = l[f] as string | undefined;
        if (date === undefined) continue;
        if (date > shiftYears(anchor, years) || date < shiftYears(anchor, -years)) {
          out.push(
            domainError(
              'SERVICE_TERM_TOO_LONG',
              `service dates lie within ${years} years of the ${anchorName} (${anchor}); ${date} does not`,
              `data.lines.${i}.${f}`,
            ),
          );
        }
      }
    });
  }
  if (type === 'UsageRecorded') {
    const [start, end] = [data.periodStart as string, data.periodEnd as string];
    if (daysBetween(start, end) + 1 > limits.maxUsagePeriodDays) {
      out.push(
        domainError(
          'USAGE_PERIOD_TOO_LONG',
          `a usage period is at most ${limits.maxUsagePeriodDays} days; ${start}..${end} is longer`,
          'data.periodEnd',
        ),
      );
    }
  }
  return out;
}

/**
 * The bounds one event can be checked against on its own (after its shape is valid): service terms, usage
 * periods, and the calendar range of every date. A date refused for its term is not reported again for its year.
 */
export function eventBoundProblems(
  e: { type: string; occurredAt: string; data: object },
  limits: InboundLimits,
): DomainError[] {
  const data = e.data as Loose;
  const out = termProblems(e.type, data, limits);
  const reported = new Set(out.map((p) => p.path));
  const dated = [{ path: 'occurredAt', date: e.occurredAt }, ...datesOf(e.type, data)];
  for (const { path, date } of dated) {
    const year = Number(date.slice(0, 4));
    if (!reported.has(path) && (year < FIRST_YEAR || year > LAST_YEAR)) {
      out.push(domainError('DATE_OUT_OF_RANGE', `dates lie in the years ${FIRST_YEAR} to ${LAST_YEAR}`, path));
    }
  }
  return out;
}
