// `revtrail verify`: the store's hash chains and heads, one stream's or the whole log's.
import { loadConfig } from '../config.js';
import { openStore, parseAnchor, verify } from '../store/index.js';

function anchorFlag(text: string): ReturnType<typeof parseAnchor> {
  try {
    return parseAnchor(text);
  } catch (err) {
    throw new Error(`--against: ${(err as Error).message}`, { cause: err });
  }
}

export async function verifyCommand(args: string[]): Promise<number> {
  const anchorOnly = args.includes('--anchor');
  const rest = args.filter((a) => a !== '--anchor');
  const againstAt = rest.indexOf('--against');
  const against = againstAt < 0 ? undefined : rest.splice(againstAt, 2)[1];
  if (againstAt >= 0 && against === undefined) throw new Error('--against needs the digest printed by verify --anchor');
  const unknown = rest.find((a) => a.startsWith('--'));
  if (unknown) throw new Error(`unexpected flag ${unknown}; flags: --anchor --against DIGEST`);
  if (rest.length > 1) throw new Error(`unexpected argument ${JSON.stringify(rest[1])}; usage: verify [stream]`);
  const stream = rest[0];
  if (stream !== undefined && (anchorOnly || against !== undefined)) {
    throw new Error('--anchor and --against cover the whole log: give no stream');
  }
  const anchor = against === undefined ? undefined : anchorFlag(against);
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    const report = await verify(store, {
      ...(stream === undefined ? {} : { streamId: stream }),
      ...(anchor ? { against: anchor } : {}),
    });
    // An anchor is only given for a log that verified clean: the digest of a tampered log would vouch for it.
    if (anchorOnly && report.anchor) process.stdout.write(`${report.anchor}\n`);
    else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
