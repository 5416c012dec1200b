// Resolvers: thin over the read models. A Contract is only its id; each field loads the one document it reads
// (contract-versions, revenue-schedule, posting-status) through the request's DocLoader, so a page of contracts reads
// each projection once. Raw events come from the event store, the contract's own stream.
import { GraphQLScalarType, Kind } from 'graphql';
import type { ValueNode } from 'graphql';
import type { IResolvers } from 'mercurius';
import { contractStream } from '../../commands/contract.js';
import { contractVersions, joinPostingStatus } from '../../projections/index.js';
import type {
  AccountAmounts,
  ContractVersions,
  PostingJournal,
  PostingStatusDoc,
  RevenueScheduleDoc,
} from '../../projections/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { markOf } from '../runner/index.js';
import type { EventStore } from '../store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { contractDocsAsOf, sequencingExceptions } from '../audit/index.js';
import type { HeldAge } from '../audit/index.js';
import { asOfOptions } from './arguments.js';
import type { ContractConnection, ContractFilter, ContractRef } from './contracts.js';
import { POSTINGS, SCHEDULES, VERSIONS, contractsPage } from './contracts.js';
import { codedError } from './errors.js';
import { ledgerEvent } from './events.js';
import type { LedgerEvent } from './events.js';
import type { GraphqlContext } from './loader.js';
import { ledgerEvents } from './subscriptions.js';

export interface GraphqlDeps {
  read: ReadStore;
  store: EventStore;
  keys: KeyRing;
  held?: HeldAge;
}

export interface ContractException {
  contractId: string;
  source: 'schedule' | 'posting' | 'sequencing';
  code: string;
  message: string;
  lineId: string | null;
  sku: string | null;
  eventId: string | null;
  journalId: string | null;
}

const amounts = (a: AccountAmounts): { account: string; amount: string }[] =>
  Object.entries(a).map(([account, amount]) => ({ account, amount }));

const journalNode = (contractId: string, j: PostingJournal) => ({
  ...j,
  id: j.journalId,
  contractId,
  accounts: amounts(j.accounts),
});

function exceptionsOf(
  contractId: string,
  schedule: RevenueScheduleDoc | null,
  posting: PostingStatusDoc | null,
  held: HeldAge | undefined,
): ContractException[] {
  const out: ContractException[] = (schedule?.schedule?.exceptions ?? []).map((x) => ({
    contractId,
    source: 'schedule',
    code: x.code,
    message: x.message,
    lineId: x.lineId ?? null,
    sku: x.sku ?? null,
    eventId: x.eventId ?? null,
    journalId: null,
  }));
  // A document its projection could not fold or derive (quarantined): the error and the event position it names.
  for (const [source, doc] of [
    ['schedule', schedule],
    ['posting', posting],
  ] as const) {
    const mark = doc && markOf(doc);
    if (!mark) continue;
    out.push({
      contractId,
      source,
      code: mark.code,
      message: `${mark.message} (${mark.stage} at position ${mark.position})`,
      lineId: null,
      sku: null,
      eventId: mark.eventId,
      journalId: null,
    });
  }
  // Held events rejected on apply, and held longer than allowed (commands/versions.ts).
  if (schedule)
    for (const x of sequencingExceptions(schedule, held))
      out.push({ contractId, source: 'sequencing', ...x, sku: null, journalId: null });
  for (const j of posting?.journals ?? []) {
    if (j.status !== 'rejected' || !j.rejection) continue;
    out.push({
      contractId,
      source: 'posting',
      code: j.rejection.code,
      message: j.rejection.message,
      lineId: null,
      sku: null,
      eventId: j.eventId,
      journalId: j.journalId,
    });
  }
  return out;
}

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: function literal(node: ValueNode): unknown {
    switch (node.kind) {
      case Kind.STRING:
      case Kind.BOOLEAN:
        return node.value;
      case Kind.INT:
      case Kind.FLOAT:
        return Number(node.value);
      case Kind.OBJECT:
        return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
      case Kind.LIST:
        return node.values.map(literal);
      default:
        return null;
    }
  },
});

const MoneyScalar = new GraphQLScalarType({
  name: 'Money',
  serialize: (v) => {
    if (typeof v !== 'string') throw new TypeError('money must be a decimal string');
    return v;
  },
  parseValue: (v) => {
    if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v))
      throw codedError('INVALID_ARGUMENT', 'money is a decimal string');
    return v;
  },
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING || !/^-?\d+(\.\d+)?$/.test(node.value))
      throw codedError('INVALID_ARGUMENT', 'money is a decimal string');
    return node.value;
  },
});

async function readAllOf(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
}

export function buildResolvers({ read, store, keys, held }: GraphqlDeps): IResolvers {
  // A contract asked for `asOf` carries its documents as of then; any other is read from the read models.
  const versionsOf = async (ctx: GraphqlContext, c: ContractRef): Promise<ContractVersions> =>
    c.asOf?.versions ?? (await ctx.docs.load<ContractVersions>(VERSIONS, c.id)) ?? contractVersions.initial(c.id);
  const scheduleOf = async (ctx: GraphqlContext, c: ContractRef) =>
    c.asOf ? c.asOf.schedule : ctx.docs.load<RevenueScheduleDoc>(SCHEDULES, c.id);
  const postingOf = async (ctx: GraphqlContext, c: ContractRef) =>
    c.asOf ? c.asOf.posting : ctx.docs.load<PostingStatusDoc>(POSTINGS, c.id);
  const fromVersions =
    <K extends keyof ContractVersions>(field: K) =>
    async (c: ContractRef, _args: unknown, ctx: GraphqlContext) =>
      (await versionsOf(ctx, c))[field];

  return {
    JSON: JSONScalar,
    Money: MoneyScalar,
    Query: {
      contract: async (
        _root: unknown,
        { id, asOf }: { id: string; asOf?: { recordedAt?: string | null; effectiveAt?: string | null } | null },
        ctx: GraphqlContext,
      ): Promise<ContractRef | null> => {
        if (asOf) {
          const docs = await contractDocsAsOf({ read, store }, id, asOfOptions(asOf));
          // Null, as for a contract the ledger has never heard of, when it had received none of its events by then.
          return docs && docs.events.length > 0 ? { id, asOf: docs } : null;
        }
        return (await ctx.docs.load(VERSIONS, id)) ? { id } : null;
      },
      contracts: (
        _root: unknown,
        args: { filter?: ContractFilter | null; first: number; after?: string | null },
        ctx: GraphqlContext,
      ) => contractsPage(read, ctx.docs, args.filter ?? {}, args.first, args.after),
      journal: async (_root: unknown, { id }: { id: string }, ctx: GraphqlContext) => {
        const [contractId] = await read.keysByTag(POSTINGS, [`journal:${id}`]);
        if (contractId === undefined) return null;
        const j = (await postingOf(ctx, { id: contractId }))?.journals.find((x) => x.journalId === id);
        return j ? journalNode(contractId, j) : null;
      },
    },
    Subscription: {
      ledgerEvents: ledgerEvents({ store, keys }),
    },
    Contract: {
      status: fromVersions('status'),
      legalEntity: fromVersions('legalEntity'),
      customerId: fromVersions('customerId'),
      currency: fromVersions('currency'),
      bookingDate: fromVersions('bookingDate'),
      versionInForce: fromVersions('versionInForce'),
      heldVersions: fromVersions('heldVersions'),
      cancelledOn: fromVersions('cancelledOn'),
      lines: fromVersions('lines'),
      versions: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) => {
        const v = await versionsOf(ctx, c);
        return v.versions.map((x) => ({ ...x, applied: x.version <= v.versionInForce }));
      },
      events: async (c: ContractRef, { types }: { types?: string[] | null }) => {
        const out: LedgerEvent[] = [];
        for (const e of c.asOf ? c.asOf.events : await readAllOf(store, contractStream(c.id))) {
          if (!types || types.includes(e.type)) out.push(ledgerEvent(e));
        }
        return out;
      },
      obligations: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) =>
        (await scheduleOf(ctx, c))?.schedule?.obligations ?? [],
      schedule: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) => {
        const s = (await scheduleOf(ctx, c))?.schedule;
        if (!s) return null;
        return {
          ...s,
          periods: s.periods.map((p) => ({
            period: p.period,
            amount: p.total,
            cumulative: p.cumulative,
            lines: Object.entries(p.lines).map(([lineId, amount]) => ({ lineId, amount })),
          })),
        };
      },
      balances: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) =>
        (await scheduleOf(ctx, c))?.balances ?? [],
      journals: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) =>
        ((await postingOf(ctx, c))?.journals ?? []).map((j) => journalNode(c.id, j)),
      postingStatus: async (c: ContractRef, { through }: { through?: string | null }, ctx: GraphqlContext) => {
        if (through && !/^\d{4}-(0[1-9]|1[0-2])$/.test(through))
          throw codedError('INVALID_ARGUMENT', 'through is a period, YYYY-MM');
        const [posting, schedule] = await Promise.all([postingOf(ctx, c), scheduleOf(ctx, c)]);
        const s = joinPostingStatus(c.id, posting, schedule, through ? { through } : {});
        return {
          ...s,
          journaledByAccount: amounts(s.accounts.journaled),
          postedByAccount: amounts(s.accounts.posted),
        };
      },
      exceptions: async (c: ContractRef, _args: unknown, ctx: GraphqlContext) => {
        const [schedule, posting] = await Promise.all([scheduleOf(ctx, c), postingOf(ctx, c)]);
        return exceptionsOf(c.id, schedule, posting, held);
      },
    },
    Journal: {
      contract: (j: { contractId: string }) => ({ id: j.contractId }),
    },
    ContractConnection: {
      // Counted only when asked for (a resolver, not a function on the result: compiled execution does not call those).
      totalCount: (c: ContractConnection) => c.totalCount(),
    },
  } as IResolvers;
}
