// The lineage index (docs/accounting.md): per contract, the source records (system and id) its events came from,
// so that `trace(system, id)` finds the contracts a source record touched through the tag index instead of scanning
// the log. A document is only its tags (`sourceTag`); the events themselves are then read from those contract streams.
import type { JsonObject, RecordedEvent } from '../schemas/index.js';
import type { Projection } from './types.js';

export interface LineageIndexDoc extends JsonObject {
  contractId: string;
  /** The source tags of the contract's events, sorted, each once. */
  sources: string[];
}

/**
 * The tag of a source record. The system's length goes first, so that no two (system, id) pairs share a tag however
 * either is spelled (`a:b` + `c` and `a` + `b:c` differ).
 */
export function sourceTag(system: string, id: string): string {
  return `src:${system.length}:${system}:${id}`;
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
  keyOf: (e) => (typeof e.data.contractId === 'string' && e.metadata.source ? e.data.contractId : null),
  initial: (contractId) => ({ contractId, sources: [] }),
  evolve(doc, e: RecordedEvent) {
    const src = e.metadata.source;
    if (!src) return doc;
    const tag = sourceTag(src.system, src.id);
    const at = place(doc.sources, tag);
    if (doc.sources[at] === tag) return doc;
    return { ...doc, sources: [...doc.sources.slice(0, at), tag, ...doc.sources.slice(at)] };
  },
  tagsOf: (doc) => doc.sources,
};
