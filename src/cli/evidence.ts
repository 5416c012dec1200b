// `revtrail evidence`: a legal entity's period as an audit evidence pack (docs/evidence.md), the same ZIP, byte for
// byte, as GET /v1/evidence on the same ledger. The read models are brought up to the log first, as every CLI reader
// does, so the pack stands on everything the log holds.
import { writeFileSync } from 'node:fs';
import type { z } from 'zod';
import { PROJECTIONS } from '../../projections/index.js';
import { Id, Period } from '../../schemas/index.js';
import type { Config } from '../config.js';
import { evidencePack, isEvidencePack, readModelCheckpoints } from '../exports/index.js';
import { openReadStore } from '../readmodel/index.js';
import { ProjectionRunner } from '../runner/index.js';
import { openStore } from '../store/index.js';
import { UsageError } from './usage.js';

const FLAGS = ['legal-entity', 'period', 'out'];

function parseArgs(args: string[]): { legalEntity: string; period: string; out: string | undefined } {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.slice(2);
    if (!args[i]!.startsWith('--') || !FLAGS.includes(name) || args[i + 1] === undefined)
      throw new UsageError(
        `unexpected argument ${JSON.stringify(args[i])}; usage: evidence --legal-entity LE --period YYYY-MM [--out FILE]`,
      );
    flags[name] = args[i + 1]!;
  }
  const checked = (name: string, schema: z.ZodType<string>): string => {
    const value = flags[name];
    if (value === undefined) throw new UsageError(`--${name} is required`);
    const r = schema.safeParse(value);
    if (!r.success) throw new UsageError(`--${name} ${JSON.stringify(value)}: ${r.error.issues[0]!.message}`);
    return r.data;
  };
  return { legalEntity: checked('legal-entity', Id), period: checked('period', Period), out: flags.out };
}

export async function evidenceCommand(config: Config, args: string[]): Promise<number> {
  const { legalEntity, period, out } = parseArgs(args);
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = openReadStore(config.readStore, { synchronous: config.sqliteSync });
  try {
    const runner = new ProjectionRunner(store, read, PROJECTIONS, {
      batchSize: config.runnerBatch,
      deriveBudget: { maxSteps: config.deriveBudget },
    });
    await runner.catchUp();
    const pack = await evidencePack(
      { store, read },
      {
        legalEntity,
        period,
        readModels: readModelCheckpoints(await runner.status()),
        limits: { maxRows: config.exports.maxRows, maxJournals: config.exports.evidenceMaxJournals },
      },
    );
    if (!isEvidencePack(pack)) {
      process.stderr.write(`${JSON.stringify({ code: pack.code, message: pack.detail })}\n`);
      return 1;
    }
    if (out === undefined) await new Promise<void>((done) => process.stdout.write(pack.archive, () => done()));
    else {
      writeFileSync(out, pack.archive);
      process.stderr.write(`wrote ${pack.archive.byteLength} bytes to ${out}\n`);
    }
    return pack.manifest.verified ? 0 : 3;
  } finally {
    await read.close();
    await store.close();
  }
}
