// The stored envelope's integrity: the per-stream hash chain and the global chain over the log, built on the
// envelope's canonical JSON and content hash (schemas/envelope.ts). `verify` (verify.ts) checks them.
//
// Why a chain and not just per-event hashes: a content hash shows an event was not altered, but not that none was
// removed, inserted or reordered. Each event's metadata.prevHash is the hash of the previous event of its stream
// (over its id, type, metadata — which holds the content hash of its data — stream and revision), so any such
// change breaks the next link. A chain cannot show its own newest links were cut off or rewritten: the stores record
// each stream's head hash, the embedded store also a chain over the whole log in position order and its head, and
// `verify --anchor` prints a digest of the log's head to keep elsewhere (docs/operations.md, "What verify proves").
import { canonicalJson, contentHashOfCanonical, formatPosition, sha256Hex } from '../../schemas/index.js';
import type { EventMetadata, EventMetadataInput, JsonObject, Position, ProposedEvent } from '../../schemas/index.js';

export const GENESIS_HASH = '0'.repeat(64);

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
 * Both hashes are over canonical JSON objects whose keys are written in sorted order around the canonical texts of
 * data and metadata, so that each is canonicalised once per event (they are also what gets stored).
 * contentHash = sha256(canonical {data, type}) (schemas/envelope.ts); eventHash = sha256(canonical {eventId, metadata, revision, streamId,
 * type}) — data is covered through metadata.contentHash, so it is hashed once. Keys in code-unit order.
 */
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
