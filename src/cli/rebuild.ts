// `revtrail rebuild`: replay the log into fresh read-model tables while the current ones serve, then swap them in.
import { projectionsNamed } from '../../projections/index.js';
import { loadConfig } from '../config.js';
import { openReadStore } from '../readmodel/index.js';
import { rebuild } from '../runner/index.js';
import { openStore } from '../store/index.js';
import { phasedProgress } from './progress.js';

export async function rebuildCommand(args: string[]): Promise<number> {
  const dryRun = args.includes('--dry-run');
  const diff = args.includes('--diff');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--dry-run' && a !== '--diff');
  if (unknown.length > 0) throw new Error(`unexpected flag ${unknown[0]}; flags: --dry-run --diff`);
  const projections = projectionsNamed(args.filter((a) => !a.startsWith('--')));
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = openReadStore(config.readStore, { synchronous: config.sqliteSync });
  const progress = phasedProgress();
  try {
    const report = await rebuild(store, read, projections, {
      dryRun,
      batchSize: config.rebuildBatch,
      deriveBudget: { maxSteps: config.deriveBudget },
      onProgress: (p) =>
        progress.update(
          `${p.phase === 'replay' ? 'rebuild' : 'derive'} ${p.projection}`,
          p.phase === 'replay' ? 'events' : 'documents',
          p,
        ),
      ...(diff
        ? {
            onDiff: (d) =>
              process.stdout.write(`${d.projection} ${d.key}\n${d.changes.map((c) => `  ${c}\n`).join('')}`),
          }
        : {}),
    });
    progress.finish();
    process.stdout.write(`${JSON.stringify({ dryRun, ...report })}\n`);
    return 0;
  } finally {
    await read.close();
    await store.close();
  }
}
