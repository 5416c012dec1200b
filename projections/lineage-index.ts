// The lineage index (DESIGN.md "Projections"): per contract, which of its events each source record produced, so that
// `trace(system, id)` finds the contracts a source record touched through the tag index instead of scanning the log.
// A document is small (source ref -> event ids); its tags (`sourceTag`) are the index.
import type { JsonObject, RecordedEvent } from '../src/store/types.js';
import type { Projection } from './types.js';

export interface LineageIndexDoc extends JsonObject {
  contractId: string;
  /** Per source ref (see sourceTag), the contract events it produced, in log order. */
  sources: Record<string, string[]>;
}

/**
 * The tag of a source record. The system's length goes first, so that no two (system, id) pairs share a tag however
 * either is spelled (`a:b` + `c` and `a` + `b:c` differ).
 */
export function sourceTag(system: string, id: string): string {
  return `src:${system.length}:${system}:${id}`;
}

export const lineageIndex: Projection<LineageIndexDoc> = {
  name: 'lineage-index',
  filter: { streamPrefixes: ['contract-'] },
  keyOf: (e) => (typeof e.data.contractId === 'string' && e.metadata.source ? e.data.contractId : null),
  initial: (contractId) => ({ contractId, sources: {} }),
  evolve(doc, e: RecordedEvent) {
    const src = e.metadata.source;
    if (!src) return doc;
    const tag = sourceTag(src.system, src.id);
    const ids = doc.sources[tag] ?? [];
    if (ids.includes(e.eventId)) return doc;
    return { ...doc, sources: { ...doc.sources, [tag]: [...ids, e.eventId] } };
  },
  tagsOf: (doc) => Object.keys(doc.sources).sort(),
};
