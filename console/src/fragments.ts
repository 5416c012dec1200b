// GraphQL selections a screen shows and the API tests check the server answers in full: one text for both, so a field
// the console reads is a field those tests ask for. Plain strings, no browser code: the tests import this module.

/** A revenue waterfall's grid: the periods, and per currency the revenue of each SKU in each of them. */
export const WATERFALL_GRID = /* GraphQL */ `
  fragment WaterfallGrid on RevenueWaterfall {
    periods
    contracts
    currencies {
      currency
      rows {
        sku
        obligations
        periods {
          period
          amount
        }
        total
      }
      totals {
        period
        amount
      }
      total
    }
  }
`;

/** One contract of a reconciliation: billed, recognised, journaled, posted and refused, and its breaks. */
export const RECONCILIATION_ROW = /* GraphQL */ `
  fragment ReconciliationRow on ReconciliationRow {
    contractId
    currency
    billed
    recognised
    journaled
    posted
    rejected
    breaks {
      code
      amount
      message
    }
  }
`;

/** One ledger account of a reconciliation: journaled, posted and refused. */
export const RECONCILIATION_ACCOUNT = /* GraphQL */ `
  fragment ReconciliationAccount on ReconciliationAccount {
    account
    currency
    journaled
    posted
    rejected
  }
`;
