// `revtrail generate`: a deterministic synthetic company's inbound events as JSONL.
import { generateCompany, writeJsonl } from '../demo/index.js';
import { flags, rate, wholeNumber } from './args.js';

export async function generateCommand(args: string[]): Promise<number> {
  const f = flags(args, ['contracts', 'seed', 'out', 'start', 'duplicates', 'out-of-order']);
  const rates: Record<string, number> = {};
  const dup = rate('duplicates', f.duplicates);
  const ooo = rate('out-of-order', f['out-of-order']);
  if (dup !== undefined) rates.duplicateDelivery = dup;
  if (ooo !== undefined) rates.outOfOrderAmendment = ooo;
  const events = generateCompany({
    contracts: wholeNumber('contracts', f.contracts, 100),
    seed: wholeNumber('seed', f.seed, 1),
    ...(f.start ? { startDate: f.start } : {}),
    rates,
  });
  if (f.out) {
    const { lines } = await writeJsonl(f.out, events);
    process.stderr.write(`wrote ${lines} events to ${f.out}\n`);
  } else {
    // A reader that stops early (`| head`) closes the pipe: that ends the output, it is not a failure.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
    for (const e of events) {
      if (!process.stdout.write(`${JSON.stringify(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    }
  }
  return 0;
}
