// The lineage index (docs/accounting.md): per contract, the source records (system and id) its events came from and
// the correlation ids they carry, so that `trace(system, id)` and `trace(correlationId)` find the contracts a source
// record or a correlation id touched through the tag index instead of scanning the log. A document is only its tags
// (`sourceTag`, `correlationTag`); the events themselves are then read from those contract streams.
import type { JsonObject, RecordedEvent } from '../schemas/index.js';
import type { Projection } from './types.js';

export interface LineageIndexDoc extends JsonObject {
  contractId: string;
  /** The source tags of the contract's events, sorted, each once. */
  sources: string[];
  /**
   * The correlation tags of the contract's events, sorted, each once (absent in documents indexed before correlation
   * ids were: `revtrail rebuild` adds them).
   */
  correlations: string[];
}

/** A document's correlation tags, none in a document indexed before it had any. */
const correlationsOf = (doc: LineageIndexDoc): readonly string[] =>
  (doc as Partial<LineageIndexDoc>).correlations ?? [];

/**
 * The tag of a source record. The system's length goes first, so that no two (system, id) pairs share a tag however
 * either is spelled (`a:b` + `c` and `a` + `b:c` differ).
 */
export function sourceTag(system: string, id: string): string {
  return `src:${system.length}:${system}:${id}`;
}

/** The tag of a correlation id (its own namespace: no source tag starts `cor:`). */
export function correlationTag(correlationId: string): string {
  return `cor:${correlationId}`;
}

/** `tags` with `tag` in its sorted place (the same array when it is there already). */
function withTag(tags: readonly string[], tag: string): readonly string[] {
  const at = place(tags, tag);
  if (tags[at] === tag) return tags;
  return [...tags.slice(0, at), tag, ...tags.slice(at)];
}

/** Where `tag` sits in the sorted `tags` (its index when present, else where it would go). */
function place(tags: readonly string[], tag: string): number {
  let lo = 0;
  let hi = tags.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tags[mid]! < tag) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const lineageIndex: Projection<LineageIndexDoc> = {
  name: 'lineage-index',
  filter: { streamPrefixes: ['contract-'] },
  documentsByStream: 'contract-',
  keyOf: (e) =>
    typeof e.data.contractId === 'string' && (e.metadata.source || typeof e.metadata.correlationId === 'string')
      ? e.data.contractId
      : null,
  initial: (contractId) => ({ contractId, sources: [], correlations: [] }),
  evolve(doc, e: RecordedEvent) {
    const src = e.metadata.source;
    const correlationId = e.metadata.correlationId;
    const sources = src ? withTag(doc.sources, sourceTag(src.system, src.id)) : doc.sources;
    const had = correlationsOf(doc);
    const correlations = typeof correlationId === 'string' ? withTag(had, correlationTag(correlationId)) : had;
    if (sources === doc.sources && correlations === had) return doc;
    return { ...doc, sources: [...sources], correlations: [...correlations] };
  },
  tagsOf: (doc) => [...doc.sources, ...correlationsOf(doc)],
};
