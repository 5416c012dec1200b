// The Tryton connector: a journal becomes a posted `account.move` in a real Tryton ERP (6.0, JSON-RPC), in the
// general journal LSYNC, with one move line per journal line. Tryton itself refuses closed periods and unbalanced
// moves; this module only names its refusals (PERIOD_CLOSED, UNBALANCED) and makes retries safe.
//
// The reference: account.move has no `reference` field in 6.0 and `origin` only points at Tryton records, so the
// journal id is the move's `description`, searched with `=` (exact, case-sensitive). Idempotency: before creating,
// look the journal id up; a posted move is the answer, a draft one (an earlier attempt stopped between create and
// post) is posted now. Submissions of one journal id are serialised in this process; between processes, two racing
// creates are settled after the fact (the lowest move id wins, the other draft is deleted), so no second posted
// move can appear. Across processes `alreadyPosted` is best effort: two that post the same draft at once both see
// Tryton's `post` succeed (on a posted move it is a silent no-op), so both may report `alreadyPosted: false`.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { TrytonServerError, TrytonSession, TrytonUserError, trytonDate, trytonDecimal } from './tryton-rpc.js';
import type { TrytonConnection } from './tryton-rpc.js';
import {
  ConnectorUnavailableError,
  assertWellFormed,
  correlationTags,
  imbalanceOf,
  lineNote,
  rejected,
} from './types.js';
import type { Connector, JournalSubmission } from './types.js';
import type { SubmitOutcome } from '../../../schemas/index.js';
import { ZERO, dec, minus, negateMoney, plus } from '../../revenue/index.js';
import type { Dec } from '../../revenue/index.js';

export interface TrytonConnectorOptions extends TrytonConnection {
  /** The journal moves go to; the set-up (scripts/tryton) creates LSYNC. */
  journalCode?: string;
}

const Move = z.object({
  id: z.number(),
  state: z.enum(['draft', 'posted']),
  date: z.string(),
  period: z.number(),
  journal: z.number(),
});
export type TrytonMove = z.infer<typeof Move>;

const MoveLine = z
  .object({
    move: z.number(),
    'account.': z.object({ code: z.string() }),
    debit: z.string(),
    credit: z.string(),
    description: z.string().nullable(),
  })
  .transform((l) => ({
    move: l.move,
    account: l['account.'].code,
    debit: l.debit,
    credit: l.credit,
    description: l.description ?? '',
  }));
export type TrytonMoveLine = z.output<typeof MoveLine>;

/** A line of a posted move, as the tie-out reads the ledger. */
const LedgerLine = z
  .object({
    'account.': z.object({ code: z.string() }),
    debit: z.string(),
    credit: z.string(),
    description: z.string().nullable(),
    'move.': z.object({
      id: z.number(),
      date: z.string(),
      description: z.string().nullable(),
      journal: z.number(),
    }),
  })
  .transform((l) => ({
    account: l['account.'].code,
    debit: l.debit,
    credit: l.credit,
    note: l.description ?? '',
    moveId: l['move.'].id,
    date: l['move.'].date,
    moveDescription: l['move.'].description ?? '',
    journal: l['move.'].journal,
  }));

/**
 * One line of a posted move in the ledger. `journalId` is the Revtrail journal the move holds (its reference, in the
 * connector's journal), or null for a move made otherwise (by hand in Tryton, another journal).
 */
export interface TrytonLedgerLine {
  account: string;
  /** Decimal strings, in the company's currency. */
  debit: string;
  credit: string;
  /** The line's free text: the connector writes the journal line's description and dimensions there. */
  note: string;
  moveId: number;
  date: string;
  moveDescription: string;
  journalId: string | null;
}

const Ids = z.array(z.number());
const Period = z.object({ id: z.number(), state: z.string() });
const AccountCode = z.object({ id: z.number(), code: z.string() });
const CompanyCurrency = z.object({ 'currency.': z.object({ code: z.string() }) });
const MoveState = z.object({ state: z.string() });

/** Tryton's answer in the expected shape; anything else is a bug on one side or the other, not an outage. */
function parse<T extends z.ZodType>(schema: T, answer: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw new TrytonServerError(`${what}: unexpected answer (${parsed.error.message})`);
  return parsed.data;
}

/** A lookup done once and kept; a failure (Tryton down) is not kept, so the next call asks again. */
function remembered<T>(load: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | null = null;
  return () => {
    if (!kept) {
      const attempt = load();
      kept = attempt;
      attempt.catch(() => {
        if (kept === attempt) kept = null;
      });
    }
    return kept;
  };
}

const SEARCH_ATTEMPTS = 3;

/** The moves holding a journal id, oldest first; `journalId` narrows them to one Tryton journal. */
async function movesByReference(rpc: TrytonSession, reference: string, journalId?: number): Promise<TrytonMove[]> {
  const domain: unknown[] = [['description', '=', reference]];
  if (journalId !== undefined) domain.push(['journal', '=', journalId]);
  const fields = Object.keys(Move.shape);
  for (let attempt = 1; ; attempt++) {
    try {
      const found = await rpc.model('account.move', 'search_read', domain, 0, null, [['id', 'ASC']], fields);
      return parse(z.array(Move), found, 'account.move.search_read');
    } catch (err) {
      // Seen under racing submissions (SQLite): a move deleted by another connection between search_read's search
      // and its read makes Tryton refuse the read ('You are not allowed to read records "23, 24"…'). A search with
      // a plain domain has no other UserError, so it is asked again.
      if (!(err instanceof TrytonUserError) || attempt >= SEARCH_ATTEMPTS) throw err;
      await sleep(20 * attempt);
    }
  }
}

/** The standard period holding a date (whatever its state), or null when Tryton has none. */
async function periodOf(rpc: TrytonSession, date: string): Promise<z.output<typeof Period> | null> {
  const day = trytonDate(date);
  const domain = [
    ['start_date', '<=', day],
    ['end_date', '>=', day],
    ['type', '=', 'standard'],
  ];
  const found = await rpc.model('account.period', 'search_read', domain, 0, 1, null, ['id', 'state']);
  return parse(z.array(Period), found, 'account.period.search_read')[0] ?? null;
}

export class TrytonConnector implements Connector {
  readonly name = 'tryton';
  private readonly rpc: TrytonSession;
  private readonly journalCode: string;
  /** Account code → id, for postable accounts (typed, open, no party required); a miss is asked again. */
  private readonly accounts = new Map<string, number>();
  private readonly periods = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<SubmitOutcome>>();
  private closed = false;

  constructor(options: TrytonConnectorOptions) {
    this.rpc = new TrytonSession(options);
    this.journalCode = options.journalCode ?? 'LSYNC';
  }

  async submit(journal: JournalSubmission): Promise<SubmitOutcome> {
    this.assertOpen();
    assertWellFormed(journal);
    // One journal id at a time: the second submission waits and then finds the first one's move.
    const before = this.inFlight.get(journal.journalId);
    const run = (before ?? Promise.resolve()).catch(() => undefined).then(() => this.post(journal));
    this.inFlight.set(journal.journalId, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(journal.journalId) === run) this.inFlight.delete(journal.journalId);
    }
  }

  async find(journalId: string): Promise<string | null> {
    this.assertOpen();
    const posted = (await movesByReference(this.rpc, journalId, await this.journalId())).find(
      (m) => m.state === 'posted',
    );
    return posted ? String(posted.id) : null;
  }

  async missingAccounts(codes: readonly string[]): Promise<string[]> {
    const known = await this.accountIds(codes);
    return [...new Set(codes)].filter((c) => !known.has(c));
  }

  /**
   * Every line of the company's posted moves dated on or before `throughDate` (YYYY-MM-DD), in any journal, and the
   * company's currency: the ledger the ERP tie-out compares with what Revtrail recorded as posted.
   */
  async postedLines(throughDate: string): Promise<{ currency: string; lines: TrytonLedgerLine[] }> {
    this.assertOpen();
    const { company } = await this.rpc.context();
    const domain = [
      ['move.state', '=', 'posted'],
      ['move.company', '=', company],
      ['move.date', '<=', trytonDate(throughDate)],
    ];
    const fields = [
      'account.code',
      'debit',
      'credit',
      'description',
      'move.id',
      'move.date',
      'move.description',
      'move.journal',
    ];
    const [found, currency, journal] = await Promise.all([
      this.rpc.model('account.move.line', 'search_read', domain, 0, null, [['id', 'ASC']], fields),
      this.companyCurrency(),
      this.journalId(),
    ]);
    const lines = parse(z.array(LedgerLine), found, 'account.move.line.search_read').map(
      ({ journal: movedIn, ...l }) => ({
        ...l,
        journalId: movedIn === journal && l.moveDescription !== '' ? l.moveDescription : null,
      }),
    );
    return { currency, lines };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rpc.logout();
  }

  private async post(j: JournalSubmission): Promise<SubmitOutcome> {
    try {
      const journal = await this.journalId();
      const [existing] = await movesByReference(this.rpc, j.journalId, journal);
      if (existing) return await this.settle(existing, j);
      const currency = await this.companyCurrency();
      if (j.currency !== currency) {
        throw new Error(`Tryton connector: journal ${j.journalId} is in ${j.currency}, the company books ${currency}`);
      }
      const accounts = await this.accountIds(j.lines.map((l) => l.account));
      const missing = [...new Set(j.lines.map((l) => l.account))].filter((code) => !accounts.has(code));
      if (missing.length > 0) {
        return rejected('UNKNOWN_ACCOUNT', `no postable account in Tryton with code ${missing.join(', ')}`);
      }
      const period = await this.periodId(j.date);
      if (period === null) return rejected('PERIOD_CLOSED', `Tryton has no period for ${j.date}`);
      const created = await this.create(j, journal, period, accounts);
      if (typeof created !== 'number') return created;
      // A concurrent submission from another process may have created its own move in between: the oldest wins.
      const [winner] = await movesByReference(this.rpc, j.journalId, journal);
      if (winner && winner.id !== created) {
        await this.rpc.model('account.move', 'delete', [created]);
        return await this.settle(winner, j);
      }
      return await this.postMove(created, j);
    } catch (err) {
      if (err instanceof ConnectorUnavailableError) return rejected('CONNECTOR_UNAVAILABLE', err.message);
      throw err;
    }
  }

  /** Tryton's record ids of currencies by ISO code; a currency Tryton does not have is a connector error. */
  private async currencyIds(codes: readonly string[]): Promise<Map<string, number>> {
    const wanted = [...new Set(codes)];
    if (wanted.length === 0) return new Map();
    const found = await this.rpc.model('currency.currency', 'search_read', [['code', 'in', wanted]], 0, null, null, [
      'code',
    ]);
    const ids = new Map(
      parse(z.array(z.object({ id: z.number(), code: z.string() })), found, 'currency.search_read').map((c) => [
        c.code,
        c.id,
      ]),
    );
    const missing = wanted.filter((c) => !ids.has(c));
    if (missing.length > 0) throw new Error(`Tryton connector: currency ${missing.join(', ')} is not in Tryton`);
    return ids;
  }

  /** The move an earlier submission created: posted is the answer; a draft is posted now. */
  private async settle(move: TrytonMove, j: JournalSubmission): Promise<SubmitOutcome> {
    if (move.state === 'posted') return { status: 'posted', erpDocumentId: String(move.id), alreadyPosted: true };
    return this.postMove(move.id, j);
  }

  /** Creates the draft move; Tryton's refusal to write into a closed period becomes PERIOD_CLOSED. */
  private async create(
    j: JournalSubmission,
    journal: number,
    period: number,
    accounts: ReadonlyMap<string, number>,
  ): Promise<number | SubmitOutcome> {
    // The move's description is the journal id (the idempotency reference, searched exactly), so the correlation ids
    // go on each move line's description, after its dimensions.
    const correlation = correlationTags(j.correlationIds);
    const currencies = await this.currencyIds(j.lines.flatMap((l) => (l.fx ? [l.fx.currency] : [])));
    const lines = j.lines.map((l) => ({
      account: accounts.get(l.account),
      debit: trytonDecimal(l.debit),
      credit: trytonDecimal(l.credit),
      description: [lineNote(l), correlation].filter((s) => s !== '').join(', '),
      // A translated line's transaction side (Tryton's second currency), signed as debit - credit.
      ...(l.fx
        ? {
            second_currency: currencies.get(l.fx.currency),
            amount_second_currency: trytonDecimal(dec(l.debit).isZero() ? negateMoney(l.fx.amount) : l.fx.amount),
          }
        : {}),
    }));
    const move = { journal, period, date: trytonDate(j.date), description: j.journalId, lines: [['create', lines]] };
    try {
      const [id] = parse(Ids.length(1), await this.rpc.model('account.move', 'create', [move]), 'account.move.create');
      return id!;
    } catch (err) {
      // Tryton words this refusal several ways (a closed journal-period, no journal-period may be created in a
      // closed period, the period outside the move's domain), so ask it for the period's state instead of parsing.
      if (err instanceof TrytonUserError && (await periodOf(this.rpc, j.date))?.state !== 'open') {
        return rejected('PERIOD_CLOSED', err.message);
      }
      throw err;
    }
  }

  /**
   * Posts a draft move. Tryton refuses to post an unbalanced move and leaves it in draft: it is deleted, so a
   * refused journal leaves nothing behind.
   */
  private async postMove(id: number, j: JournalSubmission): Promise<SubmitOutcome> {
    try {
      await this.rpc.model('account.move', 'post', [id]);
      return { status: 'posted', erpDocumentId: String(id), alreadyPosted: false };
    } catch (err) {
      if (!(err instanceof TrytonUserError)) throw err;
      const [now] = parse(z.array(MoveState), await this.rpc.model('account.move', 'read', [id], ['state']), 'read');
      // Another process posted it first.
      if (now?.state === 'posted') return { status: 'posted', erpDocumentId: String(id), alreadyPosted: true };
      if (now) await this.rpc.model('account.move', 'delete', [id]);
      // Tryton stored exactly these lines, so its refusal is about their balance if they do not balance.
      if (!imbalanceOf(j.lines).isZero()) return rejected('UNBALANCED', err.message);
      throw err;
    }
  }

  private readonly journalId = remembered(async () => {
    const found = await this.rpc.model('account.journal', 'search', [['code', '=', this.journalCode]], 0, 1, null);
    const [id] = parse(Ids, found, 'account.journal.search');
    if (id === undefined) throw new Error(`Tryton has no journal with code ${this.journalCode}`);
    return id;
  });

  private readonly companyCurrency = remembered(async () => {
    const { company } = await this.rpc.context();
    const found = await this.rpc.model('company.company', 'read', [company], ['currency.code']);
    const [record] = parse(z.array(CompanyCurrency).length(1), found, 'company.company.read');
    return record!['currency.'].code;
  });

  private async accountIds(codes: readonly string[]): Promise<Map<string, number>> {
    const unknown = [...new Set(codes)].filter((c) => !this.accounts.has(c));
    if (unknown.length > 0) {
      const domain = [
        ['code', 'in', unknown],
        ['type', '!=', null],
        ['closed', '!=', true],
        ['party_required', '=', false],
      ];
      const found = await this.rpc.model('account.account', 'search_read', domain, 0, null, null, ['code']);
      for (const a of parse(z.array(AccountCode), found, 'account.account.search_read')) {
        this.accounts.set(a.code, a.id);
      }
    }
    return this.accounts;
  }

  /** Periods keep their dates, so the id is cached; their state is always asked afresh. */
  private async periodId(date: string): Promise<number | null> {
    const cached = this.periods.get(date);
    if (cached !== undefined) return cached;
    const period = await periodOf(this.rpc, date);
    if (period) this.periods.set(date, period.id);
    return period?.id ?? null;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('Tryton connector: used after close()');
  }
}

export function openTrytonConnector(options: TrytonConnectorOptions): TrytonConnector {
  return new TrytonConnector(options);
}

/**
 * Administration the connector itself never does, for tests and the demo: close a period the way an accountant
 * would, and look at what Tryton holds for a journal id (the acceptance counts moves to prove there is no duplicate).
 */
export class TrytonAdmin {
  private readonly rpc: TrytonSession;

  constructor(connection: TrytonConnection) {
    this.rpc = new TrytonSession(connection);
  }

  /** Answers the server version once trytond is up (no login needed). */
  version(): Promise<string> {
    return this.rpc.version();
  }

  /** Closes the period (YYYY-MM) through Tryton's own `close` button; Tryton refuses while it has draft moves. */
  async closePeriod(period: string): Promise<void> {
    const found = await periodOf(this.rpc, `${period}-01`);
    if (!found) throw new Error(`Tryton has no period ${period}`);
    await this.rpc.model('account.period', 'close', [found.id]);
  }

  /** Adds account `code` to the chart as a copy of account `like` (same type), as an accountant fixing a chart would. */
  async copyAccount(like: string, code: string): Promise<void> {
    const found = await this.rpc.model('account.account', 'search_read', [['code', '=', like]], 0, 1, null, ['code']);
    const [account] = parse(z.array(AccountCode).length(1), found, 'account.account.search_read');
    await this.rpc.model('account.account', 'copy', [account!.id], { code, name: `Account ${code}` });
  }

  /**
   * Posts a move as an accountant would enter one by hand in Tryton (journal `journalCode`, e.g. MISC), lines without
   * Revtrail's dimensions; answers its id.
   */
  async postMove(move: {
    journalCode: string;
    date: string;
    description: string;
    lines: { account: string; debit: string; credit: string }[];
  }): Promise<number> {
    const codes = [...new Set(move.lines.map((l) => l.account))];
    const [journals, found, period] = await Promise.all([
      this.rpc.model('account.journal', 'search', [['code', '=', move.journalCode]], 0, 1, null),
      this.rpc.model('account.account', 'search_read', [['code', 'in', codes]], 0, null, null, ['code']),
      periodOf(this.rpc, move.date),
    ]);
    const [journal] = parse(Ids.length(1), journals, 'account.journal.search');
    const accounts = new Map(
      parse(z.array(AccountCode), found, 'account.account.search_read').map((a) => [a.code, a.id]),
    );
    if (!period) throw new Error(`Tryton has no period for ${move.date}`);
    const lines = move.lines.map((l) => ({
      account: accounts.get(l.account),
      debit: trytonDecimal(l.debit),
      credit: trytonDecimal(l.credit),
    }));
    const record = {
      journal,
      period: period.id,
      date: trytonDate(move.date),
      description: move.description,
      lines: [['create', lines]],
    };
    const [id] = parse(Ids.length(1), await this.rpc.model('account.move', 'create', [record]), 'account.move.create');
    await this.rpc.model('account.move', 'post', [id]);
    return id!;
  }

  /** Every move whose reference (description) is the journal id, in any journal and state, oldest first. */
  moves(journalId: string): Promise<TrytonMove[]> {
    return movesByReference(this.rpc, journalId);
  }

  async countMoves(journalId: string): Promise<number> {
    return (await this.moves(journalId)).length;
  }

  /** A move's lines' second currency (code) and amount in it, for translated journals; null where none. */
  async secondCurrencies(
    moveId: number,
  ): Promise<{ account: string; currency: string | null; amount: string | null }[]> {
    const fields = ['account.code', 'second_currency.code', 'amount_second_currency'];
    const domain = [['move', '=', moveId]];
    const found = await this.rpc.model('account.move.line', 'search_read', domain, 0, null, [['id', 'ASC']], fields);
    const Line = z.object({
      'account.': z.object({ code: z.string() }),
      'second_currency.': z.object({ code: z.string() }).nullable().optional(),
      amount_second_currency: z.string().nullable(),
    });
    return parse(z.array(Line), found, 'account.move.line.search_read').map((l) => ({
      account: l['account.'].code,
      currency: l['second_currency.']?.code ?? null,
      amount: l.amount_second_currency,
    }));
  }

  async lines(moveId: number): Promise<TrytonMoveLine[]> {
    const fields = ['move', 'account.code', 'debit', 'credit', 'description'];
    const domain = [['move', '=', moveId]];
    const found = await this.rpc.model('account.move.line', 'search_read', domain, 0, null, [['id', 'ASC']], fields);
    return parse(z.array(MoveLine), found, 'account.move.line.search_read');
  }

  /**
   * The trial balance of posted moves: per account code, debits minus credits (decimal strings), for comparing the
   * ERP's ledger with Revtrail's balances.
   */
  async trialBalance(): Promise<Map<string, string>> {
    const fields = ['move', 'account.code', 'debit', 'credit', 'description'];
    const domain = [['move.state', '=', 'posted']];
    const found = await this.rpc.model('account.move.line', 'search_read', domain, 0, null, [['id', 'ASC']], fields);
    const byAccount = new Map<string, Dec>();
    for (const l of parse(z.array(MoveLine), found, 'account.move.line.search_read')) {
      byAccount.set(l.account, plus(byAccount.get(l.account) ?? ZERO, minus(dec(l.debit), dec(l.credit))));
    }
    return new Map([...byAccount].map(([account, d]) => [account, d.toString()]));
  }

  close(): Promise<void> {
    return this.rpc.logout();
  }
}
