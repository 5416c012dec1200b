// `verify`: one pass over the stored log in position order that checks every integrity record the store keeps and
// reports every problem at its stream, revision and position, reading on past unreadable rows to the end.
//
// What is checked (docs/operations.md, "What verify proves", says what that proves per adapter):
// - each event: its content hash (type and data) and its link to the previous revision of its stream (prevHash);
// - each stream: revisions gap-free from 0 and stored in order; its newest event against the head table, where the
//   adapter keeps one (embedded store), so a cut-off tail or a removed stream shows;
// - the stored global chain, where the adapter keeps one (embedded store): each row's log hash against its content
//   and position, its link to the row before, and the recorded log head;
// - the anchor: the same chain computed here over the whole log; its head is the digest `verify --anchor` prints, and
//   `verify --against` recomputes the chain up to the anchored position and compares.
import { GENESIS_HASH, eventHash, logLinkHash } from './chain.js';
import { comparePositions, contentHashOf, formatPosition, parsePosition } from '../../schemas/index.js';
import type { EventStore, IntegrityView, LogEntry, LogHead, StreamHead } from './types.js';
import type { Position, RecordedEvent } from '../../schemas/index.js';

export type ProblemKind =
  /** Data or metadata no longer parse as a JSON object (or cannot be hashed). */
  | 'UNREADABLE'
  /** Type or data differ from what metadata.contentHash was computed over. */
  | 'CONTENT_HASH_MISMATCH'
  /** metadata.prevHash is not the hash of the stream's previous revision as stored. */
  | 'PREV_HASH_MISMATCH'
  /** Revisions of a stream that are not stored. */
  | 'EVENT_MISSING'
  /** A stream recorded in the head table of which no event is stored. */
  | 'STREAM_MISSING'
  /** A revision stored after a later revision of its stream, or stored twice. */
  | 'OUT_OF_ORDER'
  /** The stream's newest event is not the one the head table records (altered, replaced, or added outside). */
  | 'STREAM_HEAD_MISMATCH'
  /** Events of a stream the head table does not know. */
  | 'STREAM_HEAD_MISSING'
  /** A row's global-chain hash does not match its content and position: altered, or moved. */
  | 'LOG_HASH_MISMATCH'
  /** A row does not follow the row before it in the global chain: something between was removed or replaced. */
  | 'LOG_LINK_MISMATCH'
  /** A row inside the global chain's range without a chain hash: not appended through the store. */
  | 'LOG_HASH_MISSING'
  /** The log does not end where the recorded log head says. */
  | 'LOG_HEAD_MISMATCH'
  /** The log up to the anchored position is not what it was when the anchor was taken. */
  | 'ANCHOR_MISMATCH';

export interface Problem {
  kind: ProblemKind;
  streamId: string | null;
  revision: number | null;
  /** formatPosition of the row concerned; null for what is not stored (missing revisions). */
  position: string | null;
  eventId: string | null;
  message: string;
}

/** The head of the log as `verify --anchor` prints it and `--against` takes it. */
export interface Anchor {
  position: Position;
  hash: string;
}

export interface VerifyOptions {
  /** Verify this stream only (no global chain, no anchor). */
  streamId?: string;
  /** Check the log up to the anchored position against the anchor. */
  against?: Anchor;
  /** How many problems the report lists (all are counted). Default 1,000. */
  maxProblems?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** The stream verified, or null for the whole log. */
  stream: string | null;
  eventsChecked: number;
  streamsChecked: number;
  /** What was checked beside events and per-stream chains: depends on what the adapter keeps. */
  checked: { streamHeads: boolean; logChain: boolean; anchor: boolean };
  /** First position the stored global chain covers (events before it: per-stream rules only); null without one. */
  logChainFrom: string | null;
  /** The digest of the log head (`rt1:<position>:<chain hash>`) when the whole log verified clean; else null. */
  anchor: string | null;
  problemCount: number;
  /** The problems in log order, the first `maxProblems` of them. */
  problems: Problem[];
}

const ANCHOR_PATTERN = /^rt1:(\d+(?:\/\d+)?):([0-9a-f]{64})$/;

export function formatAnchor(anchor: Anchor): string {
  return `rt1:${formatPosition(anchor.position)}:${anchor.hash}`;
}

/** Parses a digest printed by `verify --anchor`; throws naming the rule (INVALID_ANCHOR). */
export function parseAnchor(text: string): Anchor {
  const m = ANCHOR_PATTERN.exec(text.trim());
  if (!m) {
    throw new Error(
      `INVALID_ANCHOR: ${JSON.stringify(text)} is not a verify anchor (rt1:<position>:<64 lowercase hex digits>)`,
    );
  }
  return { position: parsePosition(m[1]!), hash: m[2]! };
}

type At = Pick<Problem, 'streamId' | 'revision' | 'eventId'> & { position: Position | null };

class Problems {
  readonly listed: { problem: Problem; position: Position | null }[] = [];
  count = 0;
  constructor(private readonly max: number) {}

  add(kind: ProblemKind, at: Partial<At>, message: string): void {
    this.count++;
    if (this.listed.length >= this.max) return;
    const position = at.position ?? null;
    this.listed.push({
      problem: {
        kind,
        streamId: at.streamId ?? null,
        revision: at.revision ?? null,
        position: position && formatPosition(position),
        eventId: at.eventId ?? null,
        message,
      },
      position,
    });
  }

  /** In log order; what has no position (missing events) after, in the order found. */
  sorted(): Problem[] {
    const withPosition = this.listed.filter((p) => p.position !== null);
    withPosition.sort((a, b) => comparePositions(a.position!, b.position!));
    return [...withPosition, ...this.listed.filter((p) => p.position === null)].map((p) => p.problem);
  }
}

/** One event as its stream's chain sees it; hashes are null for an unreadable row. */
interface Link {
  revision: number;
  position: Position;
  eventId: string;
  prevHash: string | null;
  hash: string | null;
}

interface StreamState {
  next: number;
  /** Hash of revision next - 1 (GENESIS before revision 0); null when unknown (unreadable, or after a gap). */
  hash: string | null;
  newest: Link | null;
  /** Events that came before a lower revision of their stream, by revision. */
  waiting: Map<number, Link> | null;
  headChecked: boolean;
}

/** Events waiting for a lower revision, per stream, before that revision is taken as missing. */
const WAITING_LIMIT = 1000;

/** The per-stream chains, fed in position order; revisions out of order are put back in order before linking. */
class StreamChains {
  readonly streams = new Map<string, StreamState>();
  constructor(private readonly problems: Problems) {}

  add(streamId: string, link: Link): void {
    let s = this.streams.get(streamId);
    if (!s) {
      s = { next: 0, hash: GENESIS_HASH, newest: null, waiting: null, headChecked: false };
      this.streams.set(streamId, s);
    }
    const at = { streamId, revision: link.revision, position: link.position, eventId: link.eventId };
    if (link.revision < s.next || s.waiting?.has(link.revision)) {
      this.problems.add('OUT_OF_ORDER', at, `revision ${link.revision} is stored twice, or after later revisions`);
      return;
    }
    if (link.revision > s.next) {
      (s.waiting ??= new Map()).set(link.revision, link);
      if (s.waiting.size > WAITING_LIMIT) this.skipGap(streamId, s);
      return;
    }
    if (s.waiting && s.waiting.size > 0) {
      const early = [...s.waiting.values()].reduce((a, b) => (a.revision < b.revision ? a : b));
      this.problems.add(
        'OUT_OF_ORDER',
        at,
        `revision ${link.revision} is stored at position ${formatPosition(link.position)}, after revision ` +
          `${early.revision} (position ${formatPosition(early.position)})`,
      );
    }
    this.accept(streamId, s, link);
    this.drain(streamId, s);
  }

  private accept(streamId: string, s: StreamState, link: Link): void {
    if (link.hash !== null && s.hash !== null && link.prevHash !== s.hash) {
      this.problems.add(
        'PREV_HASH_MISMATCH',
        { streamId, revision: link.revision, position: link.position, eventId: link.eventId },
        link.revision === 0
          ? 'the first event of the stream links to a predecessor: earlier events were removed'
          : `revision ${link.revision - 1} as stored is not the event this one was appended after: ` +
              'it was altered or replaced',
      );
    }
    s.next = link.revision + 1;
    s.hash = link.hash;
    s.newest = link;
  }

  private drain(streamId: string, s: StreamState): void {
    for (let link = s.waiting?.get(s.next); link; link = s.waiting?.get(s.next)) {
      s.waiting!.delete(s.next);
      this.accept(streamId, s, link);
    }
  }

  /** Takes the revisions up to the lowest waiting one as missing, and goes on from there. */
  private skipGap(streamId: string, s: StreamState): void {
    const lowest = Math.min(...s.waiting!.keys());
    this.problems.add(
      'EVENT_MISSING',
      { streamId, revision: s.next },
      lowest - 1 === s.next ? `revision ${s.next} is missing` : `revisions ${s.next}–${lowest - 1} are missing`,
    );
    s.next = lowest;
    s.hash = null;
    this.drain(streamId, s);
  }

  /** After the last event: gaps still open are missing events. */
  finish(): void {
    for (const [streamId, s] of this.streams) while (s.waiting && s.waiting.size > 0) this.skipGap(streamId, s);
  }

  /** Each stream's newest event against the head table, and every recorded stream against what is stored. */
  async checkHeads(heads: AsyncIterable<StreamHead>): Promise<void> {
    for await (const head of heads) this.checkHead(head);
    for (const [streamId, s] of this.streams) {
      if (s.headChecked || !s.newest) continue;
      const newest = s.newest;
      this.problems.add(
        'STREAM_HEAD_MISSING',
        { streamId, revision: newest.revision, position: newest.position, eventId: newest.eventId },
        'no head is recorded for this stream: its events were not appended through the store, or its head was removed',
      );
    }
  }

  private checkHead(head: StreamHead): void {
    const { streamId } = head;
    const s = this.streams.get(streamId);
    if (!s || !s.newest) {
      this.problems.add(
        'STREAM_MISSING',
        { streamId, revision: 0 },
        `no event of the stream is stored; its head is recorded at revision ${head.revision}`,
      );
      return;
    }
    s.headChecked = true;
    const newest = s.newest;
    if (newest.revision < head.revision) {
      this.problems.add(
        'EVENT_MISSING',
        { streamId, revision: newest.revision + 1 },
        `revisions ${newest.revision + 1}–${head.revision} are missing: the stream's head is recorded at ` +
          `revision ${head.revision}, the newest stored is ${newest.revision}`,
      );
    } else if (newest.revision > head.revision) {
      this.problems.add(
        'STREAM_HEAD_MISMATCH',
        { streamId, revision: newest.revision, position: newest.position, eventId: newest.eventId },
        `revisions ${head.revision + 1}–${newest.revision} are stored after the recorded head ` +
          `(revision ${head.revision}): not appended through the store`,
      );
    } else if (s.hash !== null && s.hash !== head.hash) {
      this.problems.add(
        'STREAM_HEAD_MISMATCH',
        { streamId, revision: newest.revision, position: newest.position, eventId: newest.eventId },
        "the stream's newest event is not the one recorded as its head: it was altered or replaced",
      );
    }
  }
}

interface ChainRow {
  position: Position;
  logHash: string | null;
  /** The row's own hash matched its content and position. */
  intact: boolean;
}

/** The stored global chain (embedded store): each row against itself, against the row before, and the log head. */
class StoredChain {
  private previous: ChainRow | null = null;
  private last: ChainRow | null = null;
  private startMoved = false;
  constructor(
    private readonly problems: Problems,
    private readonly head: LogHead,
  ) {}

  /** `link`: logLinkHash over the row's own logPrev, or null when the row cannot be hashed. */
  add(entry: LogEntry, link: string | null): void {
    const at = { streamId: entry.streamId, revision: entry.revision, position: entry.position, eventId: entry.eventId };
    if (comparePositions(entry.position, this.head.chainStart) < 0) {
      // Stored before the chain started, so it cannot carry a chain hash: if it does, the start was moved.
      if (entry.logHash !== null && !this.startMoved) {
        this.startMoved = true;
        this.problems.add(
          'LOG_HEAD_MISMATCH',
          at,
          `the row carries a global chain hash, but the chain is recorded to start later ` +
            `(position ${formatPosition(this.head.chainStart)}): the log head was reset`,
        );
      }
      this.last = { position: entry.position, logHash: null, intact: true };
      return;
    }
    if (entry.logHash === null || entry.logPrev === null) {
      this.problems.add('LOG_HASH_MISSING', at, 'no global chain hash: the row was not appended through the store');
      this.record({ position: entry.position, logHash: null, intact: false });
      return;
    }
    if (link !== null && link !== entry.logHash) {
      this.problems.add(
        'LOG_HASH_MISMATCH',
        at,
        'the row does not match its global chain hash: it was altered, or moved from another position',
      );
      this.record({ position: entry.position, logHash: entry.logHash, intact: false });
      return;
    }
    this.checkLink(entry, at);
    this.record({ position: entry.position, logHash: entry.logHash, intact: link !== null });
  }

  private checkLink(entry: LogEntry, at: At): void {
    const before = this.previous;
    // Positions of the embedded store are the rowids, gap-free from 1; the chain starts with GENESIS_HASH.
    const expectedPosition = before ? before.position.commit + 1n : this.head.chainStart.commit;
    const contiguous = entry.position.commit === expectedPosition;
    const expected = before ? before.logHash : GENESIS_HASH;
    if (expected === null || entry.logPrev === expected) return;
    if (!contiguous) {
      const last = entry.position.commit - 1n;
      const range = last === expectedPosition ? `position ${last} is` : `positions ${expectedPosition}–${last} are`;
      this.problems.add('LOG_LINK_MISMATCH', at, `${range} missing from the log: events were removed`);
    } else if (!before || before.intact) {
      this.problems.add(
        'LOG_LINK_MISMATCH',
        at,
        `the row at position ${expectedPosition - 1n} is not the one this row was appended after: ` +
          'it was replaced, or removed and appended again',
      );
    }
    // After a row that does not match its own hash the broken link is explained already.
  }

  private record(row: ChainRow): void {
    this.previous = row;
    this.last = row;
  }

  /** The log's last row against the recorded head. */
  finish(): void {
    const head = this.head;
    const last = this.last;
    const recorded = head.position;
    if (recorded && (!last || comparePositions(last.position, recorded) < 0)) {
      this.problems.add(
        'LOG_HEAD_MISMATCH',
        { position: recorded },
        `the log ends at ${last ? `position ${formatPosition(last.position)}` : 'no position'}, but its head is ` +
          `recorded at position ${formatPosition(recorded)}: the newest events were removed`,
      );
    } else if (last && (!recorded || comparePositions(last.position, recorded) > 0)) {
      this.problems.add(
        'LOG_HEAD_MISMATCH',
        { position: last.position },
        `rows are stored after the recorded log head (${recorded ? formatPosition(recorded) : 'none'}): ` +
          'not appended through the store',
      );
    } else if (last && (last.logHash ?? GENESIS_HASH) !== head.hash) {
      this.problems.add(
        'LOG_HEAD_MISMATCH',
        { position: last.position },
        'the newest row of the log is not the one recorded as its head: it was altered or replaced',
      );
    }
  }
}

/** The chain computed over the whole log, for the anchor: its value at the last row, and the check of `against`. */
class ComputedChain {
  hash: string | null = GENESIS_HASH;
  position: Position | null = null;
  private pending: Anchor | null;

  constructor(
    private readonly problems: Problems,
    against: Anchor | undefined,
  ) {
    this.pending = against ?? null;
  }

  /** `hash`: the event's hash (null when unreadable); `link`: the row's stored-chain link, if computed. */
  add(entry: LogEntry, hash: string | null, link: string | null): void {
    const anchor = this.pending;
    if (anchor && comparePositions(entry.position, anchor.position) > 0) {
      this.mismatch(`position ${formatPosition(anchor.position)} is not in the log any more`, entry.position);
    }
    const recordedAt = entry.event?.recordedAt;
    if (this.hash === null || hash === null || recordedAt === undefined) this.hash = null;
    // An intact stored chain links from the same predecessor: its link is this chain's too (one hash per row).
    else if (link !== null && entry.logPrev === this.hash) this.hash = link;
    else this.hash = logLinkHash(this.hash, entry.position, hash, recordedAt);
    this.position = entry.position;
    if (anchor && comparePositions(entry.position, anchor.position) === 0) {
      if (this.hash === null) this.mismatch('an unreadable row before it keeps the anchor from being confirmed', null);
      else if (this.hash !== anchor.hash) {
        this.mismatch('the log up to it differs from when the anchor was taken: events were altered or removed', null);
      }
      this.pending = null;
    }
  }

  private mismatch(reason: string, position: Position | null): void {
    const anchor = this.pending!;
    this.problems.add(
      'ANCHOR_MISMATCH',
      { position: position ?? anchor.position },
      `anchor at position ${formatPosition(anchor.position)}: ${reason}`,
    );
    this.pending = null;
  }

  finish(): void {
    if (!this.pending) return;
    const end = this.position ? `position ${formatPosition(this.position)}` : 'no position (it is empty)';
    this.mismatch(`the log ends at ${end}, before it: the newest events were removed`, null);
  }
}

/** The checks of one readable event; the event's hash, or null when it cannot be hashed. */
function checkEvent(entry: LogEntry, e: RecordedEvent, problems: Problems, at: At): string | null {
  try {
    if (e.metadata.contentHash !== contentHashOf(e.type, e.data)) {
      problems.add('CONTENT_HASH_MISMATCH', at, 'type or data differ from what was hashed when stored');
    }
    return eventHash(e, entry.streamId, entry.revision);
  } catch (err) {
    problems.add('UNREADABLE', at, `cannot be hashed: ${(err as Error).message}`);
    return null;
  }
}

/**
 * Verifies the whole log, or one stream; never throws for what it finds in the store (every problem is reported),
 * only for failures to read it at all.
 */
export async function verify(
  store: Pick<EventStore, 'integrity'>,
  streamOrOptions: string | VerifyOptions = {},
): Promise<VerifyReport> {
  const options = typeof streamOrOptions === 'string' ? { streamId: streamOrOptions } : streamOrOptions;
  const view = await store.integrity();
  try {
    return await verifyView(view, options);
  } finally {
    await view.close();
  }
}

async function verifyView(view: IntegrityView, options: VerifyOptions): Promise<VerifyReport> {
  const whole = options.streamId === undefined;
  const problems = new Problems(options.maxProblems ?? 1000);
  const streams = new StreamChains(problems);
  const logHead = whole && view.logHead ? await view.logHead() : null;
  const stored = logHead ? new StoredChain(problems, logHead) : null;
  const computed = whole ? new ComputedChain(problems, options.against) : null;
  let eventsChecked = 0;
  for await (const entry of view.readLog(whole ? {} : { streamId: options.streamId! })) {
    eventsChecked++;
    const at = { streamId: entry.streamId, revision: entry.revision, position: entry.position, eventId: entry.eventId };
    let hash: string | null = null;
    if (entry.event) hash = checkEvent(entry, entry.event, problems, at);
    else problems.add('UNREADABLE', at, `data or metadata cannot be read: ${entry.unreadable ?? 'not JSON'}`);
    streams.add(entry.streamId, {
      revision: entry.revision,
      position: entry.position,
      eventId: entry.eventId,
      prevHash: hash === null ? null : (entry.event?.metadata.prevHash ?? null),
      hash,
    });
    const recordedAt = entry.event?.recordedAt;
    const link =
      stored && hash !== null && recordedAt !== undefined && entry.logPrev !== null
        ? logLinkHash(entry.logPrev, entry.position, hash, recordedAt)
        : null;
    stored?.add(entry, link);
    computed?.add(entry, hash, link);
  }
  streams.finish();
  if (view.streamHeads) await streams.checkHeads(view.streamHeads(options.streamId));
  stored?.finish();
  computed?.finish();
  const ok = problems.count === 0;
  return {
    ok,
    stream: options.streamId ?? null,
    eventsChecked,
    streamsChecked: streams.streams.size,
    checked: { streamHeads: view.streamHeads !== undefined, logChain: stored !== null, anchor: !!options.against },
    logChainFrom: logHead ? formatPosition(logHead.chainStart) : null,
    anchor:
      ok && computed?.position && computed.hash
        ? formatAnchor({ position: computed.position, hash: computed.hash })
        : null,
    problemCount: problems.count,
    problems: problems.sorted(),
  };
}

/** The per-stream checks over events already read (no head table, no global chain): e.g. a filtered part of the log. */
export async function verifyEvents(events: AsyncIterable<RecordedEvent>): Promise<VerifyReport> {
  const report = await verifyView(
    {
      async *readLog(): AsyncIterable<LogEntry> {
        for await (const event of events) {
          const { position, streamId, revision, eventId } = event;
          yield { position, streamId, revision, eventId, event, logPrev: null, logHash: null };
        }
      },
      close: () => Promise.resolve(),
    },
    {},
  );
  return { ...report, anchor: null };
}
