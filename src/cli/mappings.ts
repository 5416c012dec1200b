// `revtrail mappings publish|show|versions KIND`: the mappings (products, accounts) and the entity register (entities)
// from the command line, through the same publication as POST /v1/mappings/:kind (validation, CURRENCY_CONFLICT,
// STALE_VERSION, a re-publication changing nothing). Prints JSON; exit 3 when a publication is refused (the errors on
// stderr, each with its field path), 2 on a bad argument or an invalid file, 1 when nothing is published yet to show.
import { readFileSync } from 'node:fs';
import { MAPPING_EVENT, mappingStream } from '../../commands/mapping.js';
import { MAPPING_SETS, MappingKind, fromZodIssues } from '../../schemas/index.js';
import type { DomainError, RecordedEvent } from '../../schemas/index.js';
import type { Config } from '../config.js';
import { unpostableAccounts } from '../posting/mapping-check.js';
import { publishMappingSet } from '../posting/register.js';
import type { EventStore } from '../store/index.js';
import { openStore } from '../store/index.js';
import { UsageError } from './usage.js';

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

function parse(args: string[], allowed: string[]): { kind: MappingKind; flags: Record<string, string> } {
  const [kindText, ...rest] = args;
  const kind = MappingKind.safeParse(kindText);
  if (!kind.success)
    throw new UsageError(`KIND must be products, accounts or entities, got ${JSON.stringify(kindText)}`);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!.replace(/^--/, '');
    if (!rest[i]!.startsWith('--') || !allowed.includes(name) || rest[i + 1] === undefined)
      throw new UsageError(
        `unexpected argument ${JSON.stringify(rest[i])}; flags: ${allowed.map((a) => `--${a}`).join(' ')}`,
      );
    flags[name] = rest[i + 1]!;
  }
  return { kind: kind.data, flags };
}

/** The file's publication with the flags over it, as the body of POST /v1/mappings/KIND. */
function bodyOf(flags: Record<string, string>): Record<string, unknown> {
  if (flags.file === undefined) throw new UsageError('publish needs --file FILE');
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(flags.file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--file ${flags.file}: ${(err as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new UsageError(`--file ${flags.file}: a JSON object is expected`);
  const based = flags['based-on'];
  if (based !== undefined && !/^[1-9]\d*$/.test(based)) throw new UsageError('--based-on must be a version number');
  return {
    ...body,
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(based !== undefined ? { basedOnVersion: Number(based) } : {}),
  };
}

const refused = (exit: number, code: string, errors: DomainError[]): number => {
  process.stderr.write(`${JSON.stringify({ code, errors })}\n`);
  return exit;
};

async function publish(store: EventStore, config: Config, args: string[]): Promise<number> {
  const { kind, flags } = parse(args, ['file', 'reason', 'based-on', 'actor']);
  const raw = bodyOf(flags);
  const parsed = MAPPING_SETS[kind].safeParse(raw);
  if (!parsed.success) return refused(2, 'VALIDATION_FAILED', fromZodIssues(parsed.error.issues, raw));
  const unpostable = unpostableAccounts(config.connector.kind, kind, parsed.data);
  if (unpostable.length > 0) return refused(3, 'ACCOUNT_NOT_POSTABLE', unpostable);
  const decision = await publishMappingSet(store, kind, parsed.data, {
    receivedAt: new Date().toISOString(),
    actor: flags.actor ?? 'cli',
  });
  if (decision.outcome === 'rejected') return refused(3, decision.errors[0]!.code, decision.errors);
  print({ kind, version: decision.version, status: decision.outcome });
  return 0;
}

const described = (kind: MappingKind, e: RecordedEvent) => ({
  kind,
  ...e.data,
  publishedAt: e.metadata.receivedAt,
  publishedBy: e.metadata.actor,
});

async function show(store: EventStore, args: string[], all: boolean): Promise<number> {
  const { kind, flags } = parse(args, all ? [] : ['version']);
  const version = flags.version === undefined ? null : Number(flags.version);
  const versions = [];
  for await (const e of store.readStream(mappingStream(kind), { direction: 'backwards' })) {
    if (e.type !== MAPPING_EVENT[kind]) continue;
    const { entities, products, ...summary } = described(kind, e) as Record<string, unknown>;
    if (all) versions.push({ ...summary, entries: ((entities ?? products) as unknown[]).length });
    else if (version === null || e.data.version === version) {
      print(described(kind, e));
      return 0;
    }
  }
  if (all) print({ kind, versions });
  else process.stderr.write(`${JSON.stringify({ code: 'NO_MAPPING', message: `no such ${kind} mapping version` })}\n`);
  return all ? 0 : 1;
}

/** Runs `revtrail mappings <verb> ...`; the exit code. */
export async function mappingsCommand(config: Config, args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'publish' && verb !== 'show' && verb !== 'versions')
    throw new UsageError(`mappings publish|show|versions KIND, got ${JSON.stringify(verb)}`);
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    return verb === 'publish' ? await publish(store, config, rest) : await show(store, rest, verb === 'versions');
  } finally {
    await store.close();
  }
}
