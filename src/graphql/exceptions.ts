// The exceptions workbench in GraphQL: `exceptions(...)` (one list over every kind, filtered, sorted by the amount at
// stake), `exception(id)`, `rejections(...)`, and the mutations that act on an item or replay a refused input. The
// route takes `read`; each mutation checks its own scope (`exceptions:write`, `exceptions:ignore` to ignore) against
// the request's key, with the same KeyRing rules as REST.
import type { IResolvers } from 'mercurius';
import type { ExceptionAction } from '../../commands/exception.js';
import type { JsonObject } from '../../schemas/index.js';
import type { ExceptionDeps, ExceptionFilter, ExceptionSort, ExceptionView } from '../audit/exceptions.js';
import { MAX_EXCEPTIONS_PAGE, exceptionById, listExceptions, listRejections } from '../audit/exceptions.js';
import { EXCEPTIONS_IGNORE, EXCEPTIONS_WRITE } from '../auth/index.js';
import type { KeyRing, Scope } from '../auth/index.js';
import { actOnException, replayRejection } from '../exceptions/index.js';
import type { ActOutcome } from '../exceptions/index.js';
import type { Ingestor } from '../ingest/index.js';
import { codedError, domainRefusal } from './errors.js';
import type { GraphqlContext } from './loader.js';

export const exceptionTypeDefs = /* GraphQL */ `
  extend type Query {
    """
    Exceptions as work items over every kind (refused_input, held, held_too_long, schedule, quarantined,
    journal_blocked, journal_rejected, reconciliation_break): by \`sort\`, \`impact\` (the default: largest amount at
    stake first) or \`age\` (oldest first), ties by first seen then id. \`kind\` is a kind or a
    code (e.g. UNMAPPED_SKU, PERIOD_CLOSED); \`status\` a status, \`active\` (open or acknowledged, the default) or
    \`all\`. At most ${MAX_EXCEPTIONS_PAGE} per page.
    """
    exceptions(
      kind: String
      entity: String
      status: String
      owner: String
      contractId: ID
      minAgeHours: Float
      minAmount: Money
      sort: ExceptionSort = impact
      limit: Int = 50
      offset: Int = 0
    ): [Exception!]!
    "One exception by id, whatever its status."
    exception(id: ID!): Exception
    "Refused inputs, newest first, by day (YYYY-MM-DD), source system and code."
    rejections(day: String, system: String, code: String, limit: Int = 50, offset: Int = 0): RefusedInputList!
  }

  type Mutation {
    assignException(id: ID!, owner: String!): ExceptionActionResult!
    acknowledgeException(id: ID!): ExceptionActionResult!
    resolveException(id: ID!, reason: String): ExceptionActionResult!
    "Needs the exceptions:ignore scope, and a reason."
    ignoreException(id: ID!, reason: String!): ExceptionActionResult!
    noteException(id: ID!, text: String!): ExceptionActionResult!
    "Resubmits a refused input as it was, or \`corrected\` (an inbound event); lineage replayOf / correctedFrom."
    replayRejection(id: ID!, corrected: JSON): ReplayResult!
  }

  "The order of an exceptions list."
  enum ExceptionSort {
    "The amount at stake, largest first."
    impact
    "First seen, oldest first."
    age
  }

  enum ExceptionSource {
    schedule
    posting
    "HELD_EVENT_REJECTED (a held event failed validation on apply) and held events (HELD_TOO_LONG past the age)."
    sequencing
    "Inputs refused at the edge (rejections-*)."
    input
    "Breaks an ERP tie-out recorded."
    reconciliation
  }

  type ExceptionNote {
    at: String!
    actor: String!
    text: String!
  }

  type ExceptionStep {
    at: String!
    actor: String!
    action: String!
    detail: String
  }

  type ExceptionResolution {
    at: String
    reason: String
  }

  type Exception {
    id: ID!
    kind: String!
    code: String!
    message: String!
    source: ExceptionSource!
    contractId: ID
    legalEntity: String
    amount: Money!
    currency: String
    firstSeen: String!
    ageHours: Float!
    status: String!
    "user or system (its cause went away); null while open."
    resolvedBy: String
    resolution: ExceptionResolution
    owner: String
    notes: [ExceptionNote!]!
    history: [ExceptionStep!]!
    slaDueAt: String!
    overdue: Boolean!
    replays: Int!
    lineId: String
    sku: String
    eventId: ID
    journalId: ID
    details: JSON!
  }

  type ExceptionActionResult {
    exceptionId: ID!
    status: String!
    owner: String
    changed: Boolean!
  }

  type RefusedInput {
    id: ID!
    exceptionId: ID!
    day: String!
    system: String
    code: String!
    type: String
    contractId: ID
    receivedAt: String!
    status: String!
    replays: Int!
    replayOf: ID
    message: String!
  }

  type RefusedInputList {
    items: [RefusedInput!]!
    total: Int!
    "Replays made over every refused input."
    replays: Int!
  }

  type ReplayResult {
    status: String!
    eventId: ID
    errors: JSON
    corrected: Boolean!
    exception: ExceptionActionResult
  }
`;

export interface ExceptionGraphqlDeps {
  deps: ExceptionDeps;
  ingestor: Ingestor;
  keys: KeyRing;
}

/** The compatibility fields of the former per-contract exception shape, from the item's kind and details. */
function node(v: ExceptionView) {
  const d = v.details;
  const text = (k: string): string | null => {
    const value = d[k];
    return typeof value === 'string' ? value : null;
  };
  const source =
    v.kind === 'refused_input'
      ? v.code === 'HELD_EVENT_REJECTED'
        ? 'sequencing'
        : 'input'
      : v.kind === 'held' || v.kind === 'held_too_long'
        ? 'sequencing'
        : v.kind === 'reconciliation_break'
          ? 'reconciliation'
          : v.kind === 'schedule' || (v.kind === 'quarantined' && d.projection === 'revenue-schedule')
            ? 'schedule'
            : 'posting';
  return {
    ...v,
    source,
    lineId: text('lineId'),
    sku: text('sku'),
    eventId: text('heldEventId') ?? text('eventId'),
    journalId: text('journalId'),
  };
}

function checkPage(limit: number, offset: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXCEPTIONS_PAGE)
    throw codedError('INVALID_ARGUMENT', `limit must be 1..${MAX_EXCEPTIONS_PAGE}`);
  if (!Number.isInteger(offset) || offset < 0) throw codedError('INVALID_ARGUMENT', 'offset must be 0 or more');
}

const STATUSES = new Set(['open', 'acknowledged', 'resolved', 'ignored', 'active', 'all']);

export function exceptionResolvers({ deps, ingestor, keys }: ExceptionGraphqlDeps): IResolvers {
  const authorize = (ctx: GraphqlContext, scope: Scope) => {
    const a = keys.authorize(ctx.reply?.request.headers.authorization, scope);
    if (!a.ok) throw codedError(a.code, a.detail);
    return a.apiKey;
  };
  const act = async (ctx: GraphqlContext, id: string, action: ExceptionAction, scope: Scope) => {
    const key = authorize(ctx, scope);
    const correlationId = ctx.reply?.request.correlationId;
    const outcome: ActOutcome = await actOnException(deps, id, action, {
      actor: key.name,
      ...(correlationId ? { correlationId } : {}),
    });
    if (!outcome.ok) throw domainRefusal(outcome.error);
    return outcome;
  };
  type ListArgs = ExceptionFilter & { entity?: string | null; sort: ExceptionSort; limit: number; offset: number };
  return {
    Query: {
      exceptions: async (_root: unknown, { entity, sort, limit, offset, ...filter }: ListArgs) => {
        checkPage(limit, offset);
        if (filter.status && !STATUSES.has(filter.status))
          throw codedError('INVALID_ARGUMENT', `status must be one of ${[...STATUSES].join(', ')}`);
        const list = await listExceptions(
          deps,
          { ...filter, legalEntity: entity ?? null },
          {
            limit,
            offset,
            sort,
          },
        );
        return list.items.map(node);
      },
      exception: async (_root: unknown, { id }: { id: string }) => {
        const v = await exceptionById(deps, id);
        return v ? node(v) : null;
      },
      rejections: async (
        _root: unknown,
        args: { day?: string | null; system?: string | null; code?: string | null; limit: number; offset: number },
      ) => {
        checkPage(args.limit, args.offset);
        return listRejections(deps, args, { limit: args.limit, offset: args.offset });
      },
    },
    Mutation: {
      assignException: (_r: unknown, a: { id: string; owner: string }, ctx: GraphqlContext) =>
        act(ctx, a.id, { action: 'assign', owner: a.owner }, EXCEPTIONS_WRITE),
      acknowledgeException: (_r: unknown, a: { id: string }, ctx: GraphqlContext) =>
        act(ctx, a.id, { action: 'acknowledge' }, EXCEPTIONS_WRITE),
      resolveException: (_r: unknown, a: { id: string; reason?: string | null }, ctx: GraphqlContext) =>
        act(ctx, a.id, { action: 'resolve', reason: a.reason ?? null }, EXCEPTIONS_WRITE),
      ignoreException: (_r: unknown, a: { id: string; reason: string }, ctx: GraphqlContext) => {
        if (a.reason.trim() === '') throw codedError('INVALID_ARGUMENT', 'reason: an ignored exception says why');
        return act(ctx, a.id, { action: 'ignore', reason: a.reason }, EXCEPTIONS_IGNORE);
      },
      noteException: (_r: unknown, a: { id: string; text: string }, ctx: GraphqlContext) =>
        act(ctx, a.id, { action: 'note', text: a.text }, EXCEPTIONS_WRITE),
      replayRejection: async (_r: unknown, a: { id: string; corrected?: unknown }, ctx: GraphqlContext) => {
        const key = authorize(ctx, EXCEPTIONS_WRITE);
        const corrected = a.corrected === undefined || a.corrected === null ? null : (a.corrected as JsonObject);
        const outcome = await replayRejection({ ...deps, ingestor }, a.id, corrected, { actor: key.name });
        if (!outcome.ok) throw domainRefusal(outcome.error);
        return {
          status: outcome.result.status,
          eventId: outcome.result.eventId ?? null,
          errors: outcome.result.errors ?? null,
          corrected: outcome.corrected,
          exception: outcome.exception.ok ? outcome.exception : null,
        };
      },
    },
  } as IResolvers;
}
