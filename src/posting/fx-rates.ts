// The exchange rates as published (`FxRatesPublished` in the `fx-rates-<BASE>-<QUOTE>` streams), read for journal
// preparation (every pair, once per posting run) and for GET /v1/fx-rates/:base/:quote (one pair).
import type { RecordedEvent } from '../../schemas/index.js';
import { FX_RATES_PUBLISHED, FX_RATE_STREAM_PREFIX, fxRateStream } from '../../schemas/index.js';
import { RateBook } from '../revenue/fx.js';
import type { FxRate } from '../revenue/fx.js';
import type { EventStore } from '../store/index.js';

export function rateOf(e: RecordedEvent): FxRate {
  const d = e.data as unknown as Omit<FxRate, 'eventId'>;
  return { base: d.base, quote: d.quote, rateType: d.rateType, rateDate: d.rateDate, rate: d.rate, eventId: e.eventId };
}

/** One pair's publications in log order. */
export async function pairRates(store: EventStore, base: string, quote: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(fxRateStream(base, quote))) if (e.type === FX_RATES_PUBLISHED) out.push(e);
  return out;
}

/** Every pair's publications, in log order (a later one for the same pair, type and date corrects an earlier one). */
export async function rateBook(store: EventStore): Promise<RateBook> {
  const rates: FxRate[] = [];
  for await (const e of store.readAll({
    filter: { streamPrefixes: [FX_RATE_STREAM_PREFIX], eventTypePrefixes: [FX_RATES_PUBLISHED] },
  }))
    rates.push(rateOf(e));
  return new RateBook(rates);
}
