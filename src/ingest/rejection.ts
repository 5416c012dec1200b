// The audit record of a refused input (InputRejected in rejections-<yyyy-mm-dd>), bounded: whatever a client sends,
// the record is at most MAX_KEPT_INPUT_BYTES of input plus its full size and hash, and building it cannot throw.
import { randomUUID } from 'node:crypto';
import type { DomainError, Json, JsonObject, ProposedEvent } from '../../schemas/index.js';
import { canonicalJson, sha256Hex } from '../../schemas/index.js';

/** The most of a refused input's canonical JSON text a rejection keeps (UTF-8 bytes). */
export const MAX_KEPT_INPUT_BYTES = 64 * 1024;
/** Inputs nested deeper are kept as their text, not as a JSON value (so reading them back is shallow too). */
export const MAX_KEPT_INPUT_DEPTH = 32;

export interface KeptInput {
  /** The input itself when it is an object within the bounds; otherwise its canonical JSON text, cut when long. */
  input: JsonObject | string;
  /** UTF-8 bytes of the whole input's canonical JSON text. */
  inputBytes: number;
  /** sha-256 (hex) of the whole input's canonical JSON text. */
  inputSha256: string;
  /** True when `input` is only the first MAX_KEPT_INPUT_BYTES of the text. */
  inputCut: boolean;
}

/** A refused input: one of the request (`index`), or a held event rejected on apply (`index` null). */
export interface Refusal {
  index: number | null;
  input: unknown;
  errors: DomainError[];
  /** A held event rejected on apply: its stored id. */
  heldEventId?: string;
}

export function keptInput(input: unknown): KeptInput {
  const text = canonicalText(input);
  const bytes = Buffer.byteLength(text);
  const inputSha256 = sha256Hex(text);
  if (bytes > MAX_KEPT_INPUT_BYTES) {
    return { input: utf8Prefix(text, MAX_KEPT_INPUT_BYTES), inputBytes: bytes, inputSha256, inputCut: true };
  }
  const whole = isShallowObject(input) ? (input as JsonObject) : text;
  return { input: whole, inputBytes: bytes, inputSha256, inputCut: false };
}

/** The InputRejected events for refusals of one request: what came, when, from whom, and why. */
export function rejectionEvents(
  refusals: readonly Refusal[],
  receivedAt: string,
  ctx: { actor: string; requestId?: string; correlationId?: string; lineage?: JsonObject },
): ProposedEvent[] {
  return refusals.map((r) => ({
    eventId: randomUUID(),
    type: 'InputRejected',
    data: {
      index: r.index,
      ...keptInput(r.input),
      errors: r.errors as unknown as JsonObject[],
      requestId: ctx.requestId ?? null,
      ...(r.heldEventId === undefined ? {} : { heldEventId: r.heldEventId }),
    },
    metadata: {
      schemaVersion: 1,
      source: null,
      receivedAt,
      correlationId: ownCorrelationId(r.input) ?? ctx.correlationId ?? null,
      causationId: null,
      actor: ctx.actor,
      ...ctx.lineage,
    },
  }));
}

/** The correlation id a refused input carries, when it is one the inbound schema would take (text, 1..128). */
function ownCorrelationId(input: unknown): string | null {
  const id = (input as { correlationId?: unknown } | null)?.correlationId;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : null;
}

export const rejectionStream = (receivedAt: string): string => `rejections-${receivedAt.slice(0, 10)}`;

/** Canonical JSON of anything a parser produced; a value JSON cannot write (a hole, undefined) is written as null. */
function canonicalText(input: unknown): string {
  try {
    return canonicalJson((input ?? null) as Json);
  } catch {
    return JSON.stringify(String(input));
  }
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `max` bytes, never splitting a character. */
function utf8Prefix(text: string, max: number): string {
  const bytes = Buffer.from(text.slice(0, max));
  if (bytes.length <= max) return bytes.toString('utf8');
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // back to the first byte of the character cut through
  return bytes.subarray(0, end).toString('utf8');
}

/** A plain object nested at most MAX_KEPT_INPUT_DEPTH levels (checked with a stack, not recursion). */
function isShallowObject(input: unknown): boolean {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return false;
  const stack: [unknown, number][] = [[input, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [value, depth] = item;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_KEPT_INPUT_DEPTH) return false;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return true;
}
