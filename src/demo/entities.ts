// The demo company's legal entities, one per currency it trades in, and their chart of accounts.
import type { AccountMappingSet } from '../../schemas/index.js';

/** Each names its currency: the demo's account mapping and entity register both carry it, and tests read it here. */
export const DEMO_ENTITIES: (AccountMappingSet['entities'][number] & { currency: string })[] = [
  ['US01', 'USD'],
  ['DE01', 'EUR'],
  ['JP01', 'JPY'],
  ['BH01', 'BHD'],
].map(([legalEntity, currency]) => ({
  legalEntity: legalEntity!,
  currency: currency!,
  accounts: { receivable: '1100', deferredRevenue: '2400', contractAsset: '1300', revenue: '4000', taxPayable: '2200' },
}));
