// `revtrail exceptions list|show|assign|ack|resolve|ignore|note|rejections|replay`: the exceptions workbench from the
// command line, over the store and read store of the configuration. The projections are brought up to the log's end
// first (as `revtrail project` does), so what is listed is current. Prints JSON; exit 3 when an action is refused
// (the code and message on stderr), 2 on a bad argument.
import { readFileSync } from 'node:fs';
import type { ExceptionAction } from '../../commands/exception.js';
import { PROJECTIONS } from '../../projections/index.js';
import type { JsonObject } from '../../schemas/index.js';
import type { ExceptionDeps, ExceptionFilter, ExceptionSort } from '../audit/exceptions.js';
import {
  EXCEPTION_SORTS,
  MAX_EXCEPTIONS_PAGE,
  exceptionById,
  listExceptions,
  listRejections,
} from '../audit/exceptions.js';
import type { Config } from '../config.js';
import { actOnException, replayRejection } from '../exceptions/index.js';
import { Ingestor } from '../ingest/index.js';
import { openReadStore } from '../readmodel/index.js';
import { ProjectionRunner } from '../runner/index.js';
import { openStore } from '../store/index.js';
import { EXCEPTIONS_USAGE, UsageError } from './usage.js';

function parse(args: string[], allowed: string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (!allowed.includes(name) || args[i + 1] === undefined)
      throw new UsageError(
        `unexpected argument ${JSON.stringify(a)}; flags: ${allowed.map((f) => `--${f}`).join(' ')}`,
      );
    flags[name] = args[++i]!;
  }
  return { positional, flags };
}

function count(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`--${name} ${JSON.stringify(value)}: 0..${max}`);
  return n;
}

function listFilter(f: Record<string, string>): ExceptionFilter {
  const age = f['min-age-hours'];
  if (age !== undefined && !(Number(age) >= 0)) throw new UsageError(`--min-age-hours ${JSON.stringify(age)}: >= 0`);
  const amount = f['min-amount'];
  if (amount !== undefined && !/^\d+(\.\d+)?$/.test(amount))
    throw new UsageError(`--min-amount ${JSON.stringify(amount)}: a decimal amount such as 1000.00`);
  const status = f.status as ExceptionFilter['status'];
  if (status && !['open', 'acknowledged', 'resolved', 'ignored', 'active', 'all'].includes(status))
    throw new UsageError(`--status ${JSON.stringify(status)}: open, acknowledged, resolved, ignored, active or all`);
  return {
    kind: f.kind ?? null,
    legalEntity: f.entity ?? null,
    status: status ?? null,
    owner: f.owner ?? null,
    minAgeHours: age === undefined ? null : Number(age),
    minAmount: amount ?? null,
  };
}

const ACTION_FLAGS: Record<string, string[]> = {
  assign: ['owner', 'actor'],
  ack: ['actor'],
  resolve: ['reason', 'actor'],
  ignore: ['reason', 'actor'],
  note: ['text', 'actor'],
};

function actionOf(verb: string, f: Record<string, string>): ExceptionAction {
  const need = (name: string): string => {
    const v = f[name];
    if (v === undefined || v.trim() === '') throw new UsageError(`${verb} needs --${name}`);
    return v;
  };
  if (verb === 'assign') return { action: 'assign', owner: need('owner') };
  if (verb === 'ack') return { action: 'acknowledge' };
  if (verb === 'resolve') return { action: 'resolve', reason: f.reason ?? null };
  if (verb === 'ignore') return { action: 'ignore', reason: need('reason') };
  return { action: 'note', text: need('text') };
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const refuse = (error: { code: string; message: string }): number => {
  process.stderr.write(`${JSON.stringify({ code: error.code, message: error.message })}\n`);
  return 3;
};

/** Runs `revtrail exceptions <verb> ...`; the exit code. */
export async function exceptionsCommand(config: Config, args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = openReadStore(config.readStore, { synchronous: config.sqliteSync });
  try {
    await new ProjectionRunner(store, read, PROJECTIONS, {
      batchSize: config.runnerBatch,
      deriveBudget: { maxSteps: config.deriveBudget },
    }).catchUp();
    const now = () => new Date();
    const deps: ExceptionDeps = {
      store,
      read,
      now,
      sla: config.exceptionSla,
      held: { now, maxAgeDays: config.heldMaxAgeDays },
    };
    return await run(deps, config, verb, rest);
  } finally {
    await read.close();
    await store.close();
  }
}

async function run(deps: ExceptionDeps, config: Config, verb: string | undefined, rest: string[]): Promise<number> {
  if (verb === 'list') {
    const { flags } = parse(rest, [
      'kind',
      'entity',
      'status',
      'owner',
      'min-age-hours',
      'min-amount',
      'sort',
      'limit',
      'offset',
    ]);
    const sort = flags.sort ?? 'impact';
    if (!(EXCEPTION_SORTS as readonly string[]).includes(sort))
      throw new UsageError(`--sort ${JSON.stringify(sort)}: ${EXCEPTION_SORTS.join(' or ')}`);
    const page = {
      limit: count('limit', flags.limit, 50, MAX_EXCEPTIONS_PAGE) || 1,
      offset: count('offset', flags.offset, 0, Number.MAX_SAFE_INTEGER),
      sort: sort as ExceptionSort,
    };
    print(await listExceptions(deps, listFilter(flags), page));
    return 0;
  }
  if (verb === 'rejections') {
    const { flags } = parse(rest, ['day', 'system', 'code', 'limit', 'offset']);
    const page = {
      limit: count('limit', flags.limit, 50, MAX_EXCEPTIONS_PAGE) || 1,
      offset: count('offset', flags.offset, 0, Number.MAX_SAFE_INTEGER),
    };
    print(await listRejections(deps, flags, page));
    return 0;
  }
  const allowed = verb === 'replay' ? ['corrected', 'actor'] : verb === 'show' ? [] : ACTION_FLAGS[verb ?? ''];
  if (!allowed) throw new UsageError(`unknown exceptions command ${JSON.stringify(verb)}\n${EXCEPTIONS_USAGE}`);
  const { positional, flags } = parse(rest, allowed);
  const [id] = positional;
  if (id === undefined || positional.length > 1) throw new UsageError(`exceptions ${verb} takes one id`);
  const actor = flags.actor ?? 'cli';
  if (verb === 'show') {
    const item = await exceptionById(deps, id);
    if (!item) return refuse({ code: 'UNKNOWN_EXCEPTION', message: `no exception has the id ${id}` });
    print(item);
    return 0;
  }
  if (verb === 'replay') {
    const corrected = flags.corrected === undefined ? null : readEvent(flags.corrected);
    const ingestor = new Ingestor(deps.store, { limits: config.limits });
    const outcome = await replayRejection({ ...deps, ingestor }, id, corrected, { actor });
    if (!outcome.ok) return refuse(outcome.error);
    print(outcome);
    return 0;
  }
  const outcome = await actOnException(deps, id, actionOf(verb!, flags), { actor });
  if (!outcome.ok) return refuse(outcome.error);
  print(outcome);
  return 0;
}

function readEvent(path: string): JsonObject {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as JsonObject;
  } catch (err) {
    throw new UsageError(`--corrected ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
