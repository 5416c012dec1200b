// The stored envelope's integrity: canonical JSON, content hashes, the per-stream hash chain, the global chain over
// the log, and event ids from idempotency keys. `verify` (verify.ts) checks them.
//
// Why a chain and not just per-event hashes: a content hash shows an event was not altered, but not that none was
// removed, inserted or reordered. Each event's metadata.prevHash is the hash of the previous event of its stream
// (over its id, type, metadata — which holds the content hash of its data — stream and revision), so any such
// change breaks the next link. A chain cannot show its own newest links were cut off or rewritten: the stores record
// each stream's head hash, the embedded store also a chain over the whole log in position order and its head, and
// `verify --anchor` prints a digest of the log's head to keep elsewhere (docs/operations.md, "What verify proves").
import { hash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { EventMetadata, EventMetadataInput, Json, JsonObject, Position, ProposedEvent } from './types.js';
import { formatPosition } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Namespace for uuid v5 event ids (fixed forever: changing it would change every event id). */
export const REVTRAIL_EVENT_NAMESPACE = '6f1b1e8c-3d5a-5b0e-9c61-2a7f4e0d9b13';

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
  if (!isSorted(keys)) keys.sort();
  return keys;
}

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

/** eventId = uuid v5 of the idempotency key, so a retried delivery maps to the same id. */
export function eventIdFor(idempotencyKey: string): string {
  return uuidv5(idempotencyKey, REVTRAIL_EVENT_NAMESPACE);
}

/** What an event looks like once sealed for a stream position, before the store assigns a global position. */
export interface SealedEvent {
  eventId: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
  /** canonicalJson(data) and canonicalJson(metadata): valid JSON, so adapters store these very strings. */
  dataJson: string;
  metadataJson: string;
  /** This event's own hash (eventHash): what the next event of the stream points to. */
  hash: string;
}

/*
 * Both hashes are over canonical JSON objects whose keys are written here in sorted order, around the canonical
 * texts of data and metadata, so that each is canonicalised once per event (they are also what gets stored).
 * contentHash = sha256(canonical {data, type}); eventHash = sha256(canonical {eventId, metadata, revision, streamId,
 * type}) — data is covered through metadata.contentHash, so it is hashed once. Keys in code-unit order.
 */
function contentHashOfCanonical(type: string, dataJson: string): string {
  return sha256Hex(`{"data":${dataJson},"type":${JSON.stringify(type)}}`);
}

function eventHashOfCanonical(
  e: { eventId: string; type: string },
  metadataJson: string,
  streamId: string,
  revision: number,
): string {
  return sha256Hex(
    `{"eventId":${JSON.stringify(e.eventId)},"metadata":${metadataJson},` +
      `"revision":${revision},"streamId":${JSON.stringify(streamId)},"type":${JSON.stringify(e.type)}}`,
  );
}

export function contentHashOf(type: string, data: JsonObject): string {
  return contentHashOfCanonical(type, canonicalJson(data));
}

/** Hash of one stored event: the link the next event of the stream points to. */
export function eventHash(
  e: { eventId: string; type: string; data: JsonObject; metadata: EventMetadata },
  streamId: string,
  revision: number,
): string {
  return eventHashOfCanonical(e, canonicalJson(e.metadata as unknown as JsonObject), streamId, revision);
}

/** The caller's metadata as stored, with the two hashes (canonicalJson drops members left undefined). */
function storedMetadata(m: EventMetadataInput, contentHash: string, prevHash: string): EventMetadata {
  return { ...m, contentHash, prevHash };
}

/**
 * Seals events for appending after `prevHash` at `firstRevision`: adds contentHash and prevHash to each.
 * Returns the sealed events and the hash of the last one (the stream's new head).
 */
export function sealEvents(
  streamId: string,
  events: readonly ProposedEvent[],
  firstRevision: number,
  prevHash: string,
): { sealed: SealedEvent[]; headHash: string } {
  const sealed: SealedEvent[] = [];
  let link = prevHash;
  events.forEach((e, i) => {
    const dataJson = canonicalJson(e.data);
    const metadata = storedMetadata(e.metadata, contentHashOfCanonical(e.type, dataJson), link);
    const metadataJson = canonicalJson(metadata as unknown as JsonObject);
    link = eventHashOfCanonical(e, metadataJson, streamId, firstRevision + i);
    sealed.push({ eventId: e.eventId, type: e.type, data: e.data, metadata, dataJson, metadataJson, hash: link });
  });
  return { sealed, headHash: link };
}

/**
 * One link of the global chain: sha256 of canonical {eventHash, position, prev, recordedAt}, where prev is the link
 * of the event at the previous position (GENESIS_HASH for the first). eventHash covers stream, revision, id, type
 * and metadata (so the content hash and the stream link), the position pins the event to its place in the log, and
 * recordedAt is the one stored field nothing else covers.
 */
export function logLinkHash(prev: string, position: Position, eventHash: string, recordedAt: string): string {
  return sha256Hex(
    `{"eventHash":${JSON.stringify(eventHash)},"position":${JSON.stringify(formatPosition(position))},` +
      `"prev":${JSON.stringify(prev)},"recordedAt":${JSON.stringify(recordedAt)}}`,
  );
}
