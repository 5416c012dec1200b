// Canonical inbound events for tests: one booking and one invoice shape, so every test speaks the same contract.
export const AT = '2026-01-15T10:00:00Z';

export const PLATFORM_LINE = {
  lineId: 'L1',
  sku: 'PLATFORM',
  quantity: '1',
  amount: '1200.00',
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
};

/** A bundle: subscription, onboarding (milestones) and a usage line. */
export const BUNDLE_LINES = [
  { ...PLATFORM_LINE, lineId: 'SUB', amount: '12000.00' },
  { lineId: 'ONB', sku: 'ONBOARD', quantity: '1', amount: '3000.00' },
  {
    lineId: 'USG',
    sku: 'OVERAGE',
    quantity: '0',
    amount: '0.00',
    serviceStart: '2026-01-01',
    serviceEnd: '2026-12-31',
  },
];

export function booking(contractId: string, lines: Record<string, string>[] = [PLATFORM_LINE]) {
  return {
    type: 'ContractBooked',
    contractId,
    source: { system: 'salesforce', id: `OPP-${contractId}`, version: 1 },
    occurredAt: AT,
    correlationId: `corr-${contractId}`,
    data: { version: 1, customerId: 'CUST-1', legalEntity: 'US01', currency: 'USD', bookingDate: '2026-01-15', lines },
  };
}

export function invoice(contractId: string, invoiceId: string, lineId = 'L1', amount = '100.00') {
  return {
    type: 'InvoiceIssued',
    contractId,
    source: { system: 'billing', id: invoiceId, version: 1 },
    occurredAt: '2026-01-31T10:00:00Z',
    data: { invoiceId, invoiceDate: '2026-01-31', lines: [{ lineId, amount }] },
  };
}

/** An account mapping of one legal entity (US01, USD), as POST /v1/mappings/accounts takes it. */
export const US01_ACCOUNTS = {
  reason: 'chart of accounts',
  entities: [
    {
      legalEntity: 'US01',
      currency: 'USD',
      accounts: {
        receivable: '1100',
        deferredRevenue: '2400',
        contractAsset: '1300',
        revenue: '4000',
        taxPayable: '2200',
      },
    },
  ],
};

/**
 * A legal entity keeping its books in EUR (DE01), with an account for exchange differences: the account-mapping
 * entry of the foreign-currency tests (docs/accounting.md, "Foreign currency").
 */
export const DE01_EUR = {
  legalEntity: 'DE01',
  currency: 'EUR',
  accounts: {
    receivable: '1100',
    deferredRevenue: '2400',
    contractAsset: '1300',
    revenue: '4000',
    taxPayable: '2200',
    exchangeDifference: '7900',
  },
};

/** A published rate, 1 `base` = `rate` `quote`, as POST /v1/events takes it; `id` names its source record. */
export function fxRate(
  rateDate: string,
  rate: string,
  options: { rateType?: 'spot' | 'average' | 'closing'; base?: string; quote?: string; id?: string } = {},
) {
  const { rateType = 'spot', base = 'USD', quote = 'EUR' } = options;
  return {
    type: 'FxRatesPublished',
    source: { system: 'ecb', id: options.id ?? `${base}-${quote}-${rateType}-${rateDate}`, version: 1 },
    occurredAt: `${rateDate}T16:00:00Z`,
    data: { rateDate, base, quote, rate, rateType },
  };
}
