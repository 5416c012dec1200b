// The last schedule computed for each contract, kept so that recomputing it from the same input costs a string
// comparison. A live projection derives a contract after every batch that touches it, and most of those batches bring
// facts that do not shape revenue (invoices: billing only) — the schedule's input is then the same as last time.
//
// `computeSchedule` is a pure function of its input, so a schedule computed from an input that serialises to the same
// JSON is the same schedule: the key is the whole input (facts with their data, the mappings, the budget), never an
// id standing for it. A schedule over budget throws and is not kept, so a hit never skips a budget check that would
// have failed. Callers treat schedules as immutable values, so one may be handed out more than once.
import { RandomReplacementCache } from '../cache/index.js';
import { computeSchedule } from './engine.js';
import type { Schedule, ScheduleInput } from './types.js';

export class LastSchedules {
  private readonly entries: RandomReplacementCache<{ input: string; schedule: Schedule }>;
  /** Schedules handed out again, and computed. */
  readonly counts = { reused: 0, computed: 0 };

  /**
   * At most `capacity` contracts are remembered; when full, a new one takes the place of one chosen at random (a busy
   * period derives contracts in turn, and least recently computed would drop the one needed next: src/cache).
   */
  constructor(capacity: number) {
    this.entries = new RandomReplacementCache(capacity);
  }

  compute(input: ScheduleInput): Schedule {
    const key = JSON.stringify([
      input.contractId,
      input.mappingVersion,
      input.maxSteps ?? null,
      input.products,
      input.events,
    ]);
    const last = this.entries.get(input.contractId);
    if (last?.input === key) {
      this.counts.reused++;
      return last.schedule;
    }
    const schedule = computeSchedule(input);
    this.counts.computed++;
    this.entries.set(input.contractId, { input: key, schedule });
    return schedule;
  }
}
