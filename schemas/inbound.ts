// Canonical inbound events (docs/http.md, "Inbound events"): what source systems POST to /v1/events.
// Shape rules live here; rules that need the contract's history (currency precision of later events, known line
// ids and invoices, version order) live in commands/contract.ts.
import { z } from 'zod';
import { domainError, fromZodIssues, issueParams } from './errors.js';
import type { DomainError } from './errors.js';
import {
  CalendarDate,
  Currency,
  DecimalString,
  Id,
  Money,
  NonNegativeDecimal,
  PositiveMoney,
  Text,
  Timestamp,
  moneyPrecisionProblem,
} from './primitives.js';
import { SourceRef } from './envelope.js';
import { DEFAULT_LIMITS, eventBoundProblems } from './bounds.js';
import type { InboundLimits } from './bounds.js';

export const Line = z
  .strictObject({
    lineId: Id,
    sku: Id,
    quantity: NonNegativeDecimal,
    /** Total price of the line in the contract currency. */
    amount: Money,
    serviceStart: CalendarDate.optional(),
    serviceEnd: CalendarDate.optional(),
    /** Overrides the mapping's standalone selling price (per unit) for this line. */
    ssp: Money.optional(),
  })
  .superRefine((l, ctx) => {
    if (l.serviceEnd !== undefined && l.serviceStart === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceStart'],
        message: 'is required when serviceEnd is given',
        params: { code: 'REQUIRED' },
      });
    }
    if (l.serviceStart && l.serviceEnd && l.serviceEnd < l.serviceStart) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceEnd'],
        message: `must be on or after serviceStart (${l.serviceStart})`,
        params: { code: 'DATE_ORDER' },
      });
    }
  });
export type Line = z.infer<typeof Line>;

const Lines = z
  .array(Line)
  .min(1, { message: 'must hold at least one line' })
  .max(1000)
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    lines.forEach((l, i) => {
      if (seen.has(l.lineId)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'lineId'],
          message: `lineId "${l.lineId}" appears twice`,
          params: { code: 'DUPLICATE_LINE_ID' },
        });
      }
      seen.add(l.lineId);
    });
  });

export const Treatment = z.enum(['auto', 'separate', 'prospective', 'cumulative_catch_up']);
export type Treatment = z.infer<typeof Treatment>;

export const ContractBookedData = z
  .strictObject({
    version: z.literal(1, { message: 'a booking is version 1' }),
    customerId: Id,
    legalEntity: Id,
    currency: Currency,
    bookingDate: CalendarDate,
    lines: Lines,
  })
  .superRefine((d, ctx) => {
    d.lines.forEach((l, i) => {
      for (const field of ['amount', 'ssp'] as const) {
        const value = l[field];
        const problem = value === undefined ? null : moneyPrecisionProblem(value, d.currency);
        if (problem)
          ctx.addIssue({
            code: 'custom',
            path: ['lines', i, field],
            message: problem,
            params: { code: 'MONEY_PRECISION' },
          });
      }
    });
  });

export const ContractAmendedData = z.strictObject({
  version: z.number().int().min(2, { message: 'amendments start at version 2' }),
  effectiveDate: CalendarDate,
  lines: Lines,
  treatment: Treatment.optional(),
});

export const ContractCancelledData = z.strictObject({
  version: z.number().int().min(2, { message: 'a cancellation follows the booking: version 2 or later' }),
  effectiveDate: CalendarDate,
});

export const ServiceActivatedData = z.strictObject({ lineId: Id, activatedOn: CalendarDate });

export const MilestoneCompletedData = z.strictObject({
  lineId: Id,
  milestoneId: Id,
  completedOn: CalendarDate,
  fraction: DecimalString.refine((f) => Number(f) > 0 && Number(f) <= 1, {
    message: 'must be a fraction greater than 0 and at most 1',
    ...issueParams('INVALID_VALUE'),
  }),
});

export const UsageRecordedData = z
  .strictObject({
    lineId: Id,
    periodStart: CalendarDate,
    periodEnd: CalendarDate,
    quantity: NonNegativeDecimal,
    amount: Money,
  })
  .refine((u) => u.periodEnd >= u.periodStart, {
    path: ['periodEnd'],
    message: 'must be on or after periodStart',
    ...issueParams('DATE_ORDER'),
  });

const AmountLine = z.strictObject({ lineId: Id, amount: Money });

export const InvoiceIssuedData = z.strictObject({
  invoiceId: Id,
  invoiceDate: CalendarDate,
  lines: z.array(AmountLine).min(1).max(1000),
  taxAmount: Money.optional(),
});

export const CreditMemoIssuedData = z.strictObject({
  creditMemoId: Id,
  invoiceId: Id.optional(),
  issuedOn: CalendarDate,
  lines: z
    .array(z.strictObject({ lineId: Id, amount: PositiveMoney }))
    .min(1)
    .max(1000),
  reducesTransactionPrice: z.boolean(),
});

export const ServiceCreditApprovedData = z.strictObject({
  creditId: Id,
  lineId: Id.optional(),
  amount: PositiveMoney,
  approvedOn: CalendarDate,
  caseId: Text(256).optional(),
  reason: Text(2000),
});

/** Every inbound type with its data schema: one name per concept across layers (STYLE.md). */
export const InboundDataSchemas = {
  ContractBooked: ContractBookedData,
  ContractAmended: ContractAmendedData,
  ContractCancelled: ContractCancelledData,
  ServiceActivated: ServiceActivatedData,
  MilestoneCompleted: MilestoneCompletedData,
  UsageRecorded: UsageRecordedData,
  InvoiceIssued: InvoiceIssuedData,
  CreditMemoIssued: CreditMemoIssuedData,
  ServiceCreditApproved: ServiceCreditApprovedData,
} as const;
export type InboundType = keyof typeof InboundDataSchemas;
export const InboundTypes = Object.keys(InboundDataSchemas) as InboundType[];

const envelope = <T extends InboundType>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    contractId: Id,
    source: SourceRef,
    occurredAt: Timestamp,
    correlationId: Text(128).optional(),
    data: InboundDataSchemas[type],
  });

export const ContractBooked = envelope('ContractBooked');
export const ContractAmended = envelope('ContractAmended');
export const ContractCancelled = envelope('ContractCancelled');
export const ServiceActivated = envelope('ServiceActivated');
export const MilestoneCompleted = envelope('MilestoneCompleted');
export const UsageRecorded = envelope('UsageRecorded');
export const InvoiceIssued = envelope('InvoiceIssued');
export const CreditMemoIssued = envelope('CreditMemoIssued');
export const ServiceCreditApproved = envelope('ServiceCreditApproved');

export const InboundEvent = z.discriminatedUnion('type', [
  ContractBooked,
  ContractAmended,
  ContractCancelled,
  ServiceActivated,
  MilestoneCompleted,
  UsageRecorded,
  InvoiceIssued,
  CreditMemoIssued,
  ServiceCreditApproved,
]);
export type InboundEvent = z.infer<typeof InboundEvent>;
export type InboundOf<T extends InboundType> = Extract<InboundEvent, { type: T }>;

/** POST /v1/events body. Each event is validated on its own (a bad event is rejected, not the batch). */
export const EventBatch = z.strictObject({
  events: z
    .array(z.unknown())
    .min(1, { message: 'must hold at least one event' })
    .max(1000, { message: 'must hold at most 1000 events' }),
});

/** Idempotency key (docs/http.md): source system + source id + source version + type. */
export function idempotencyKey(e: { type: string; source: SourceRef }): string {
  return JSON.stringify([e.source.system, e.source.id, e.source.version, e.type]);
}

export type ParseResult = { ok: true; event: InboundEvent } | { ok: false; errors: DomainError[] };

/**
 * Validates one inbound event: its shape, then the bounds on the work it can cause (schemas/bounds.ts). Errors
 * carry paths relative to the event.
 */
export function parseInbound(raw: unknown, limits: InboundLimits = DEFAULT_LIMITS): ParseResult {
  const type = (raw as { type?: unknown } | null)?.type;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    if (type === undefined) return { ok: false, errors: [domainError('REQUIRED', 'event type is required', ['type'])] };
    if (typeof type !== 'string' || !(type in InboundDataSchemas)) {
      return {
        ok: false,
        errors: [
          domainError('UNKNOWN_TYPE', `unknown event type ${JSON.stringify(type)}; known: ${InboundTypes.join(', ')}`, [
            'type',
          ]),
        ],
      };
    }
  }
  const r = InboundEvent.safeParse(raw);
  if (!r.success) return { ok: false, errors: fromZodIssues(r.error.issues, raw) };
  const bounds = eventBoundProblems(r.data, limits);
  return bounds.length > 0 ? { ok: false, errors: bounds } : { ok: true, event: r.data };
}
