// Quarantine: a document whose projection cannot fold or derive it is marked in exception (PROJECTION_FAILED, with the
// error and the event position) instead of stopping the runner, so one contract can never hold up the others, and a
// restart resumes after it (the mark is committed with its batch and the checkpoint). The live runner, the log-order
// rebuild and the stream-by-stream rebuild all go through these functions, so each path marks the same documents the
// same way and a rebuild still equals the live read model.
//
// Two kinds, by where the projection failed:
// - `evolve` (folding an event threw): the document is reset to its initial state with the mark, and stays so until a
//   rebuild with a projection that folds it — its later events cannot be applied on top of a fact that was not, so they
//   are only recorded (their count and first positions), never folded, and nothing is derived.
// - `derive` (the expensive part threw or exceeded the derivation budget): a property of the document's facts, like
//   the derived part itself — the facts keep folding, and the document is derived again when it changes (a new event or
//   a shared-state change that concerns it; each attempt is bounded by the budget), never on a restart or when idle.
//   The mark names the newest event folded into the document when it failed.
import type { DeriveBudget, Projection } from '../../projections/types.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';
import { formatPosition } from '../../schemas/index.js';

export const PROJECTION_FAILED = 'PROJECTION_FAILED';
/** The tag of every quarantined document: the exception tag the read side already filters schedules by. */
export const QUARANTINE_TAG = `exception:${PROJECTION_FAILED}`;
/** The field of a document that holds its mark. */
export const QUARANTINE_FIELD = 'quarantine';
/** Later event positions an `evolve` mark lists (it counts them all). */
export const LATER_LISTED = 100;
/**
 * Default derivation budget, in the revenue engine's steps (one per obligation per month, times its phases and usage
 * records): a 100-line contract over ten years with a few amendments is ~50,000; 1,000,000 ratable steps took ~1.3 s to compute.
 */
export const DEFAULT_DERIVE_STEPS = 1_000_000;
/**
 * Field of a document written before its derived part (rebuild only): the position of the newest event folded into
 * it, which a derivation failure is marked with. Removed when the document is derived.
 */
export const FOLDED_AT = '$foldedAt';

export interface QuarantineMark extends JsonObject {
  code: typeof PROJECTION_FAILED;
  stage: 'evolve' | 'derive';
  message: string;
  /** The event that failed to fold (`evolve`), or the newest event folded into the document (`derive`). */
  position: string;
  /** `evolve`: the event that failed to fold. */
  eventId: string | null;
  eventType: string | null;
  /** `evolve`: events of the document after it, not folded: how many, and the first LATER_LISTED positions. */
  laterEvents: number;
  later: string[];
}

export function markOf(doc: JsonObject): QuarantineMark | null {
  const mark = doc[QUARANTINE_FIELD];
  return mark !== undefined && mark !== null && typeof mark === 'object' && !Array.isArray(mark)
    ? (mark as QuarantineMark)
    : null;
}

/** A document that stopped folding: only a rebuild with a projection that folds its events clears it. */
export function frozen(doc: JsonObject): boolean {
  return markOf(doc)?.stage === 'evolve';
}

/** The document as its projection knows it: without the runner's fields. */
function bare(doc: JsonObject): JsonObject {
  if (!(QUARANTINE_FIELD in doc) && !(FOLDED_AT in doc)) return doc;
  const { [QUARANTINE_FIELD]: _mark, [FOLDED_AT]: _at, ...rest } = doc;
  return rest;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Folds one event into a document; when the projection throws, the document is quarantined at this event. A frozen
 * document records the event instead of folding it.
 */
export function evolveGuarded(
  p: Projection,
  key: string,
  doc: JsonObject,
  e: RecordedEvent,
  shared: JsonObject,
): JsonObject {
  const mark = markOf(doc);
  if (mark?.stage === 'evolve') {
    const later = mark.later.length < LATER_LISTED ? [...mark.later, formatPosition(e.position)] : mark.later;
    return { ...doc, [QUARANTINE_FIELD]: { ...mark, laterEvents: mark.laterEvents + 1, later } };
  }
  try {
    return p.evolve(bare(doc), e, shared);
  } catch (err) {
    const failed: QuarantineMark = {
      code: PROJECTION_FAILED,
      stage: 'evolve',
      message: messageOf(err),
      position: formatPosition(e.position),
      eventId: e.eventId,
      eventType: e.type,
      laterEvents: 0,
      later: [],
    };
    return { ...p.initial(key), [QUARANTINE_FIELD]: failed };
  }
}

/**
 * Derives a document; when the projection throws (a budget exceeded included), the document keeps its facts with a
 * `derive` mark naming `position` (the newest event folded into it; a rebuild's document carries it in FOLDED_AT).
 * A frozen document is left as it is.
 */
export function deriveGuarded(
  p: Projection,
  doc: JsonObject,
  shared: JsonObject,
  budget: DeriveBudget,
  position: string | null,
): JsonObject {
  if (!p.derive || frozen(doc)) return doc;
  const at = typeof doc[FOLDED_AT] === 'string' ? doc[FOLDED_AT] : position;
  const facts = bare(doc);
  try {
    return p.derive(facts, shared, budget);
  } catch (err) {
    const failed: QuarantineMark = {
      code: PROJECTION_FAILED,
      stage: 'derive',
      message: messageOf(err),
      position: at ?? '',
      eventId: null,
      eventType: null,
      laterEvents: 0,
      later: [],
    };
    return { ...facts, [QUARANTINE_FIELD]: failed };
  }
}

/**
 * The index terms of a document as stored: the projection's, and the quarantine tag when it is marked. Undefined
 * (tags left as they are) only where no tag can ever change: a projection without tags or a derived part, whose marks
 * are all frozen until a rebuild writes a fresh generation.
 */
export function tagsFor(p: Projection, doc: JsonObject): string[] | undefined {
  const own = p.tagsOf?.(bare(doc));
  if (markOf(doc) !== null) return [...(own ?? []), QUARANTINE_TAG];
  return own ?? (p.derive ? [] : undefined);
}
