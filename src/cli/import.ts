// `revtrail import FILE`: streams a JSONL file of inbound events through the same command path as POST /v1/events
// (schemas -> contract command -> store), in batches, and sums up what happened to every line.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DomainError, Limits } from '../../schemas/index.js';
import type { IngestStatus } from '../ingest/index.js';
import { Ingestor } from '../ingest/index.js';
import { loadConfig } from '../config.js';
import type { EventStore } from '../store/index.js';
import { openStore } from '../store/index.js';
import { progressBar } from './progress.js';

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
    /** Bounds on each event and contract (configuration); default DEFAULT_LIMITS. */
    limits?: Limits;
    onProgress?: (bytes: number, totalBytes: number, s: ImportSummary) => void;
  } = {},
): Promise<ImportSummary> {
  const totalBytes = statSync(path).size;
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const summary: ImportSummary = {
    lines: 0,
    counts: { appended: 0, duplicate: 0, held: 0, rejected: 0 },
    firstRejections: [],
  };
  const refuse = (line: number, errors: DomainError[]): void => {
    if (summary.firstRejections.length < 20) summary.firstRejections.push({ line, errors });
  };
  let unparseable = 0;
  /** Line numbers of the events handed on and not yet answered, in order. */
  const pendingLines: number[] = [];

  async function* events(): AsyncGenerator<unknown> {
    for await (const text of lines) {
      summary.lines++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        unparseable++;
        refuse(summary.lines, [{ code: 'INVALID_FORMAT', message: `not JSON: ${(err as Error).message}` }]);
        continue;
      }
      pendingLines.push(summary.lines);
      yield value;
    }
  }

  const counts = await new Ingestor(store, options.limits ? { limits: options.limits } : {}).ingestAll(
    events(),
    { actor: options.actor ?? `import:${path}` },
    {
      batchSize: options.batchSize,
      onBatch: (results, running) => {
        const batchLines = pendingLines.splice(0, results.length);
        results.forEach((r, i) => r.status === 'rejected' && refuse(batchLines[i]!, r.errors ?? []));
        summary.counts = { ...running, rejected: running.rejected + unparseable };
        options.onProgress?.(input.bytesRead, totalBytes, summary);
      },
    },
  );
  summary.counts = { ...counts, rejected: counts.rejected + unparseable };
  return summary;
}

export async function importCommand(file: string | undefined): Promise<number> {
  if (!file) throw new Error('usage: revtrail import FILE');
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    let bar: ReturnType<typeof progressBar> | null = null;
    const counts = (c: Record<string, number>): string =>
      `${c.appended} appended, ${c.duplicate} duplicate, ${c.held} held, ${c.rejected} rejected`;
    const summary = await importJsonl(store, file, {
      limits: config.limits,
      onProgress: (bytes, total, s) => {
        bar ??= progressBar('import', total, 'events');
        bar.update(bytes, s.lines, counts(s.counts));
      },
    });
    const { appended, duplicate, held, rejected } = summary.counts;
    (bar as ReturnType<typeof progressBar> | null)?.finish(summary.lines, counts(summary.counts));
    process.stdout.write(
      `${JSON.stringify({ file, lines: summary.lines, appended, duplicate, held, rejected, firstRejections: summary.firstRejections }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
