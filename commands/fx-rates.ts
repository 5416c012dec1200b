// Publishing an exchange rate into its pair's stream (`fx-rates-<BASE>-<QUOTE>`). Idempotent as every inbound event
// is (docs/http.md): the same source record and type sent again with the same content is a duplicate (nothing is
// appended), with other content it is refused IDEMPOTENCY_CONFLICT: a corrected rate is a new source version.
import type { DomainError, FxRatesPublished, JsonObject, ProposedEvent, RecordedEvent } from '../schemas/index.js';
import { contentHashOf, domainError, eventIdFor, fxRateStream, idempotencyKey } from '../schemas/index.js';

export interface FxRateStreamState {
  revision: number | null;
  /** Idempotency key -> the event stored under it. */
  keys: Map<string, { eventId: string; contentHash: string }>;
}

export const initialFxRateStreamState = (): FxRateStreamState => ({ revision: null, keys: new Map() });

export interface PublishFxRate {
  event: FxRatesPublished;
  receivedAt: string;
  actor: string;
  correlationId?: string;
}

export type FxRateDecision =
  | { outcome: 'appended'; event: ProposedEvent }
  | { outcome: 'duplicate'; eventId: string }
  | { outcome: 'rejected'; errors: DomainError[] };

export const fxRateStreamOf = (e: FxRatesPublished): string => fxRateStream(e.data.base, e.data.quote);

function storedData(e: FxRatesPublished): JsonObject {
  return { occurredAt: e.occurredAt, ...e.data };
}

/** The stream's state after one more stored rate event. */
export function evolveFxRates(
  state: FxRateStreamState,
  e: Pick<RecordedEvent, 'type' | 'eventId' | 'revision' | 'metadata'>,
): FxRateStreamState {
  const source = e.metadata.source;
  if (!source) return { ...state, revision: e.revision };
  // The fold owns its state (initialFxRateStreamState makes a fresh map each time), so the map grows in place:
  // copying it per event made folding a pair's stream quadratic in its length (years of daily rates).
  state.keys.set(idempotencyKey({ type: e.type, source }), { eventId: e.eventId, contentHash: e.metadata.contentHash });
  return { revision: e.revision, keys: state.keys };
}

export function decideFxRate(state: FxRateStreamState, cmd: PublishFxRate): FxRateDecision {
  const e = cmd.event;
  const key = idempotencyKey(e);
  const data = storedData(e);
  const seen = state.keys.get(key);
  if (seen) {
    if (seen.contentHash === contentHashOf(e.type, data)) return { outcome: 'duplicate', eventId: seen.eventId };
    return {
      outcome: 'rejected',
      errors: [
        domainError(
          'IDEMPOTENCY_CONFLICT',
          `a rate with the same source (${e.source.system} ${e.source.id} v${e.source.version}) was already ` +
            'accepted with different content; send a new source version to correct it',
          'source',
        ),
      ],
    };
  }
  return {
    outcome: 'appended',
    event: {
      eventId: eventIdFor(key),
      type: e.type,
      data,
      metadata: {
        schemaVersion: 1,
        source: e.source,
        receivedAt: cmd.receivedAt,
        correlationId: e.correlationId ?? cmd.correlationId ?? null,
        causationId: null,
        actor: cmd.actor,
      },
    },
  };
}
