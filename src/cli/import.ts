// `revtrail import FILE`: streams a JSONL file of inbound events through the same command path as POST /v1/events
// (schemas -> contract command -> store), in batches, and sums up what happened to every line.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DomainError } from '../../schemas/index.js';
import type { IngestStatus } from '../ingest/index.js';
import { Ingestor } from '../ingest/index.js';
import type { EventStore } from '../store/index.js';

export interface ImportSummary {
  lines: number;
  counts: Record<IngestStatus, number>;
  /** The first refusals, with their line numbers, for the operator to act on. */
  firstRejections: { line: number; errors: DomainError[] }[];
}

export async function importJsonl(
  store: EventStore,
  path: string,
  options: {
    batchSize?: number;
    actor?: string;
    onProgress?: (bytes: number, totalBytes: number, s: ImportSummary) => void;
  } = {},
): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 500;
  const ingestor = new Ingestor(store);
  const totalBytes = statSync(path).size;
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const summary: ImportSummary = {
    lines: 0,
    counts: { appended: 0, duplicate: 0, held: 0, rejected: 0 },
    firstRejections: [],
  };
  let batch: { line: number; value: unknown }[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const parsed = batch.filter((b) => b.value !== PARSE_ERROR);
    const results = await ingestor.ingest(
      parsed.map((b) => b.value),
      { actor: options.actor ?? `import:${path}` },
    );
    results.forEach((r, i) => {
      summary.counts[r.status]++;
      if (r.status === 'rejected' && summary.firstRejections.length < 20)
        summary.firstRejections.push({ line: parsed[i]!.line, errors: r.errors ?? [] });
    });
    batch = [];
    options.onProgress?.(input.bytesRead, totalBytes, summary);
  };

  for await (const text of lines) {
    summary.lines++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      value = PARSE_ERROR;
      summary.counts.rejected++;
      if (summary.firstRejections.length < 20) {
        summary.firstRejections.push({
          line: summary.lines,
          errors: [{ code: 'INVALID_FORMAT', message: `not JSON: ${(err as Error).message}` }],
        });
      }
    }
    batch.push({ line: summary.lines, value });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return summary;
}

const PARSE_ERROR = Symbol('unparseable line');
