// The stored event envelope, as pure data: JSON values, where an event came from (SourceRef), its metadata, the
// event as proposed and as recorded, its position in the log, and its identity — the canonical JSON every hash is
// taken over, the content hash, and event ids derived from idempotency keys. Commands, projections and the store all
// read events through these shapes; the store adds the hash chain over them (src/store/chain.ts).
//
// Hashing and uuid v5 are deterministic functions of their input (node:crypto's sha-256 here, no randomness, no
// clock), so they belong with the shapes they identify rather than behind the store port.
import { hash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { Text } from './primitives.js';

/** A JSON value as stored: event data and metadata are plain JSON, never class instances or JS numbers for money. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Where an event came from in the source system: the record and its version there. */
export const SourceRef = z.strictObject({
  system: Text(64),
  id: Text(256),
  version: z.number().int().min(0),
});
export type SourceRef = z.infer<typeof SourceRef>;

/**
 * Position in the global log. EventStoreDB positions are a (commit, prepare) pair of byte offsets in its transaction
 * log; the embedded store uses its global sequence number for both. Ordering is by commit, then prepare.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Text form of a position for APIs and checkpoints: "C" when commit = prepare, else "C/P". */
export function formatPosition(p: Position): string {
  return p.commit === p.prepare ? p.commit.toString() : `${p.commit}/${p.prepare}`;
}

export function parsePosition(text: string): Position {
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a position: ${JSON.stringify(text)}`);
  const commit = BigInt(m[1]!);
  return { commit, prepare: m[2] === undefined ? commit : BigInt(m[2]) };
}

/** Metadata the caller supplies; the store adds contentHash and prevHash itself (see src/store/chain.ts). */
export interface EventMetadataInput {
  schemaVersion: number;
  source?: SourceRef | null;
  receivedAt: string;
  correlationId?: string | null;
  causationId?: string | null;
  actor?: string | null;
  /** A refused input resubmitted as it was: the InputRejected event that kept it (absent: not a replay). */
  replayOf?: string | null;
  /** A refused input resubmitted corrected: the InputRejected event that kept the original. */
  correctedFrom?: string | null;
}

export interface EventMetadata extends EventMetadataInput {
  /** sha-256 (hex) of the canonical JSON of {type, data}. */
  contentHash: string;
  /** sha-256 (hex) of the previous event of the same stream (canonical form), or GENESIS_HASH for revision 0. */
  prevHash: string;
}

/** An event proposed for appending. */
export interface ProposedEvent {
  /** A uuid; by convention uuid v5 of the idempotency key (eventIdFor). */
  eventId: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadataInput;
}

export interface RecordedEvent {
  eventId: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
  streamId: string;
  /** 0-based, gap-free within the stream. */
  revision: number;
  position: Position;
  /** When the store recorded it (ISO 8601, the store's own clock). */
  recordedAt: string;
}

/** A filter on the global log (both options may be combined: an event must match both). */
export interface AllFilter {
  /** Keep events whose stream id starts with one of these prefixes. */
  streamPrefixes?: readonly string[];
  /** Keep events whose type starts with one of these prefixes. */
  eventTypePrefixes?: readonly string[];
}

/** True when the event passes the filter. Adapters use it where the backend cannot filter on its own. */
export function matchesFilter(streamId: string, type: string, filter: AllFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((p) => streamId.startsWith(p))) return false;
  if (filter.eventTypePrefixes && !filter.eventTypePrefixes.some((p) => type.startsWith(p))) return false;
  return true;
}

/** Namespace for uuid v5 event ids (fixed forever: changing it would change every event id). */
export const REVTRAIL_EVENT_NAMESPACE = '6f1b1e8c-3d5a-5b0e-9c61-2a7f4e0d9b13';

const NAMESPACE_BYTES = Buffer.from(REVTRAIL_EVENT_NAMESPACE.replaceAll('-', ''), 'hex');
/** A UTF-16 surrogate without its pair (in a `u` regex, a pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * eventId = uuid v5 of the idempotency key, so a retried delivery maps to the same id. RFC 9562 section 5.5: sha-1
 * of the namespace's 16 bytes and the name's UTF-8, version 5 and the variant written into the first 16 bytes; the
 * uuid package's v5 gives the same ids four times slower (its sha-1 is written in JavaScript). A name that is not
 * well-formed UTF-16 has no UTF-8: it goes to the package, which refuses it.
 */
export function eventIdFor(idempotencyKey: string): string {
  if (LONE_SURROGATE.test(idempotencyKey)) return uuidv5(idempotencyKey, REVTRAIL_EVENT_NAMESPACE);
  const bytes = hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(idempotencyKey, 'utf8')]), 'buffer');
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Deterministic JSON: object keys sorted by UTF-16 code unit (as RFC 8785), no whitespace, undefined members
 * dropped. Same value => same text => same hash. A BigInt or other non-JSON value throws (nothing is stored).
 * Depth-safe: values nested deeper than a few hundred levels are written with an explicit stack, so no input can
 * overflow the call stack.
 */
export function canonicalJson(value: Json): string {
  return canonicalAt(value, 0);
}

/** Levels written by recursion (fast, and what every real event needs) before the explicit stack takes over. */
const RECURSION_DEPTH = 256;

function canonicalAt(value: Json, depth: number): string {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= RECURSION_DEPTH) return canonicalDeep(value);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalAt(value[i]!, depth + 1);
        return `${out}]`;
      }
      let out = '{';
      let first = true;
      for (const k of sortedKeys(value)) {
        const v = value[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += quotedKey(k) + ':' + canonicalAt(v, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}

/** The same text as canonicalAt, from a work stack of values still to write and literal text between them. */
function canonicalDeep(root: Json): string {
  const out: string[] = [];
  const work: ({ literal: string } | { value: Json })[] = [{ value: root }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if ('literal' in item) {
      out.push(item.literal);
      continue;
    }
    const value = item.value;
    if (value === null || typeof value !== 'object') {
      out.push(canonicalAt(value, 0));
      continue;
    }
    if (Array.isArray(value)) {
      work.push({ literal: ']' });
      for (let i = value.length - 1; i >= 0; i--) {
        work.push({ value: value[i]! });
        if (i > 0) work.push({ literal: ',' });
      }
      work.push({ literal: '[' });
      continue;
    }
    const keys = sortedKeys(value).filter((k) => value[k] !== undefined);
    work.push({ literal: '}' });
    for (let i = keys.length - 1; i >= 0; i--) {
      work.push({ value: value[keys[i]!]! });
      work.push({ literal: (i > 0 ? ',' : '') + quotedKey(keys[i]!) + ':' });
    }
    work.push({ literal: '{' });
  }
  return out.join('');
}

function sortedKeys(value: JsonObject): string[] {
  const keys = Object.keys(value);
  if (isSorted(keys)) return keys;
  if (keys.length > SMALL_OBJECT_KEYS) return keys.sort();
  // An event's objects have a few keys: sorted in place by insertion, in the same order as sort() (UTF-16 code
  // units), without the work array sort() allocates for each call (an eighth of what ingestion allocated).
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** Up to this many keys an object's keys are sorted by insertion (sortedKeys). */
const SMALL_OBJECT_KEYS = 24;

/** Quoted object keys, memoised: events repeat the same few dozen keys millions of times. */
const quotedKeys = new Map<string, string>();
function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 10_000) quotedKeys.set(k, q);
  }
  return q;
}

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * contentHash = sha256(canonical {data, type}), with the keys written here in sorted order around the canonical text
 * of data, so a caller that stores that text (the store's sealing) canonicalises data once.
 */
export function contentHashOfCanonical(type: string, dataJson: string): string {
  return sha256Hex(`{"data":${dataJson},"type":${JSON.stringify(type)}}`);
}

export function contentHashOf(type: string, data: JsonObject): string {
  return contentHashOfCanonical(type, canonicalJson(data));
}
