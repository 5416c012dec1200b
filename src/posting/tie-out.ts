// ERP tie-out: the ERP's own balances per legal entity, account and currency through a period end, against what
// Revtrail recorded as posted (journals with status posted, in periods through it), each difference listed with the
// journals behind it on either side. Each ERP is read by its own means, so the comparison is with what the ERP
// computes, not with Revtrail's reading of what it sent: the file connector's journal files through hledger itself
// (`hledger register`), Tryton through JSON-RPC (the lines of its posted moves, summed debit − credit per account).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tieOutConnector } from './erp.js';
import { entityRegister } from './register.js';
import type { ConnectorConfig } from '../config.js';
import { TIE_OUT_RECORDED, TIE_OUT_STREAM_PREFIX } from '../../projections/index.js';
import type { JsonObject, ProposedEvent } from '../../schemas/index.js';
import type { Dec } from '../revenue/index.js';
import { ZERO, dec, formatMoney, minus, nextMonth, plus } from '../revenue/index.js';
import type { EventStore } from '../store/index.js';
import { openTrytonConnector } from './connectors/index.js';
import type { TrytonConnectorOptions } from './connectors/index.js';
import { signedAmountOf } from './connectors/types.js';
import { contractJournals } from './trial-balance.js';

const exec = promisify(execFile);

export interface TieOutDifference {
  legalEntity: string;
  account: string;
  currency: string;
  /** Debit positive. */
  erp: string;
  revtrail: string;
  /** erp − revtrail. */
  difference: string;
  /** Journal ids behind the account on either side (an ERP entry without a journal id: `erp:<date> <description>`). */
  journals: string[];
}

export interface TieOut {
  period: string;
  legalEntity: string | null;
  /** Accounts compared (legal entity × account × currency). */
  compared: number;
  differences: TieOutDifference[];
}

interface Side {
  amount: Dec;
  journals: Set<string>;
}

type Balances = Map<string, Side>;

const keyOf = (legalEntity: string, account: string, currency: string) =>
  JSON.stringify([legalEntity, account, currency]);

function add(into: Balances, key: string, amount: Dec, journal: string): void {
  const side = into.get(key) ?? { amount: ZERO, journals: new Set<string>() };
  side.amount = plus(side.amount, amount);
  side.journals.add(journal);
  into.set(key, side);
}

/** What Revtrail recorded as posted through `period`, per legal entity, account and currency. */
export async function revtrailPosted(store: EventStore, period: string, legalEntity?: string): Promise<Balances> {
  const out: Balances = new Map();
  for (const state of (await contractJournals(store)).values()) {
    for (const j of state.journals.values()) {
      if (j.status !== 'posted' || j.period > period) continue;
      if (legalEntity !== undefined && j.legalEntity !== legalEntity) continue;
      for (const l of j.lines) add(out, keyOf(j.legalEntity, l.account, j.currency), signedAmountOf(l), j.journalId);
    }
  }
  return out;
}

/** One CSV record of hledger's output (quoted fields, `""` for a quote). */
function csvRecord(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^,]*)/gy;
  for (let i = 0; i <= line.length;) {
    re.lastIndex = i;
    const m = re.exec(line)!;
    out.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!);
    i = re.lastIndex + 1;
  }
  return out;
}

/**
 * The file connector's ERP as hledger computes it: every posting of the journal files in `dir` dated through
 * `period`, per `legalEntity` tag, account and commodity.
 */
export async function hledgerBalances(
  dir: string,
  period: string,
  options: { legalEntity?: string; hledger?: string } = {},
): Promise<Balances> {
  const out: Balances = new Map();
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.journal'))
        .sort()
    : [];
  if (files.length === 0) return out;
  const hledger = options.hledger ?? 'hledger';
  const base = files.flatMap((f) => ['-f', join(dir, f)]);
  // hledger's register has no tag column, so each legal entity is asked for on its own.
  const entities =
    options.legalEntity !== undefined
      ? [options.legalEntity]
      : (await exec(hledger, [...base, 'tags', 'legalEntity', '--values'])).stdout
          .split('\n')
          .filter((v) => v.trim() !== '');
  for (const entity of entities) {
    const query = [`tag:legalEntity=^${entity}$`, '-e', `${nextMonth(period)}-01`, '-O', 'csv'];
    const entityArgs = [...base, 'register', ...query];
    const { stdout } = await exec(hledger, entityArgs, { maxBuffer: 256 << 20 });
    for (const line of stdout.trim().split('\n').slice(1)) {
      if (line === '') continue;
      const [, date, code, description, account, amount] = csvRecord(line);
      for (const part of amount!.split(', ')) {
        const m = /^(-?[\d.]+) ([A-Za-z]+)$/u.exec(part.trim());
        if (!m) throw new Error(`hledger: amount ${JSON.stringify(part)} of ${account} is not "<number> <commodity>"`);
        const journal = code ? decodeURIComponent(code) : `erp:${date} ${description}`;
        add(out, keyOf(entity, account!, m[2]!), dec(m[1]!), journal);
      }
    }
  }
  return out;
}

/** The last day of a period (YYYY-MM). */
function lastDayOf(period: string): string {
  const end = new Date(Date.parse(`${nextMonth(period)}-01T00:00:00Z`) - 86_400_000);
  return end.toISOString().slice(0, 10);
}

/** The legal entity the connector wrote on a Tryton move line (its `legalEntity` dimension), or null. */
function taggedEntity(note: string): string | null {
  const m = /(?:^|, )legalEntity: ([^,]*)/u.exec(note);
  return m ? m[1]!.trim() : null;
}

/**
 * Tryton's ledger as Tryton holds it: every line of the company's posted moves dated through `period`, summed per
 * legal entity, account and the company's currency. Tryton books one company; the legal entities Revtrail posts into
 * it are told apart by the `legalEntity` dimension the connector writes on each line. A line without one (an entry
 * made in Tryton by hand) is the company's: it counts for the legal entity asked for, or, when none is, under
 * `tryton:company`. A move in the connector's journal is named by the journal id it holds; any other as
 * `erp:<date> <description> (move <id>)`.
 */
export async function trytonBalances(
  connection: TrytonConnectorOptions,
  period: string,
  options: { legalEntity?: string } = {},
): Promise<Balances> {
  const connector = openTrytonConnector(connection);
  try {
    const { currency, lines } = await connector.postedLines(lastDayOf(period));
    const out: Balances = new Map();
    for (const l of lines) {
      const entity = taggedEntity(l.note) ?? options.legalEntity ?? 'tryton:company';
      if (options.legalEntity !== undefined && entity !== options.legalEntity) continue;
      const journal = l.journalId ?? `erp:${l.date} ${l.moveDescription} (move ${l.moveId})`;
      add(out, keyOf(entity, l.account, currency), minus(dec(l.debit), dec(l.credit)), journal);
    }
    return out;
  } finally {
    await connector.close();
  }
}

/** The configured connector's ERP has no balances to tie out with (the simulated ERP). */
export class TieOutUnavailableError extends Error {
  override readonly name = 'TieOutUnavailableError';
  readonly code = 'TIE_OUT_UNAVAILABLE';
}

/** The tie-out of the legal entity's ERP (tieOutConnector: its register entry's, or the configured one) with what Revtrail recorded as posted through `period`. */
export async function erpTieOut(
  store: EventStore,
  configured: ConnectorConfig,
  period: string,
  legalEntity?: string,
): Promise<TieOut> {
  const only = legalEntity === undefined ? {} : { legalEntity };
  const routed = tieOutConnector(configured, await entityRegister(store), legalEntity);
  if ('code' in routed) throw new TieOutUnavailableError(routed.message);
  const connector = routed;
  let erp: Balances;
  if (connector.kind === 'file') erp = await hledgerBalances(connector.dir, period, only);
  else if (connector.kind === 'tryton') erp = await trytonBalances(connector, period, only);
  else throw new TieOutUnavailableError(`the ${connector.kind} connector keeps no ledger to tie out with`);
  return compareTieOut(period, legalEntity ?? null, erp, await revtrailPosted(store, period, legalEntity));
}

/** Every (legal entity, account, currency) where the two sides differ, with the journals behind each. */
export function compareTieOut(period: string, legalEntity: string | null, erp: Balances, revtrail: Balances): TieOut {
  const keys = [...new Set([...erp.keys(), ...revtrail.keys()])].sort();
  const differences: TieOutDifference[] = [];
  for (const key of keys) {
    const [entity, account, currency] = JSON.parse(key) as [string, string, string];
    const e = erp.get(key);
    const r = revtrail.get(key);
    const difference = formatMoney(minus(e?.amount ?? ZERO, r?.amount ?? ZERO), currency);
    if (dec(difference).isZero()) continue;
    differences.push({
      legalEntity: entity,
      account,
      currency,
      erp: formatMoney(e?.amount ?? ZERO, currency),
      revtrail: formatMoney(r?.amount ?? ZERO, currency),
      difference,
      journals: [...new Set([...(e?.journals ?? []), ...(r?.journals ?? [])])].sort(),
    });
  }
  return { period, legalEntity, compared: keys.length, differences };
}

/**
 * Keeps a tie-out in the log (TieOutRecorded in `tie-out-<period>`): its breaks become reconciliation-break
 * exceptions, and a later tie-out of the same scope that no longer finds one resolves it. Every run is its own event
 * (a random id): the answer of the ERP at that moment, not an idempotent command.
 */
export async function recordTieOut(store: EventStore, tieOut: TieOut, actor: string, at: Date): Promise<void> {
  const event: ProposedEvent = {
    eventId: randomUUID(),
    type: TIE_OUT_RECORDED,
    data: {
      period: tieOut.period,
      legalEntity: tieOut.legalEntity,
      compared: tieOut.compared,
      differences: tieOut.differences as unknown as JsonObject[],
    },
    metadata: {
      schemaVersion: 1,
      source: null,
      receivedAt: at.toISOString(),
      correlationId: null,
      causationId: null,
      actor,
    },
  };
  await store.append(`${TIE_OUT_STREAM_PREFIX}${tieOut.period}`, [event], { expectedRevision: 'any' });
}
